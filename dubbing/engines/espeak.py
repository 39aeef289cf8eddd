"""espeak-ng, the voice that needs no model: run as a process per line, on whichever worker
has a slot free (the CPU worker voices espeak-only jobs, so they never wait for the GPU).

Also the interface every synthesis engine has (`Synthesizer`); the engines that load models
(Piper, XTTS) are in `dubbing.engines.tts`, which the CPU worker never imports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from dubbing.contract import resolve_voice
from dubbing.errors import ConfigurationError, UnsupportedLanguageError
from dubbing.languages import ESPEAK_VOICES
from dubbing.media.tools import require, run_tool
from dubbing.voices import speaker_voice

ESPEAK_WPM = 165


class Synthesizer(Protocol):
    name: str
    has_rate: bool  # can speak faster on request (step 2 of the fit ladder)

    def synthesize(self, text: str, dest: Path, rate: float = 1.0) -> None: ...


class Espeak:
    name = "espeak-ng"
    has_rate = True

    def __init__(self, lang: str, variant: str | None = None, pitch: int | None = None) -> None:
        voice = ESPEAK_VOICES.get(lang)
        if voice is None:
            raise UnsupportedLanguageError(f"espeak-ng has no voice for {lang!r} here")
        self.voice = f"{voice}+{variant}" if variant else voice
        self.pitch = pitch
        self.binary = require("espeak-ng", "espeak-ng")

    @property
    def voice_name(self) -> str:
        return f"espeak-ng {self.voice}" + (f" pitch {self.pitch}" if self.pitch is not None
                                              else "")

    def args(self, dest: Path, rate: float = 1.0) -> list[str]:
        wpm = str(round(ESPEAK_WPM * rate))
        pitch = ["-p", str(self.pitch)] if self.pitch is not None else []
        return [self.binary, "-v", self.voice, *pitch, "-s", wpm, "-w", str(dest), "--stdin"]

    def synthesize(self, text: str, dest: Path, rate: float = 1.0) -> None:
        # Text goes through stdin so that a line starting with '-' is never read as an option.
        run_tool(self.args(dest, rate), what="espeak-ng", input_text=text, timeout=120)


def voice_name(engine: Synthesizer) -> str:
    """Which voice an engine speaks with, as the report names it."""
    return str(getattr(engine, "voice_name", engine.name))


def speaker_synthesizer(voice: str, lang: str, speaker: str | None,
                        reference: Path | None = None) -> Synthesizer:
    """As `tts.speaker_synthesizer`, for jobs whose every voice is espeak-ng."""
    if resolve_voice(voice, lang) != "espeak":
        raise ConfigurationError(
            f"the {voice!r} voice for {lang!r} needs a model: it runs on the GPU worker")
    choice = speaker_voice(speaker)
    return Espeak(lang, choice.variant, choice.pitch)
