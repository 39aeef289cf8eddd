"""Probe the input, extract its audio, and plan the transcription windows."""

from __future__ import annotations

from pathlib import Path

from dubbing import keys
from dubbing.engines.checks import check_job
from dubbing.errors import BadInputError
from dubbing.limits import check_limits, check_media
from dubbing.media import audio
from dubbing.media.probe import probe
from dubbing.settings import Settings, defaults
from dubbing.stages import ExtractInput, MediaInfo, PlanInput, ProbeInput, Window
from dubbing.steps import Beat
from dubbing.steps.runs import refuse_if_completed
from dubbing.storage import Store
from dubbing.windows import plan_windows


def probe_input(store: Store, scratch: Path, inp: ProbeInput,
                settings: Settings | None = None) -> MediaInfo:
    job = inp.job
    refuse_if_completed(store, inp.job_id, inp.run_id)
    check_limits(job)
    _check_owned(inp)
    check_job(job, settings)
    if not store.exists(job.input_key):
        raise BadInputError(f"{job.input_name}: the uploaded input is missing from storage; "
                            "submit the job again")
    with store.open_local(job.input_key, scratch) as path:
        info = probe(path, job.input_name, job.audio_track, scratch)
    check_media(info, job.input_name, settings or defaults())
    return info


def _check_owned(inp: ProbeInput) -> None:
    """A job reads only its own input and reference, never another job's."""
    job = inp.job
    if job.reference_key not in (None, keys.reference_key(inp.job_id)):
        raise BadInputError(f"{job.input_name}: the reference must be stored under the job's "
                            f"own key {keys.reference_key(inp.job_id)}")
    if job.input_key != keys.input_key(inp.job_id):
        raise BadInputError(f"{job.input_name}: the input must be stored under the job's own "
                            f"key {keys.input_key(inp.job_id)}, not {job.input_key}")


def extract_audio(store: Store, scratch: Path, inp: ExtractInput,
                  beat: Beat | None = None) -> str:
    """Decode the audio once to 16 kHz mono; later steps read windows of it."""
    dest = scratch / "audio.wav"
    with store.open_local(inp.input_key, scratch) as path:
        audio.extract_audio(path, dest, inp.input_name, inp.media.duration, beat=beat,
                            track=inp.media.audio_track)
    key = keys.audio_key(inp.job_id, run=inp.run_id)
    store.put_file(key, dest)
    return key


def plan(store: Store, scratch: Path, inp: PlanInput, beat: Beat | None = None) -> list[Window]:
    with store.open_local(inp.audio_key, scratch) as path:
        silences = audio.detect_silences(path, beat=beat)
    return plan_windows(inp.duration, silences, inp.window_seconds)
