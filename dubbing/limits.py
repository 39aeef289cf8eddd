"""Limits on every size a user supplies, checked when a job is submitted (the starter, the
clients) and again by the first activity (for jobs started any other way). Each refusal is one
line that says which value is too big and what the limit is."""

from __future__ import annotations

import re
import unicodedata

from dubbing.contract import DubJob
from dubbing.errors import BadInputError
from dubbing.settings import Settings
from dubbing.stages import MediaInfo

MAX_TARGET_LANGS = 8
MAX_GLOSSARY_TERMS = 2000
MAX_GLOSSARY_BYTES = 256 * 1024
MAX_GLOSSARY_VALUE = 200
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
MAX_INPUT_NAME = 200
MAX_REFERENCE_BYTES = 1024 * 1024


def check_limits(job: DubJob) -> None:
    """Raise BadInputError for the first value over its limit."""
    if len(job.target_langs) > MAX_TARGET_LANGS:
        raise BadInputError(f"{len(job.target_langs)} target languages; at most "
                            f"{MAX_TARGET_LANGS} per job")
    if len(set(job.target_langs)) != len(job.target_langs):
        raise BadInputError(f"a target language is listed twice ({', '.join(job.target_langs)})")
    for lang in (job.source_lang, *job.target_langs):
        if not LANGUAGE_CODE.fullmatch(lang):
            raise BadInputError(f"{lang[:40]!r} is not a language code (ISO 639-1 or -3, "
                                "such as es or spa, optionally with a region: pt-BR)")
    check_input_name(job.input_name)
    if len(job.glossary) > MAX_GLOSSARY_TERMS:
        raise BadInputError(f"the glossary has {len(job.glossary)} terms; at most "
                            f"{MAX_GLOSSARY_TERMS}")
    longest = max((len(v) for v in job.glossary.values()), default=0)
    if longest > MAX_GLOSSARY_VALUE:
        raise BadInputError(f"a glossary translation is {longest} characters long; at most "
                            f"{MAX_GLOSSARY_VALUE} (each is put in place of its term on every "
                            "line)")
    size = sum(len(k.encode()) + len(v.encode()) for k, v in job.glossary.items())
    if size > MAX_GLOSSARY_BYTES:
        raise BadInputError(f"the glossary holds {size // 1024} KiB of text; at most "
                            f"{MAX_GLOSSARY_BYTES // 1024} KiB")


def check_input_name(name: str) -> None:
    if not name.strip():
        raise BadInputError("the input has no name")
    if len(name) > MAX_INPUT_NAME:
        raise BadInputError(f"the input name is {len(name)} characters long; at most "
                            f"{MAX_INPUT_NAME} (rename the file)")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise BadInputError("the input name contains control characters; rename the file")


def check_media(info: MediaInfo, name: str, settings: Settings) -> None:
    """The input's length and picture size against the service's caps (DUB_MAX_*)."""
    hours = info.duration / 3600
    if hours > settings.max_media_hours:
        raise BadInputError(f"{name}: {hours:.1f} hours long; this service takes at most "
                            f"{settings.max_media_hours:g} hours (DUB_MAX_MEDIA_HOURS); cut "
                            "the input into parts")
    if info.width > settings.max_video_width or info.height > settings.max_video_height:
        raise BadInputError(f"{name}: the video is {info.width}x{info.height}; at most "
                            f"{settings.max_video_width}x{settings.max_video_height} "
                            "(DUB_MAX_VIDEO_WIDTH/HEIGHT); scale it down first")


def check_reference(size: int, name: str) -> None:
    """A reference transcript is text for the report's word error rate: 1 MiB at most."""
    if size > MAX_REFERENCE_BYTES:
        raise BadInputError(f"{name}: the reference transcript is {size // 1024} KiB; at most "
                            f"{MAX_REFERENCE_BYTES // 1024} KiB of text")


def unique_languages(langs: tuple[str, ...]) -> tuple[str, ...]:
    """The languages in order, each once."""
    return tuple(dict.fromkeys(langs))
