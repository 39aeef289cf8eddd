"""The API's JSON shapes (docs/api.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dubbing.contract import SPEAKER_LABEL, FitSummary

DubState = Literal["queued", "running", "paused", "cancelling", "completed", "failed",
                   "cancelled"]


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Output(Out):
    name: str = Field(description="e.g. es.mp4, es.srt, en.vtt, es.report.json")
    kind: str
    content_type: str
    url: str = Field(description="a signed link, valid without the bearer key for a while")


class Language(Out):
    lang: str
    state: DubState
    summary: FitSummary | None = None
    outputs: list[Output] = []


class ErrorInfo(Out):
    type: str
    message: str


class Dub(Out):
    id: str
    state: DubState
    stage: str | None = None
    percent: float = 0.0
    eta_seconds: float | None = None
    elapsed_seconds: float | None = None
    input_name: str | None = None
    source_lang: str | None = None
    target_langs: list[str] = []
    created_at: str | None = None
    last_error: str | None = None
    speakers: int | None = Field(default=None, description="speakers found, once known "
                                 "(jobs with speakers other than 1)")
    error: ErrorInfo | None = None
    languages: list[Language] = []
    links: dict[str, str] = {}


class DubList(Out):
    items: list[Dub]
    next_cursor: str | None = None


class Lines(Out):
    lang: str
    revision: int
    lines: list[dict[str, Any]]


class LineEdit(BaseModel):
    """A new text, a speaker to move the line to (a relabel), or both."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, min_length=1, max_length=2000)
    speaker: str | None = Field(default=None, pattern=SPEAKER_LABEL,
                                description="S1-S10: the speaker whose voice the line gets")


class Redubbed(Out):
    index: int
    lang: str
    revision: int | None
    message: str
    dub: Dub | None = None


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="cancelled through the API", max_length=500)


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=255)
    size: int | None = Field(default=None, ge=1)


class UploadTicket(Out):
    upload_id: str
    upload_url: str
    method: str = "PUT"
    expires_at: str
