"""Offline engines on the real tools: Apertium translation and espeak-ng synthesis."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from dubbing.engines.apertium import Apertium
from dubbing.engines.translate import make_translator
from dubbing.engines.tts import Espeak, make_synthesizer
from dubbing.errors import ConfigurationError, UnsupportedLanguageError


def test_apertium_batch_keeps_one_line_per_input() -> None:
    out = Apertium("en", "es").translate(
        ["The cat is black.", "   ", "Good morning,\nmy friends."])
    assert len(out) == 3
    assert out[0] == "El gato es negro."
    assert out[1] == ""
    assert "Buenos días" in out[2] and "\n" not in out[2]


def test_apertium_leaves_its_own_markup_characters_alone() -> None:
    out = Apertium("en", "es").translate(["It costs $5 [approx] ^x/y$ \\ too", "Hello"])
    assert len(out) == 2
    assert "$5 [approx] ^x/y$ \\" in out[0]
    assert out[1] == "Hola"


def test_apertium_en_ca_is_available() -> None:
    assert make_translator("apertium", "en", "ca").translate(["Good morning"]) == ["Bon dia"]


def test_apertium_empty_batch() -> None:
    assert Apertium("en", "es").translate([]) == []


def test_apertium_batch_ending_with_a_blank_line() -> None:
    assert Apertium("en", "es").translate(["Hello", ""]) == ["Hola", ""]


@pytest.mark.parametrize(("source", "target"), [("en", "de"), ("en", "xx"), ("es", "ca")])
def test_unsupported_apertium_pair(source: str, target: str) -> None:
    with pytest.raises(UnsupportedLanguageError, match=f"{source}->{target}"):
        Apertium(source, target)


def test_unknown_translator_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown translator 'nope'"):
        make_translator("nope", "en", "es")


def wav_info(path: Path) -> tuple[float, float]:
    """Duration in seconds and peak amplitude of a 16-bit mono WAV."""
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2
        samples = np.frombuffer(wav.readframes(wav.getnframes()), np.int16)
        return wav.getnframes() / wav.getframerate(), float(np.abs(samples).max(initial=0))


def test_espeak_writes_spanish_speech(tmp_path: Path) -> None:
    dest = tmp_path / "clip.wav"
    Espeak("es").synthesize("Hola, buenos días a todos.", dest)
    seconds, peak = wav_info(dest)
    assert seconds > 0.3
    assert peak > 1000


@pytest.mark.parametrize("text", ["--help me", "-v en", "-w {other}"])
def test_text_starting_with_a_dash_is_spoken_not_parsed(tmp_path: Path, text: str) -> None:
    dest, other = tmp_path / "clip.wav", tmp_path / "other.wav"
    make_synthesizer("espeak", "es").synthesize(text.format(other=other), dest)
    seconds, peak = wav_info(dest)
    assert seconds > 0.3 and peak > 1000
    assert not other.exists()


def test_auto_voice_for_spanish_is_espeak() -> None:
    assert isinstance(make_synthesizer("auto", "es"), Espeak)


def test_unknown_voice_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown voice 'robot'"):
        make_synthesizer("robot", "es")


def test_espeak_without_a_voice_for_the_language() -> None:
    with pytest.raises(UnsupportedLanguageError, match="'xx'"):
        Espeak("xx")
