"""A job's settings from form fields or JSON keys, named as in the CLI (`to`, `from`, ...)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from api.problems import Problem
from dubbing.contract import DubJob
from dubbing.errors import BadInputError
from dubbing.limits import check_limits, unique_languages
from dubbing.netguard import check_outbound
from dubbing.settings import Settings

SCALARS = ("translator", "voice", "overflow", "subtitles", "priority", "webhook_url",
           "speakers")
FLAGS = ("strict", "webhook_unsigned")
NUMBERS = {"max_stretch": float, "min_speed": float, "audio_track": int}
KNOWN = {"to", "from", "glossary", *SCALARS, *FLAGS, *NUMBERS}


def _languages(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.strip()
        try:
            value = json.loads(value) if value.startswith("[") else value.split(",")
        except json.JSONDecodeError:
            raise Problem(422, "to: not a JSON list; give language codes, comma separated "
                          "or a JSON list", "bad-input") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Problem(422, "to: give language codes, comma separated or a JSON list",
                      "bad-input")
    return unique_languages(tuple(v.strip() for v in value if v.strip()))


def _glossary(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            raise Problem(422, "glossary: not JSON; give an object of source term -> target "
                          "term", "bad-input") from None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise Problem(422, "glossary: give a JSON object of source term -> target term",
                      "bad-input")
    return value


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise Problem(422, f"{name}: give true or false", "bad-input")


def job_from(fields: dict[str, Any], input_name: str, settings: Settings) -> DubJob:
    """The DubJob the fields describe, checked against the same limits as the CLI's."""
    unknown = sorted(set(fields) - KNOWN)
    if unknown:
        raise Problem(422, f"unknown setting {unknown[0][:40]!r}; known: "
                      f"{', '.join(sorted(KNOWN))}", "bad-input")
    options: dict[str, Any] = {k: fields[k] for k in SCALARS if fields.get(k) not in (None, "")}
    options |= {k: _flag(k, fields[k]) for k in FLAGS if k in fields}
    for name, kind in NUMBERS.items():
        if fields.get(name) not in (None, ""):
            try:
                options[name] = kind(fields[name])
            except (TypeError, ValueError):
                raise Problem(422, f"{name}: not a number", "bad-input") from None
    targets = _languages(fields.get("to", "es"))
    if not targets:
        raise Problem(422, "to: give at least one language code", "bad-input")
    try:
        job = DubJob(input_key="pending", input_name=input_name,
                     source_lang=str(fields.get("from") or "en"), target_langs=targets,
                     glossary=_glossary(fields.get("glossary", {})), **options)
        check_limits(job)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "settings"
        raise Problem(422, f"{where}: {str(error['msg']).removeprefix('Value error, ')}",
                      "bad-input") from None
    except BadInputError as exc:
        raise Problem(422, exc.message, "bad-input") from None
    if job.webhook_url:
        check_outbound(job.webhook_url, allow_private=settings.allow_private_addresses,
                       what="webhook_url")
    return job
