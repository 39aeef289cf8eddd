"""The plain benchmark script still runs end to end, so `make bench` cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import plain

pytestmark = pytest.mark.slow  # a whole dub on the real engines
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample.mp4"


def test_plain_script_dubs_the_sample(tmp_path: Path) -> None:
    result = plain.main([str(SAMPLE), "--to", "es", "--out", str(tmp_path / "out")])

    names = sorted(p.name for p in result.outputs)
    assert names == sorted(["sample.es.mp4", "sample.en.srt", "sample.es.srt", "sample.en.vtt",
                            "sample.es.vtt", "sample.es.report.json"])
    assert all(p.is_file() and p.stat().st_size > 0 for p in result.outputs)
    report = json.loads((tmp_path / "out" / "sample.es.report.json").read_text())
    assert report["segments"], "the report has no segments"
    assert result.segments == len(report["segments"]) > 0
