"""Diarization in DubVideo on stand-ins: every window embedded after its transcription, one
clustering after the last, no window voiced before the labels are known, no deadlock when the
windows outnumber the slots; a one-speaker job runs neither activity."""

from __future__ import annotations

import itertools
from typing import Any

from temporalio.testing import WorkflowEnvironment

from dubbing import keys
from dubbing.contract import GPU_TASK_QUEUE, QUERY_PROGRESS, Progress
from dubbing.stages import Window
from tests.workflow import helpers as h
from tests.workflow.standins import MEDIA_SECONDS, Call, StandIns

THIRD = MEDIA_SECONDS / 3


def three_windows() -> list[Window]:
    return [Window(index=i, start=i * THIRD, end=(i + 1) * THIRD) for i in range(3)]


async def plan_three(call: Call) -> Any:
    return three_windows()


def before(a: Call, b: Call) -> bool:
    return a.ended is not None and a.ended <= b.started


async def test_every_window_is_embedded_then_clustered_once_before_any_synthesis(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    stand_ins.on(wf_id, "plan_windows", plan_three)
    handle = await h.start(ts_env.client, wf_id, target_langs=("es", "ca"))  # auto: the default
    result = await handle.result()
    assert result.segments == 9

    embeds = stand_ins.of(wf_id, "embed_speakers")
    assert sorted(c.inp.window.index for c in embeds) == [0, 1, 2]
    assert {c.queue for c in embeds} == {GPU_TASK_QUEUE}
    transcribed = {c.inp.window.index: c for c in stand_ins.of(wf_id, "transcribe_window")}
    assert all(before(transcribed[c.inp.window.index], c) for c in embeds)
    assert all(c.inp.segments_key == keys.segments_key(wf_id, c.inp.window.index)
               for c in embeds)

    [cluster] = stand_ins.of(wf_id, "cluster_speakers")
    assert cluster.inp.speakers == "auto"
    assert cluster.inp.embeddings_keys == [
        keys.embeddings_key(wf_id, i, run=cluster.inp.run_id) for i in range(3)]
    assert all(before(e, cluster) for e in embeds)
    synths = stand_ins.of(wf_id, "synthesize_segments")
    assert len(synths) == 6
    assert all(before(cluster, s) for s in synths)
    assert {s.inp.speakers_key for s in synths} == {keys.speakers_key(wf_id,
                                                                      run=cluster.inp.run_id)}
    progress = await handle.query(QUERY_PROGRESS, result_type=Progress)
    assert progress.speakers == 2
    await h.replay(handle)


async def test_one_slot_and_three_windows_do_not_deadlock(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    stand_ins.on(wf_id, "plan_windows", plan_three)
    handle = await h.start(ts_env.client, wf_id, speakers="2", max_parallel_windows=1)
    result = await handle.result()
    assert result.segments == 9
    assert stand_ins.of(wf_id, "cluster_speakers")[0].inp.speakers == "2"
    # One slot: never two window activities on the GPU at once.
    gpu = sorted((c for c in stand_ins.of(wf_id) if c.queue == GPU_TASK_QUEUE),
                 key=lambda c: c.started)
    assert all(before(a, b) for a, b in itertools.pairwise(gpu))
    assert len(stand_ins.of(wf_id, "fit_segments")) == 3


async def test_one_speaker_runs_neither_activity(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    handle = await h.start(ts_env.client, wf_id, speakers="1")
    await handle.result()
    names = stand_ins.names(wf_id)
    assert "embed_speakers" not in names and "cluster_speakers" not in names
    assert all(c.inp.speakers_key is None for c in stand_ins.of(wf_id, "synthesize_segments"))
    progress = await handle.query(QUERY_PROGRESS, result_type=Progress)
    assert progress.speakers is None
    markers = [e for e in await h.events(handle) if e.HasField("marker_recorded_event_attributes")]
    assert not any(b"diarize-speakers" in e.SerializeToString() for e in markers)
