"""Deterministic storage keys: a retry writes the same object again instead of a new one."""

from __future__ import annotations

import re

from dubbing.errors import InvalidNameError

_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_LANG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


def _job(job_id: str) -> str:
    if not _JOB_ID.fullmatch(job_id):
        raise InvalidNameError(f"job id {job_id!r} is not usable as a storage prefix: use "
                               "letters, digits, dots, hyphens and underscores (at most 128)")
    return f"jobs/{job_id}"


def _run(job_id: str, run: str) -> str:
    """A run's own prefix: everything a run writes or deletes lies under it. Runs from before
    run-scoped storage (`run` empty) used the job's prefix."""
    if not run:
        return _job(job_id)
    if not _RUN.fullmatch(run):
        raise InvalidNameError(f"run id {run!r} is not usable as a storage prefix")
    return f"{_job(job_id)}/runs/{run}"


def _lang(lang: str) -> str:
    if not _LANG.fullmatch(lang):
        raise InvalidNameError(f"language code {lang!r} is not valid")
    return lang


def job_prefix(job_id: str) -> str:
    return _job(job_id) + "/"


def run_prefix(job_id: str, run: str) -> str:
    return _run(job_id, run) + "/"


def completed_key(job_id: str) -> str:
    """Which run of the job completed: its outputs are the job's, and no later run may
    touch them."""
    return f"{_job(job_id)}/completed.json"


def work_prefix(job_id: str, run: str = "") -> str:
    return f"{_run(job_id, run)}/work/"


def input_key(job_id: str) -> str:
    return f"{_job(job_id)}/input"


def source_key(job_id: str) -> str:
    """Where the URL the input is fetched from is kept (the HTTP API's source_url)."""
    return f"{_job(job_id)}/source.json"


def reference_key(job_id: str) -> str:
    """A reference transcript the user supplied, for the report's word error rate."""
    return f"{_job(job_id)}/reference.txt"


def audio_key(job_id: str, *, run: str = "") -> str:
    return f"{_run(job_id, run)}/work/audio.wav"


def segments_key(job_id: str, window: int, *, run: str = "") -> str:
    return f"{_run(job_id, run)}/work/w{window:04d}/segments.json"


def embeddings_key(job_id: str, window: int, *, run: str = "") -> str:
    """embed_speakers: a window's line embeddings and their reliability (NumPy .npz)."""
    return f"{_run(job_id, run)}/work/w{window:04d}/speakers.npz"


def speakers_key(job_id: str, *, run: str = "") -> str:
    """cluster_speakers: every window's speaker labels and each speaker's voice."""
    return f"{_run(job_id, run)}/work/speakers.json"


def texts_key(job_id: str, window: int, lang: str, *, run: str = "") -> str:
    return f"{_run(job_id, run)}/work/w{window:04d}/{_lang(lang)}/texts.json"


def clips_key(job_id: str, window: int, lang: str, *, run: str = "") -> str:
    return f"{_run(job_id, run)}/work/w{window:04d}/{_lang(lang)}/clips.json"


def _revision(revision: int) -> str:
    return f".r{revision}" if revision else ""


def clip_key(job_id: str, window: int, lang: str, index: int, revision: int = 0, *,
             run: str = "") -> str:
    return (f"{_run(job_id, run)}/work/w{window:04d}/{_lang(lang)}/clip-{index:04d}"
            f"{_revision(revision)}.wav")


def fitted_key(job_id: str, window: int, lang: str, index: int, revision: int = 0, *,
               run: str = "") -> str:
    return (f"{_run(job_id, run)}/work/w{window:04d}/{_lang(lang)}/fitted-{index:04d}"
            f"{_revision(revision)}.wav")


def revisions_key(job_id: str, window: int, lang: str, *, run: str = "") -> str:
    """Redubbed lines of a window: their revisions and texts."""
    return f"{_run(job_id, run)}/work/w{window:04d}/{_lang(lang)}/revisions.json"


def manifest_key(job_id: str, lang: str, *, run: str = "") -> str:
    """What a finished job's language was rendered from, for redubbing it later."""
    return f"{_run(job_id, run)}/work/{_lang(lang)}-manifest.json"


def fit_key(job_id: str, window: int, lang: str, *, run: str = "") -> str:
    return f"{_run(job_id, run)}/work/w{window:04d}/{_lang(lang)}/fit.json"


def energy_key(job_id: str, window: int, lang: str, *, run: str = "") -> str:
    """A fitted window's share of the mix's loudness sums (`measure_window`)."""
    return f"{_run(job_id, run)}/work/w{window:04d}/{_lang(lang)}/energy.npz"


OUTPUT_FILES = {
    "mp4": "dub.{to}.mp4",
    "source_srt": "source.{src}.srt",
    "target_srt": "dub.{to}.srt",
    "source_vtt": "source.{src}.vtt",
    "target_vtt": "dub.{to}.vtt",
    "report": "dub.{to}.report.json",
}


def output_key(job_id: str, kind: str, source_lang: str, target_lang: str, *, run: str = "") -> str:
    name = OUTPUT_FILES[kind].format(src=_lang(source_lang), to=_lang(target_lang))
    return f"{_run(job_id, run)}/out/{name}"


def output_file_name(stem: str, kind: str, source_lang: str, target_lang: str) -> str:
    """The name a user gets: STEM.TO.mp4, STEM.FROM.srt, STEM.TO.report.json, ..."""
    suffix = {
        "mp4": f"{target_lang}.mp4",
        "source_srt": f"{source_lang}.srt",
        "target_srt": f"{target_lang}.srt",
        "source_vtt": f"{source_lang}.vtt",
        "target_vtt": f"{target_lang}.vtt",
        "report": f"{target_lang}.report.json",
    }[kind]
    return f"{stem}.{suffix}"
