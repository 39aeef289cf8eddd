"""Configuration is read at the edges only: one settings model reads the environment, and
everything else is handed its values."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dubbing.settings import Settings, defaults

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ("dubbing", "workflows", "activities", "worker", "starter", "api", "dubclient")
SETTINGS = ROOT / "dubbing" / "settings.py"


def environment_reads(path: Path) -> list[int]:
    """Lines of `path` that touch os.environ or call os.getenv / os.putenv."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id == "os" and node.attr in ("environ", "getenv", "putenv",
                                                        "environb"):
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                a.name in ("environ", "getenv") for a in node.names):
            lines.append(node.lineno)
    return lines


def test_no_application_code_reads_the_environment_but_the_settings() -> None:
    found = {}
    for package in APPLICATION:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            if path != SETTINGS and (lines := environment_reads(path)):
                found[str(path.relative_to(ROOT))] = lines
    assert found == {}, f"read the environment only in dubbing/settings.py: {found}"


def test_the_scan_finds_an_environment_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom os import getenv\nx = os.environ.get('A')\n")
    assert environment_reads(sample) == [2, 3]


def test_the_engines_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUB_TRANSLATOR_URL", "http://translate.example/")
    monkeypatch.setenv("DUB_ASR_THREADS", "3")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings()
    assert (settings.translator_url, settings.asr_threads, settings.hf_hub_offline) == (
        "http://translate.example/", 3, True)
    assert defaults().asr_threads == 0, "the defaults read nothing"


def test_s3_storage_has_no_default_credentials() -> None:
    from dubbing.errors import ConfigurationError
    from dubbing.storage import open_store

    with pytest.raises(ConfigurationError, match="DUB_S3_ACCESS_KEY and DUB_S3_SECRET_KEY"):
        open_store("s3://dubbing", Settings.model_construct())
