"""Inputs and outputs of the pipeline's activities (internal to the service).

Only small models travel through Temporal; media, segment lists and clips live in storage and
are referenced by key.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dubbing.contract import DubJob, RedubRequest, TranscriptionSettings, WebhookEvent
from dubbing.fit import DEFAULT_MIN_SPEED


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MediaInfo(Model):
    """The probed input. `audio_codec`, `sample_rate` and `channels` describe the audio track
    that is dubbed (`audio_track`), which the mux keeps as the original track."""

    duration: float
    has_video: bool
    video_codec: str | None
    audio_codec: str
    sample_rate: int
    channels: int
    width: int = Field(default=0, description="of the video, in pixels (0: no video)")
    height: int = Field(default=0, description="of the video, in pixels (0: no video)")
    audio_track: int = Field(
        default=0, ge=0, description="the audio track dubbed, 0-based among the audio tracks")
    audio_choice: Literal["asked", "speech", "only", "first"] = Field(
        default="first", description="why that track: asked for by the job, the first with "
        "speech (automatic), the only audio track, or the first because no track had speech "
        "(also media probed before tracks were compared)")
    audio_tracks: list[dict[str, Any]] = Field(
        default_factory=list, description="every audio track: index, codec, channels, "
        "sample_rate, language (its tag or None), speech_seconds found in measured_seconds "
        "(both None when the tracks were not measured)")


class Window(Model):
    index: int
    start: float
    end: float
    chunks: tuple[float, ...] = ()

    def chunk_bounds(self) -> list[tuple[float, float]]:
        """Chunks decoded independently, one checkpoint each; the whole window by default."""
        edges = self.chunks or (self.start, self.end)
        return list(pairwise(edges))


class Segment(Model):
    index: int
    start: float
    end: float
    text: str


class Clip(Model):
    """A synthesized line; `key` is None when synthesis failed and the line was isolated."""

    index: int
    key: str | None
    duration: float
    error: str | None = None
    rate: float = Field(default=1.0, description="speaking rate it was synthesized at")
    natural_seconds: float | None = Field(default=None, description="length at rate 1.0")
    speaker: str | None = Field(default=None, description="S1, S2, ... when diarized")
    voice: str | None = Field(default=None, description="the voice it was spoken with")


class FitRecord(Model):
    index: int
    start: float
    end: float
    slot_end: float
    source_text: str
    target_text: str
    synthesized_seconds: float
    speed: float
    placed_seconds: float
    overflow_seconds: float = Field(description="how far the dub runs past the speech span")
    fitted_key: str | None
    error: str | None = Field(
        default=None, description="why the line was isolated: its slot keeps the original audio")
    step: str = "fits"
    rate: float = 1.0
    tempo: float = 1.0
    placed_start: float | None = Field(default=None, description="later than start if shifted")
    revision: int = 0
    revisions: list[dict[str, Any]] = Field(default_factory=list)
    natural_seconds: float | None = None
    translation_engine: str | None = None
    translation_fallback: str | None = Field(
        default=None, description="why the offline engine stood in for the chosen provider")
    unknown_words: list[str] = Field(
        default_factory=list, description="source words the translator left untranslated")
    trimmed_seconds: float = Field(default=0.0, description="cut off at the next line")
    voice_pauses: list[tuple[float, float]] = Field(
        default_factory=list, description="pauses inside the fitted dub, from its start")
    speaker: str | None = Field(default=None, description="S1, S2, ... when diarized")
    voice: str | None = Field(default=None, description="the voice the dub was spoken with")


    @property
    def placed_from(self) -> float:
        """Where the dub of the line starts: its own start unless a longer line pushed it."""
        return self.start if self.placed_start is None else self.placed_start

class RunScoped(Model):
    """Input of a step that reads or writes the run's own storage (`keys.run_prefix`)."""

    job_id: str
    run_id: str = Field(default="", description="empty for runs from before run-scoped storage")


class FetchInput(RunScoped):
    """Fetch the input from the URL stored under `source_key` into `input_key`."""

    source_key: str
    input_key: str


class ProbeInput(RunScoped):
    """The job's settings are checked against this worker's engines before anything else."""

    job: DubJob


class ExtractInput(RunScoped):
    input_key: str
    input_name: str
    media: MediaInfo


class PlanInput(RunScoped):
    audio_key: str
    duration: float
    window_seconds: float


class TranscribeInput(RunScoped):
    audio_key: str
    window: Window
    language: str
    settings: TranscriptionSettings


class TranscribeOutput(Model):
    segments_key: str
    count: int
    resumed_at: float | None = None
    decoded_seconds: float = 0.0


class EmbedSpeakersInput(RunScoped):
    """Embed the voice of every line of a window (its speech spans in `segments_key`)."""

    audio_key: str
    window: Window
    segments_key: str


class ClusterSpeakersInput(RunScoped):
    """Cluster every line of the job by voice: the windows' embeddings in window order."""

    embeddings_keys: list[str]
    speakers: str = Field(description="'auto' or the count, as in DubJob.speakers")


class SpeakersOutput(Model):
    speakers_key: str
    count: int


class TranslateInput(RunScoped):
    window_index: int
    segments_key: str
    source_lang: str
    target_lang: str
    translator: str
    glossary: dict[str, str] = Field(default_factory=dict)


class SynthesizeInput(RunScoped):
    window_index: int
    texts_key: str
    target_lang: str
    voice: str
    strict: bool = False
    segments_key: str = Field(description="the lines' speech spans and speaker reference")
    audio_key: str = Field(description="for the speaker reference")
    window_seconds: float = Field(description="the window's length, for the time limit")
    max_stretch: float = 1.3
    min_speed: float = DEFAULT_MIN_SPEED
    lines: list[int] | None = Field(default=None, description="voice only these lines again")
    revision: int = 0
    speakers_key: str | None = Field(
        default=None, description="the job's speaker labels: each line gets its speaker's "
        "voice (None: one voice, or a redub, which keeps the voice its clip had)")


class FitInput(RunScoped):
    window: Window
    target_lang: str
    segments_key: str
    texts_key: str
    clips_key: str
    max_stretch: float
    overflow: str = "trim"
    min_speed: float = DEFAULT_MIN_SPEED


class MeasureInput(RunScoped):
    """A fitted window's share of the mix, measured while later windows are recognised."""

    window: Window
    target_lang: str
    fit_key: str
    input_key: str
    media: MediaInfo


class RenderInput(RunScoped):
    input_key: str
    input_name: str
    source_lang: str
    target_lang: str
    media: MediaInfo
    fit_keys: list[str]
    job: DubJob | None = Field(default=None, description="kept in the manifest for redubs")
    windows: list[Window] = Field(default_factory=list)


class PrepareRedubInput(RunScoped):
    request: RedubRequest
    windows: list[Window]
    fit_keys: list[str]


class RedubLine(Model):
    """Where a redubbed line lives, its new revision, and the window's stored work."""

    window: Window
    line: int
    revision: int
    texts_key: str
    segments_key: str
    clips_key: str
    audio_key: str


class CleanupInput(RunScoped):
    keep_outputs: bool
    outputs: list[str] = Field(default_factory=list,
                               description="the completed run's output keys, when keeping them")


class ManifestRef(Model):
    job_id: str
    target_lang: str


class CancelJob(Model):
    workflow_id: str
    reason: str


class WebhookCall(Model):
    url: str
    event: WebhookEvent


class TranscribeCheckpoint(Model):
    """Heartbeat of transcription: the chunks finished, their lines, where decoding is."""

    chunks_done: int = 0
    segments: list[Segment] = Field(default_factory=list)
    position: float | None = None


class TranslateCheckpoint(Model):
    """Heartbeat of translation: the lines translated so far and which engine did each."""

    texts: list[str] = Field(default_factory=list)
    engines: list[dict[str, Any]] = Field(default_factory=list)


class SynthesizeCheckpoint(Model):
    """Heartbeat of synthesis: the clips voiced so far."""

    clips: list[Clip] = Field(default_factory=list)
