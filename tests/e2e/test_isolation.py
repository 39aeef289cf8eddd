"""A line that cannot be voiced is isolated: its slot keeps the original audio, the job completes.

The fault comes from a wrapper around the real espeak-ng engine that fails on one chosen line;
everything else (Temporal, workers, ffmpeg, Whisper, Apertium) is real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError

from bench.media import speech_video
from dubbing import keys
from dubbing.contract import DubJob, DubResult
from dubbing.engines import espeak, tts
from dubbing.errors import ToolError
from dubbing.settings import Settings
from dubbing.storage import open_store
from starter import jobs
from tests.helpers import decode_track

pytestmark = pytest.mark.slow
FAILING_LINE = 2  # zero-based, in order of first synthesis


class FaultyVoice:
    """Real espeak-ng, except that one line fails `failures` times (forever if None)."""

    def __init__(self, inner: tts.Synthesizer, failures: int | None,
                 fired: list[str]) -> None:
        self.inner = inner
        self.name = inner.name
        self.has_rate = inner.has_rate
        self.failures = failures
        self.fired = fired  # every injected failure, by the text it failed on
        self.seen: list[str] = []

    def synthesize(self, text: str, dest: Path, rate: float = 1.0) -> None:
        if text not in self.seen:
            self.seen.append(text)
        if self.seen.index(text) == FAILING_LINE and self.failures != 0:
            if self.failures is not None:
                self.failures -= 1
            self.fired.append(text)
            raise ToolError("espeak-ng failed (exit -11): segmentation fault")
        self.inner.synthesize(text, dest, rate)


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Make every synthesizer faulty, on both workers (espeak-ng voices run on the CPU worker,
    the others on the GPU worker; both run in this process); set ['failures'] before starting
    the job. ['fired'] lists the texts of the failures injected."""
    plan: dict[str, Any] = {"failures": None, "fired": []}
    real, cpu = tts.make_synthesizer, espeak.speaker_synthesizer
    monkeypatch.setattr(tts, "make_synthesizer",
                        lambda voice, lang, reference=None: FaultyVoice(
                            real(voice, lang, reference), plan["failures"], plan["fired"]))
    monkeypatch.setattr(espeak, "speaker_synthesizer",
                        lambda voice, lang, speaker, reference=None: FaultyVoice(
                            cpu(voice, lang, speaker, reference), plan["failures"],
                            plan["fired"]))
    return plan


async def _run(env, settings: Settings, video: Path, **changes: object) -> WorkflowHandle:
    job = DubJob(input_key="pending", input_name=video.name, **changes)  # type: ignore[arg-type]
    return await jobs.submit(env.client, open_store(settings.store), video, job)


def _report(settings: Settings, result: DubResult) -> dict:
    return json.loads((Path(settings.store) / result.outputs[0].keys["report"]).read_text())


async def test_failing_line_keeps_the_original_audio(env, workers: Settings, faulty,
                                                    tmp_path: Path) -> None:
    video = speech_video(tmp_path / "isolated.mp4", 40)
    handle = await _run(env, workers, video)
    result: DubResult = await handle.result()
    report = _report(workers, result)
    isolated = [s for s in report["segments"] if s["isolated"]]
    assert report["summary"]["isolated"] == 1 and len(isolated) == 1
    line = isolated[0]
    assert "espeak-ng failed" in line["error"] and line["placed_seconds"] == 0
    assert result.outputs[0].summary.isolated == 1
    # In the isolated slot the dub track carries the original speech at its own level.
    dub = decode_track(Path(workers.store) / result.outputs[0].keys["mp4"], "0:a:0")
    original = decode_track(video, "0:a:0")
    start, end = line["start"] + 0.5, min(line["slot_end"], line["end"]) - 0.3
    part = slice(int(start * 48000), int(end * 48000))
    correlation = np.corrcoef(dub[part], original[part])[0, 1]
    assert correlation > 0.8, f"the slot should hold the original audio ({correlation:.2f})"


async def test_a_line_that_recovers_is_not_isolated(env, workers: Settings, faulty,
                                                   tmp_path: Path) -> None:
    faulty["failures"] = 1
    video = speech_video(tmp_path / "recovers.mp4", 41)
    result: DubResult = await (await _run(env, workers, video)).result()
    report = _report(workers, result)
    # The fault really fired, once, on a line of this job; the in-place retry voiced it.
    assert len(faulty["fired"]) == 1, f"the fault fired {len(faulty['fired'])} times, not once"
    failed = [s for s in report["segments"] if s["target_text"] == faulty["fired"][0]]
    assert failed, f"the failure hit no line of the report: {faulty['fired']}"
    assert report["summary"]["isolated"] == 0
    assert all(s["placed_seconds"] > 0 and not s["isolated"] for s in report["segments"])


async def test_strict_fails_the_job_and_leaves_nothing(env, workers: Settings, faulty,
                                                      tmp_path: Path) -> None:
    video = speech_video(tmp_path / "strict.mp4", 42)
    handle = await _run(env, workers, video, strict=True)
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "SegmentFailed"
    assert "without --strict" in cause.message
    assert not (Path(workers.store) / keys.job_prefix(handle.id)).exists()
