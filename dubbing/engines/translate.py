"""Translation engines: Apertium offline, deep-translator providers online."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Protocol

from dubbing.errors import ConfigurationError, DubError, ToolError, UnsupportedLanguageError
from dubbing.languages import APERTIUM_MODES
from dubbing.media.tools import run_tool

DEEP_PROVIDERS = {
    "google": "GoogleTranslator",
    "deepl": "DeeplTranslator",
    "libre": "LibreTranslator",
    "mymemory": "MyMemoryTranslator",
    "microsoft": "MicrosoftTranslator",
}
TRANSLATORS = ("apertium", *DEEP_PROVIDERS)


class Translator(Protocol):
    name: str

    def translate(self, texts: list[str]) -> list[str]: ...


class TranslationError(DubError):
    type = "TranslationFailed"
    retryable = True


def apertium_modes() -> set[str]:
    if shutil.which("apertium") is None:
        raise ConfigurationError("apertium is not installed: install the Debian package 'apertium'")
    out = subprocess.run(["apertium", "-l"], capture_output=True, text=True, check=False).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


class Apertium:
    name = "apertium"

    def __init__(self, source: str, target: str) -> None:
        mode = APERTIUM_MODES.get((source, target))
        if mode is None or mode not in apertium_modes():
            raise UnsupportedLanguageError(
                f"Apertium cannot translate {source}->{target} here (installed pairs: "
                f"{', '.join(sorted(apertium_modes()))}); install apertium-{source}-{target} "
                "or choose another translator"
            )
        self.mode = mode

    def translate(self, texts: list[str]) -> list[str]:
        """One process for the whole batch: Apertium keeps one output line per input line."""
        lines = [" ".join(t.split()) for t in texts]
        out = run_tool(["apertium", "-u", self.mode], what="apertium",
                       input_text="\n".join(lines) + "\n", timeout=600).stdout
        result = out.split("\n")[: len(lines)] if lines else []
        if len(result) != len(lines):
            raise ToolError(f"apertium returned {len(result)} lines for {len(lines)}")
        return [r.strip() for r in result]


class DeepTranslator:
    """A deep-translator provider; credentials come from DUB_TRANSLATOR_API_KEY / _URL."""

    def __init__(self, provider: str, source: str, target: str) -> None:
        import deep_translator

        self.name = provider
        cls = getattr(deep_translator, DEEP_PROVIDERS[provider])
        kwargs: dict[str, str] = {"source": source, "target": target}
        if key := os.environ.get("DUB_TRANSLATOR_API_KEY"):
            kwargs["api_key"] = key
        if url := os.environ.get("DUB_TRANSLATOR_URL"):
            kwargs["custom_url"] = url
        try:
            self._impl = cls(**kwargs)
        except Exception as exc:
            raise UnsupportedLanguageError(f"{provider} cannot translate {source}->{target}: "
                                           f"{exc}") from exc

    def translate(self, texts: list[str]) -> list[str]:
        try:
            return [str(t or "") for t in self._impl.translate_batch(texts)]
        except Exception as exc:
            raise TranslationError(f"{self.name} translation failed: {exc}") from exc


def make_translator(name: str, source: str, target: str) -> Translator:
    if name == "apertium":
        return Apertium(source, target)
    if name in DEEP_PROVIDERS:
        return DeepTranslator(name, source, target)
    raise ConfigurationError(
        f"unknown translator {name!r}; choose one of: {', '.join(TRANSLATORS)}"
    )
