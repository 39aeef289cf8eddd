"""How every job starts, shared by the clients and the batch workflow: id policies, the one-line
summary and the settings the Web UI shows, the search attributes, the priority."""

from __future__ import annotations

import re
from typing import Any

from temporalio.common import (
    Priority,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from dubbing.contract import (
    CPU_TASK_QUEUE,
    DEFAULT_EXECUTION_TIMEOUT,
    PRIORITIES,
    SA_INPUT_NAME,
    SA_SOURCE_LANG,
    SA_STAGE,
    SA_TARGET_LANGS,
    SA_TENANT,
    DubJob,
    DubResult,
)

# The characters that make markdown (with GitHub's autolinks) or HTML of user text in the Web
# UI, escaped with a backslash; "www." is broken up the same way.
_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#!|~&:])|(?<=www)\.", re.IGNORECASE)


def plain(text: str) -> str:
    """User text as markdown that renders as the same text: no link, image, HTML or table cell
    of its own, on one line."""
    return _MARKUP.sub(lambda m: "\\" + m.group(0), " ".join(text.split()))


def summary(job: DubJob, seconds: float | None = None) -> str:
    """The one line the Web UI shows for the job: "dub talk.mp4 en->es, 6:12"."""
    length = f", {int(seconds) // 60}:{int(seconds) % 60:02d}" if seconds else ""
    langs = f"{job.source_lang}->{','.join(job.target_langs)}"
    return f"dub {plain(job.input_name)} {plain(langs)}{length}"


def details(job: DubJob) -> str:
    """The settings, as markdown for the Web UI's details pane."""
    rows = [("translator", job.translator), ("voice", job.voice),
            ("speech model", job.transcription.model), ("max stretch", f"{job.max_stretch}x"),
            ("min speed", f"{job.min_speed}x"),
            ("overflow", job.overflow), ("subtitles", job.subtitles),
            ("priority", job.priority)]
    return "\n".join(["| setting | value |", "|---|---|",
                      *(f"| {k} | {plain(str(v))} |" for k, v in rows)])


def search_attributes(job: DubJob, tenant: str | None = None) -> TypedSearchAttributes:
    """What a job is filtered by in the Web UI and `starter list`, as it starts (`tenant`: the
    HTTP API's tenant that submitted it)."""
    owner = [] if tenant is None else [
        SearchAttributePair(SearchAttributeKey.for_keyword(SA_TENANT), tenant)]
    return TypedSearchAttributes([*owner,
        SearchAttributePair(SearchAttributeKey.for_keyword(SA_STAGE), "queued"),
        SearchAttributePair(SearchAttributeKey.for_keyword(SA_SOURCE_LANG), job.source_lang),
        SearchAttributePair(SearchAttributeKey.for_keyword_list(SA_TARGET_LANGS),
                            list(job.target_langs)),
        SearchAttributePair(SearchAttributeKey.for_keyword(SA_INPUT_NAME), job.input_name),
    ])


def start_options(job: DubJob, seconds: float | None = None,
                  tenant: str | None = None) -> dict[str, Any]:
    """How every client starts a job: id policies, summary and details, search attributes,
    priority. Resubmitting attaches to a running or completed job."""
    return {
        "task_queue": CPU_TASK_QUEUE,
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        "id_reuse_policy": WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        "execution_timeout": DEFAULT_EXECUTION_TIMEOUT,
        "static_summary": summary(job, seconds), "static_details": details(job),
        "search_attributes": search_attributes(job, tenant),
        "priority": Priority(priority_key=PRIORITIES[job.priority]),
        "result_type": DubResult,
    }
