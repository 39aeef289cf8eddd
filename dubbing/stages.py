"""Inputs and outputs of the pipeline's activities (internal to the service).

Only small models travel through Temporal; media, segment lists and clips live in storage and
are referenced by key.
"""

from __future__ import annotations

from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field

from dubbing.contract import DubJob, TranscriptionSettings


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MediaInfo(Model):
    duration: float
    has_video: bool
    video_codec: str | None
    audio_codec: str
    sample_rate: int
    channels: int


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
    overflow_seconds: float
    fitted_key: str | None
    error: str | None = Field(
        default=None, description="why the line was isolated: its slot keeps the original audio")
    translation_engine: str | None = None
    translation_fallback: str | None = Field(
        default=None, description="why the offline engine stood in for the chosen provider")


class JobRef(Model):
    job_id: str
    input_key: str


class ProbeInput(Model):
    job_id: str
    input_key: str
    input_name: str
    job: DubJob | None = None


class PlanInput(Model):
    job_id: str
    audio_key: str
    duration: float
    window_seconds: float


class TranscribeInput(Model):
    job_id: str
    audio_key: str
    window: Window
    language: str
    settings: TranscriptionSettings


class TranscribeOutput(Model):
    segments_key: str
    count: int
    resumed_at: float | None = None
    decoded_seconds: float = 0.0


class TranslateInput(Model):
    job_id: str
    window_index: int
    segments_key: str
    source_lang: str
    target_lang: str
    translator: str


class SynthesizeInput(Model):
    job_id: str
    window_index: int
    texts_key: str
    target_lang: str
    voice: str
    strict: bool = False
    segments_key: str | None = Field(default=None, description="for the speaker reference")
    audio_key: str | None = Field(default=None, description="for the speaker reference")


class FitInput(Model):
    job_id: str
    window: Window
    target_lang: str
    segments_key: str
    texts_key: str
    clips_key: str
    max_stretch: float


class RenderInput(Model):
    job_id: str
    input_key: str
    input_name: str
    source_lang: str
    target_lang: str
    media: MediaInfo
    fit_keys: list[str]


class CleanupInput(Model):
    job_id: str
    keep_outputs: bool
