"""The public contract of the dubbing service.

Other services start jobs, query progress and send signals using only the names and models here.
Workflow code imports this module, so it stays free of heavy libraries.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WORKFLOW_NAME = "DubVideo"
CPU_TASK_QUEUE = "dub-cpu"
GPU_TASK_QUEUE = "dub-gpu"

QUERY_PROGRESS = "progress"
SIGNAL_CANCEL = "cancel"
UPDATE_PAUSE = "pause"
UPDATE_RESUME = "resume"
UPDATE_REDUB = "redub_segment"
REDUB_WORKFLOW_NAME = "RedubSegment"
BATCH_WORKFLOW_NAME = "DubBatch"
WEBHOOK_WORKFLOW_NAME = "NotifyWebhook"


def webhook_workflow_id(job_id: str) -> str:
    """The workflow that delivers a job's end event: `<job id>-webhook`."""
    return f"{job_id}-webhook"
QUERY_BATCH_PROGRESS = "batch_progress"

# Typed search attributes, kept current as a job moves (register them before use: `make up`
# and docker-compose's temporal-setup job do).
SA_STAGE = "DubStage"  # Keyword
SA_SOURCE_LANG = "DubSourceLang"  # Keyword
SA_TARGET_LANGS = "DubTargetLangs"  # KeywordList
SA_MEDIA_SECONDS = "DubMediaSeconds"  # Double
SA_INPUT_NAME = "DubInputName"  # Keyword
SA_TENANT = "DubTenant"  # Keyword: the HTTP API's tenant that submitted the job
SEARCH_ATTRIBUTES = {SA_STAGE: "Keyword", SA_SOURCE_LANG: "Keyword",
                     SA_TARGET_LANGS: "KeywordList", SA_MEDIA_SECONDS: "Double",
                     SA_INPUT_NAME: "Keyword", SA_TENANT: "Keyword"}

PRIORITIES = {"high": 1, "normal": 3, "low": 5}  # Temporal priority keys: lower runs first

OUTPUT_KINDS = ("mp4", "source_srt", "target_srt", "source_vtt", "target_vtt", "report")
# The translation engines and voices a job may ask for.
PROVIDERS = ("google", "deepl", "libre", "mymemory", "microsoft")  # through deep-translator
TRANSLATORS = ("apertium", *PROVIDERS)
VOICES = ("auto", "espeak", "piper", "xtts")


def resolve_voice(voice: str, lang: str) -> str:
    """The engine a job's voice speaks `lang` with: `auto` is Piper for English, else
    espeak-ng."""
    if voice == "auto":
        return "piper" if lang == "en" else "espeak"
    return voice


def voice_needs_model(voice: str, lang: str) -> bool:
    """Whether a job's lines in `lang` need a model (Piper, XTTS) and so the GPU worker; other
    speakers of a diarized job are espeak-ng variants, which need none."""
    return resolve_voice(voice, lang) != "espeak"


MAX_SPEAKERS = 10  # the most speakers a job may ask for (or diarization may find)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TranscriptionSettings(Frozen):
    model: str = Field(
        default="tiny.en",
        description="'tiny.en' (bundled), a CTranslate2 model directory, or a model name "
        "downloadable from the Hugging Face hub.",
    )
    beam_size: int = Field(default=5, ge=1, le=10)
    max_segment_seconds: float = Field(
        default=12.0, ge=3.0, le=30.0, description="cap on a sentence-like segment's length")


class DubJob(Frozen):
    """One video to dub. The input is already in the job's storage under `input_key`."""

    input_key: str
    input_name: str = Field(description="Original file name, used to name outputs.")
    source_lang: str = "en"
    target_langs: tuple[str, ...] = ("es",)
    transcription: TranscriptionSettings = TranscriptionSettings()
    translator: str = Field(default="apertium", description="apertium or a deep-translator name")
    voice: str = Field(default="auto", description="auto, espeak, piper or xtts")
    max_stretch: float = Field(default=1.3, ge=1.0, le=2.0,
                               description="cap on how much a line is sped up")
    min_speed: float = Field(
        default=0.85, ge=0.5, le=1.0,
        description="floor on how much a line shorter than its speaker is slowed down")
    overflow: Literal["trim", "shift"] = Field(
        default="trim", description="a line still too long at the cap: fade it out at its "
        "slot end (trim), or let it run on and push the next lines (shift)")
    window_seconds: float = Field(default=180.0, ge=20.0)
    max_parallel_windows: int = Field(
        default=3, ge=1, le=16, description="windows in flight at once: with two recognitions "
        "at a time (a CPU host), a third keeps them busy while a finished window is voiced")
    subtitles: Literal["none", "embed", "burn"] = Field(
        default="none", description="put the subtitles in the MP4 as soft streams (embed) or "
        "draw the target language's into the picture (burn, re-encodes the video)")
    strict: bool = Field(
        default=False,
        description="fail the job when a line cannot be voiced, instead of keeping the "
        "original audio in its slot")
    webhook_url: str | None = Field(
        default=None, description="called with the outcome when the job ends, signed with "
        "HMAC-SHA256 (header X-Dub-Signature) using the workers' DUB_WEBHOOK_SECRET")
    webhook_unsigned: bool = Field(
        default=False, description="accept delivering the webhook unsigned when the workers "
        "have no DUB_WEBHOOK_SECRET (receivers then cannot tell it from a forgery)")
    priority: Literal["high", "normal", "low"] = "normal"
    reference_key: str | None = Field(
        default=None, description="stored reference transcript: the report gives the WER")
    audio_track: int | None = Field(
        default=None, ge=0, le=31,
        description="the audio track to dub, 0-based among the input's audio tracks (0 is "
        "the first, at most 31); None chooses automatically: the first track with speech, "
        "measured on a few short stretches of each (an input with one audio track is "
        "never measured)")
    speakers: str = Field(
        default="auto", description="who speaks: 'auto' finds the number of speakers, '1' "
        "voices every line alike (no diarization), '2'..'10' forces it; each speaker gets a "
        "voice")

    @field_validator("translator")
    @classmethod
    def _known_translator(cls, value: str) -> str:
        if value not in TRANSLATORS:
            raise ValueError(f"unknown translator {value!r}; choose one of "
                             f"{', '.join(TRANSLATORS)}")
        return value

    @field_validator("voice")
    @classmethod
    def _known_voice(cls, value: str) -> str:
        if value not in VOICES:
            raise ValueError(f"unknown voice {value!r}; choose one of {', '.join(VOICES)}")
        return value

    @field_validator("speakers", mode="before")
    @classmethod
    def _known_speakers(cls, value: object) -> str:
        value = str(value).strip().lower()
        if value == "auto" or (value.isdigit() and 1 <= int(value) <= MAX_SPEAKERS):
            return "auto" if value == "auto" else str(int(value))
        raise ValueError(f"speakers must be 'auto' or a count from 1 to {MAX_SPEAKERS}, "
                         f"not {value!r}")

    source_key: str | None = Field(
        default=None, description="stored JSON naming the URL the input is fetched from (the "
        "HTTP API's source_url) before the probe; the URL itself stays out of the history")
    glossary: dict[str, str] = Field(
        default_factory=dict, description="source term -> target term, applied before "
        "translation")
    heartbeat_seconds: float = Field(
        default=30.0, ge=2.0, le=600.0,
        description="how soon a crashed worker's activity is retried elsewhere")


class FitSummary(Frozen):
    """The headline of one language's fit report."""

    segments: int = 0
    max_speed: float = 1.0
    min_speed: float = 1.0
    mean_speed: float = 1.0
    overflows: int = Field(default=0, description="lines whose dub runs past their speech")
    trimmed: int = Field(default=0, description="lines cut off at the next line")
    isolated: int = 0
    shifted: int = 0
    translation_fallbacks: int = 0
    unknown_words: int = Field(default=0, description="source words left untranslated")
    coverage: float = Field(default=1.0, description="share of source speech with dub voice")
    uncovered_seconds: float = 0.0
    steps: dict[str, int] = Field(default_factory=dict)
    revision: int = 0
    transcription_wer: float | None = None
    loudness_lufs: float | None = Field(default=None, description="dub track, measured")
    true_peak_dbtp: float | None = Field(default=None, description="dub track, measured")
    cues: int = 0
    max_cps: float | None = Field(default=None, description="fastest target cue, chars/s")
    cues_over_max_cps: int = 0


class OutputSet(Frozen):
    """Storage keys of one target language's outputs, keyed by OUTPUT_KINDS."""

    target_lang: str
    keys: dict[str, str]
    summary: FitSummary = FitSummary()


class DubResult(Frozen):
    job_id: str
    input_name: str
    source_lang: str
    media_seconds: float
    segments: int
    outputs: tuple[OutputSet, ...]
    elapsed_seconds: float


class Stage(StrEnum):
    """The stages of a job, in order: what `progress`, the `DubStage` search attribute, the
    metrics and the CLI name."""

    PROBE = "probe"
    EXTRACT = "extract"
    PLAN = "plan"
    TRANSCRIBE = "transcribe"
    TRANSLATE = "translate"
    SYNTHESIZE = "synthesize"
    FIT = "fit"
    RENDER = "render"
    CLEANUP = "cleanup"


class JobState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLING = "cancelling"


class StageProgress(Frozen):
    done: int = 0
    total: int = 0


class Progress(Frozen):
    state: JobState
    stage: str
    stages: dict[str, StageProgress]
    percent: float
    elapsed_seconds: float
    eta_seconds: float | None
    paused: bool
    last_error: str | None = Field(
        default=None, description="while an activity is retried: why its last attempt failed "
        "(set by DubClient.progress and the CLI from the server's pending activities)")
    speakers: int | None = Field(
        default=None, description="how many speakers were found, once the lines are "
        "clustered (None: not diarized, or not yet)")


SPEAKER_LABEL = r"^S([1-9]|10)$"


class RedubRequest(Frozen):
    """Give one line (its index in the report) a new text, or move it to another speaker
    (a relabel), or both, and voice it again."""

    target_lang: str
    index: int = Field(ge=0, description="the line's index in the report")
    text: str | None = Field(default=None, min_length=1, max_length=2000,
                             description="the new text; None keeps the line's text")
    speaker: str | None = Field(default=None, pattern=SPEAKER_LABEL,
                                description="S1-S10: the speaker whose voice the line gets; "
                                "None keeps the line's speaker")

    @model_validator(mode="after")
    def _changes_something(self) -> RedubRequest:
        if self.text is None and self.speaker is None:
            raise ValueError("a redub needs a new text, a speaker, or both")
        return self


class RedubJob(Frozen):
    """Input of the follow-up workflow that redubs a line of a finished job."""

    job_id: str
    request: RedubRequest


class BatchItem(Frozen):
    """One video of a batch: already uploaded, with the job to run on it."""

    job: DubJob
    job_id: str


class BatchJob(Frozen):
    items: tuple[BatchItem, ...]
    max_running: int = Field(default=2, ge=1, le=64)


class BatchItemResult(Frozen):
    job_id: str
    input_name: str
    state: Literal["pending", "running", "completed", "failed"]
    error: str | None = None
    segments: int | None = None


class BatchProgress(Frozen):
    total: int
    done: int
    failed: int
    running: int
    items: tuple[BatchItemResult, ...]


class WebhookEvent(Frozen):
    """The body POSTed to a job's webhook URL when it ends."""

    job_id: str
    state: Literal["completed", "failed", "cancelled"]
    input_name: str
    result: DubResult | None = None
    error: str | None = None


class CancelRequest(Frozen):
    reason: str = "cancelled by request"


DEFAULT_EXECUTION_TIMEOUT = timedelta(days=2)
