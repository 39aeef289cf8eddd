"""Publishing a job's progress outside the workflow: the DubStage and DubMediaSeconds search
attributes (for filtering in the Web UI and `starter list`) and the current details."""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import SA_MEDIA_SECONDS, SA_STAGE
    from workflows.progress import Tracker

STAGE = SearchAttributeKey.for_keyword(SA_STAGE)
MEDIA_SECONDS = SearchAttributeKey.for_float(SA_MEDIA_SECONDS)


async def publish(tracker: Tracker) -> None:
    """Upsert DubStage when the job moves to a new stage (a handful of times per job) and keep
    the current details (no history events) in step with every change."""
    shown = ["", ""]  # the stage and details last published

    def changed() -> bool:
        return [tracker.phase(), tracker.details()] != shown

    while True:
        await workflow.wait_condition(changed)
        if tracker.phase() != shown[0]:
            shown[0] = tracker.phase()
            workflow.upsert_search_attributes([STAGE.value_set(shown[0])])
        shown[1] = tracker.details()
        workflow.set_current_details(shown[1])


def publish_media_seconds(seconds: float) -> None:
    workflow.upsert_search_attributes([MEDIA_SECONDS.value_set(seconds)])
