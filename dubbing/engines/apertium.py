"""Apertium, the offline translator: one process per batch, untranslated words kept."""

from __future__ import annotations

import re
import shutil
import subprocess

from dubbing.errors import ConfigurationError, ToolError, UnsupportedLanguageError
from dubbing.languages import APERTIUM_MODES
from dubbing.media.tools import Beat, run_tool


def apertium_modes() -> set[str]:
    if shutil.which("apertium") is None:
        raise ConfigurationError("apertium is not installed: install the Debian package 'apertium'")
    out = subprocess.run(["apertium", "-l"], capture_output=True, text=True, check=False).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


# Apertium marks what it could not do: *unknown word, #generation error, @transfer error.
_MARKED = re.compile(r"[*#@]([^\W\d_][\w'\-]*)")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?\u2026)\]\u00bb])")


def unmark(line: str) -> tuple[str, list[str]]:
    """Apertium's output line without its marks, whitespace normalised, and the marked words."""
    words = _MARKED.findall(line)
    text = _MARKED.sub(lambda m: m.group(1), line)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(text.split()))
    return text, words


class Apertium:
    name = "apertium"
    used: str = "apertium"
    fallback_reason: str | None = None

    def __init__(self, source: str, target: str, beat: Beat | None = None) -> None:
        """`beat` is called while Apertium works, so a long run heartbeats (and a cancel
        reaches it)."""
        self.beat = beat
        mode = APERTIUM_MODES.get((source, target))
        if mode is None or mode not in apertium_modes():
            raise UnsupportedLanguageError(
                f"Apertium cannot translate {source}->{target} here (installed pairs: "
                f"{', '.join(sorted(apertium_modes()))}); install apertium-{source}-{target} "
                "or choose another translator"
            )
        self.mode = mode
        self.unknown_words: list[list[str]] = []

    def translate(self, texts: list[str]) -> list[str]:
        """One process for the whole batch: Apertium keeps one output line per input line.

        It runs without `-u`, so the marks of words it could not translate come back; they
        are stripped from the text and kept in `unknown_words`."""
        lines = [" ".join(t.split()) for t in texts]
        out = run_tool(["apertium", self.mode], what="apertium",
                       input_text="\n".join(lines) + "\n", timeout=600, beat=self.beat).stdout
        result = out.split("\n")[: len(lines)] if lines else []
        if len(result) != len(lines):
            raise ToolError(f"apertium returned {len(result)} lines for {len(lines)}")
        unmarked = [unmark(r) for r in result]
        self.unknown_words = [words for _, words in unmarked]
        return [text for text, _ in unmarked]
