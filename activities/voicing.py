"""Synthesis as both workers run it: the GPU worker with every engine, the CPU worker with
espeak-ng only (`voices` tells which)."""

from __future__ import annotations

from activities.base import ActivityBase, beating, checkpoint
from activities.metrics import measured
from dubbing.stages import SynthesizeCheckpoint, SynthesizeInput
from dubbing.steps import synthesize


def synthesize_window(worker: ActivityBase, inp: SynthesizeInput,
                      voices: synthesize.Voices) -> str:
    with worker.scratch() as tmp, measured("synthesize") as meter, beating() as beat:
        return meter.done(synthesize.synthesize_window(
            worker.store, tmp, inp, beat, checkpoint(SynthesizeCheckpoint), voices=voices))
