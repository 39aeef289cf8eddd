"""Activities of the CPU worker: media, translation, espeak-ng synthesis (no model: jobs
voiced only by espeak-ng never wait for the GPU worker), fitting, rendering, cleanup."""

from __future__ import annotations

from temporalio import activity

from activities import voicing
from activities.base import ActivityBase, beating, checkpoint, heartbeat, translate_errors
from activities.metrics import measured
from dubbing.contract import OutputSet
from dubbing.engines import espeak
from dubbing.stages import (
    CleanupInput,
    ClusterSpeakersInput,
    ExtractInput,
    FetchInput,
    FitInput,
    ManifestRef,
    MeasureInput,
    MediaInfo,
    PlanInput,
    PrepareRedubInput,
    ProbeInput,
    RedubLine,
    RenderInput,
    SpeakersOutput,
    SynthesizeInput,
    TranslateCheckpoint,
    TranslateInput,
    Window,
)
from dubbing.steps import (
    diarize,
    fetch,
    fit,
    ingest,
    measure,
    redub,
    render,
    runs,
    translate,
)


class CpuActivities(ActivityBase):
    @activity.defn(name="fetch_source")
    @translate_errors
    def fetch_source(self, inp: FetchInput) -> int:
        with self.scratch() as tmp:
            return fetch.fetch_source(self.store, tmp, inp, self.settings, heartbeat)

    @activity.defn(name="probe_media")
    @translate_errors
    def probe_media(self, inp: ProbeInput) -> MediaInfo:
        with self.scratch() as tmp:
            return ingest.probe_input(self.store, tmp, inp, self.settings)

    @activity.defn(name="extract_audio")
    @translate_errors
    def extract_audio(self, inp: ExtractInput) -> str:
        with self.scratch() as tmp, measured("extract") as meter:
            meter.audio_seconds = inp.media.duration
            return ingest.extract_audio(self.store, tmp, inp, heartbeat)

    @activity.defn(name="plan_windows")
    @translate_errors
    def plan_windows(self, inp: PlanInput) -> list[Window]:
        with self.scratch() as tmp:
            return ingest.plan(self.store, tmp, inp, heartbeat)

    @activity.defn(name="translate_segments")
    @translate_errors
    def translate_segments(self, inp: TranslateInput) -> str:
        with measured("translate") as meter, beating() as beat:
            return meter.done(translate.translate_window(self.store, inp, beat,
                                                    checkpoint(TranslateCheckpoint),
                                                    self.settings))

    @activity.defn(name="synthesize_segments")
    @translate_errors
    def synthesize_segments(self, inp: SynthesizeInput) -> str:
        """The GPU worker's activity of the same name, for voices that need no model."""
        return voicing.synthesize_window(self, inp, espeak.speaker_synthesizer)

    @activity.defn(name="fit_segments")
    @translate_errors
    def fit_segments(self, inp: FitInput) -> str:
        with self.scratch() as tmp, measured("fit") as meter:
            return meter.done(fit.fit_window(self.store, tmp, inp, heartbeat))

    @activity.defn(name="measure_window")
    @translate_errors
    def measure_window(self, inp: MeasureInput) -> str:
        with self.scratch() as tmp:
            return measure.measure_window(self.store, tmp, inp, heartbeat)

    @activity.defn(name="render_outputs")
    @translate_errors
    def render_outputs(self, inp: RenderInput) -> OutputSet:
        with self.scratch() as tmp, measured("render") as meter:
            outputs = render.render_outputs(self.store, tmp, inp, heartbeat)
            meter.segments, meter.audio_seconds = outputs.summary.segments, inp.media.duration
            return outputs

    @activity.defn(name="prepare_redub")
    @translate_errors
    def prepare_redub(self, inp: PrepareRedubInput) -> RedubLine:
        return redub.prepare(self.store, inp)

    @activity.defn(name="load_manifest")
    @translate_errors
    def load_manifest(self, inp: ManifestRef) -> RenderInput:
        return redub.load_manifest(self.store, inp.job_id, inp.target_lang)

    @activity.defn(name="cluster_speakers")
    @translate_errors
    def cluster_speakers(self, inp: ClusterSpeakersInput) -> SpeakersOutput:
        return diarize.cluster_job(self.store, inp)

    @activity.defn(name="cleanup_job")
    @translate_errors
    def cleanup_job(self, inp: CleanupInput) -> int:
        return runs.cleanup(self.store, inp)

    def all(self) -> list:
        return [self.fetch_source, self.probe_media, self.extract_audio, self.plan_windows,
                self.translate_segments, self.synthesize_segments, self.fit_segments,
                self.measure_window, self.render_outputs, self.prepare_redub,
                self.load_manifest, self.cleanup_job, self.cluster_speakers]
