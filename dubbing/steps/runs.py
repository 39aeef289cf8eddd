"""Which run a job's storage belongs to.

Every run writes under its own prefix (`keys.run_prefix`). A run that completes records itself
in `keys.completed_key`: from then on the job's outputs are that run's, and a later run of the
same job id (a start by hand, say) is refused before it writes anything and never removes them.
"""

from __future__ import annotations

from dubbing import keys
from dubbing.errors import BadInputError
from dubbing.stages import CleanupInput, Model
from dubbing.storage import Store


class CompletedRun(Model):
    run_id: str
    outputs: list[str] = []


def completed_run(store: Store, job_id: str) -> CompletedRun | None:
    """The run whose outputs are the job's, while all of them are still stored (a job whose
    outputs were removed, even in part, may be dubbed again)."""
    key = keys.completed_key(job_id)
    if not store.exists(key):
        return None
    done = CompletedRun.model_validate(store.get_json(key))
    if not all(store.exists(k) for k in done.outputs):
        return None
    return done


def refuse_if_completed(store: Store, job_id: str, run_id: str) -> None:
    done = completed_run(store, job_id)
    if done is not None and done.run_id != run_id:
        raise BadInputError(
            f"job {job_id} has already completed (run {done.run_id or 'before run ids'}); its "
            f"outputs are kept: fetch them with `starter result {job_id}`, change a line with "
            "`starter redub`, or submit the input with other settings for a new job")


def cleanup(store: Store, inp: CleanupInput) -> int:
    """After success keep the outputs and what a redub needs, and record the run; after a
    failure or cancel remove the run's files, and the job's input unless a completed run's
    outputs depend on it."""
    if inp.keep_outputs:
        removed = store.delete_prefix(keys.audio_key(inp.job_id, run=inp.run_id))
        store.put_json(keys.completed_key(inp.job_id),
                       CompletedRun(run_id=inp.run_id, outputs=inp.outputs).model_dump())
        return removed
    removed = store.delete_prefix(keys.run_prefix(inp.job_id, inp.run_id)) if inp.run_id else 0
    if completed_run(store, inp.job_id) is None:
        removed += store.delete_prefix(keys.job_prefix(inp.job_id))
    return removed
