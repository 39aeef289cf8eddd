"""Transcription and synthesis: the speech-model steps, run on the GPU worker.

Both checkpoint through `beat` after every line, and accept the last checkpoint back so a
retried attempt resumes where the previous one stopped instead of starting over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dubbing import keys
from dubbing.engines import asr, tts
from dubbing.media import audio
from dubbing.stages import Clip, Segment, SynthesizeInput, TranscribeInput, TranscribeOutput
from dubbing.steps import Beat
from dubbing.storage import Store


def transcribe_window(store: Store, scratch: Path, inp: TranscribeInput, beat: Beat,
                      checkpoint: dict[str, Any] | None = None) -> TranscribeOutput:
    asr.check_language(inp.settings.model, inp.language)
    model = asr.load_model(inp.settings.model)
    window = inp.window
    done = [Segment.model_validate(s) for s in (checkpoint or {}).get("segments", [])]
    position = float((checkpoint or {}).get("position", window.start))
    with store.open_local(inp.audio_key, scratch) as path:
        samples = audio.read_window(path, position, window.end)
    lines = asr.transcribe(model, samples, offset=position, limit=window.end,
                           language=inp.language, beam_size=inp.settings.beam_size)
    for line in lines:
        done.append(Segment(index=len(done), start=line.start, end=line.end, text=line.text))
        beat({"position": line.end, "segments": [s.model_dump() for s in done]})
    key = keys.segments_key(inp.job_id, window.index)
    store.put_json(key, [s.model_dump() for s in done])
    return TranscribeOutput(segments_key=key, count=len(done))


def synthesize_window(store: Store, scratch: Path, inp: SynthesizeInput, beat: Beat,
                      checkpoint: dict[str, Any] | None = None) -> str:
    texts: list[str] = store.get_json(inp.texts_key)
    engine = tts.make_synthesizer(inp.voice, inp.target_lang)
    clips = [Clip.model_validate(c) for c in (checkpoint or {}).get("clips", [])]
    clips = [c for c in clips if store.exists(c.key)]
    for index in range(len(clips), len(texts)):
        dest = scratch / f"clip-{index:04d}.wav"
        engine.synthesize(texts[index], dest)
        key = keys.clip_key(inp.job_id, inp.window_index, inp.target_lang, index)
        store.put_file(key, dest)
        clips.append(Clip(index=index, key=key, duration=round(audio.wav_seconds(dest), 4)))
        dest.unlink()
        beat({"clips": [c.model_dump() for c in clips]})
    key = keys.clips_key(inp.job_id, inp.window_index, inp.target_lang)
    store.put_json(key, [c.model_dump() for c in clips])
    return key
