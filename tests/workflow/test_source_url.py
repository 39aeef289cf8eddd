"""A job with a source URL (the HTTP API's source_url) fetches its input before anything else;
a job without one never does; a source that cannot be fetched fails the job at once."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from dubbing import keys
from tests.workflow import helpers as h
from tests.workflow.standins import StandIns, fail


async def test_the_input_is_fetched_first_when_the_job_has_a_source(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    job = h.job(wf_id, source_key=keys.source_key(wf_id))
    await (await h.start(ts_env.client, wf_id, job)).result()
    names = stand_ins.names(wf_id)
    assert names[:2] == ["fetch_source", "probe_media"] and names.count("fetch_source") == 1
    call = stand_ins.of(wf_id, "fetch_source")[0]
    assert call.inp.source_key == keys.source_key(wf_id)
    assert call.inp.input_key == keys.input_key(wf_id)


async def test_an_uploaded_input_is_not_fetched(ts_env: WorkflowEnvironment,
                                                stand_ins: StandIns, wf_id: str) -> None:
    await (await h.start(ts_env.client, wf_id)).result()
    assert "fetch_source" not in stand_ins.names(wf_id)


async def test_a_source_that_answers_404_fails_the_job_without_a_retry(
        ts_env: WorkflowEnvironment, stand_ins: StandIns, wf_id: str) -> None:
    stand_ins.on(wf_id, "fetch_source", fail("BadInput", "source_url answered 404"))
    job = h.job(wf_id, source_key=keys.source_key(wf_id))
    cause = await h.failure(await h.start(ts_env.client, wf_id, job))
    assert isinstance(cause, ApplicationError) and cause.type == "BadInput"
    assert [c.attempt for c in stand_ins.of(wf_id, "fetch_source")] == [1]
    assert "probe_media" not in stand_ins.names(wf_id)
