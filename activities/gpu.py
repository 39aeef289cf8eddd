"""Activities of the GPU worker: speech recognition and synthesis, models loaded once."""

from __future__ import annotations

from temporalio import activity

from activities import voicing
from activities.base import ActivityBase, beating, checkpoint, translate_errors
from activities.metrics import measured
from dubbing.engines import tts
from dubbing.stages import (
    EmbedSpeakersInput,
    SynthesizeInput,
    TranscribeCheckpoint,
    TranscribeInput,
    TranscribeOutput,
)
from dubbing.steps import speakers, transcribe


class GpuActivities(ActivityBase):
    @activity.defn(name="transcribe_window")
    @translate_errors
    def transcribe_window(self, inp: TranscribeInput) -> TranscribeOutput:
        with self.scratch() as tmp, measured("transcribe") as meter, beating() as beat:
            out = transcribe.transcribe_window(self.store, tmp, inp, beat,
                                           checkpoint(TranscribeCheckpoint), self.settings)
            meter.segments, meter.audio_seconds = out.count, out.decoded_seconds
            return out

    @activity.defn(name="synthesize_segments")
    @translate_errors
    def synthesize_segments(self, inp: SynthesizeInput) -> str:
        return voicing.synthesize_window(self, inp, tts.speaker_synthesizer)

    @activity.defn(name="embed_speakers")
    @translate_errors
    def embed_speakers(self, inp: EmbedSpeakersInput) -> str:
        with self.scratch() as tmp, beating() as beat:
            return speakers.embed_window(self.store, tmp, inp, beat)

    def all(self) -> list:
        return [self.transcribe_window, self.synthesize_segments, self.embed_speakers]
