"""Checking a job's languages and engines before any heavy work starts."""

from __future__ import annotations

from dubbing.contract import DubJob
from dubbing.engines.translate import make_translator
from dubbing.errors import ConfigurationError, UnsupportedLanguageError
from dubbing.languages import ESPEAK_VOICES
from dubbing.netguard import check_outbound
from dubbing.settings import Settings, defaults


def check_job(job: DubJob, settings: Settings | None = None) -> None:
    """Raise the error the job would hit hours later: unknown pair, voice or model language."""
    check_language(job.transcription.model, job.source_lang)
    if job.webhook_url:
        config = settings or defaults()
        check_outbound(job.webhook_url, what="webhook",
                       allow_private=config.allow_private_addresses)
        if not config.webhook_secret and not job.webhook_unsigned:
            raise ConfigurationError(
                "the workers have no DUB_WEBHOOK_SECRET, so the webhook could not be signed and "
                "its receiver could not trust it; set the secret on the CPU workers, or submit "
                "with --webhook-unsigned")
    for target in job.target_langs:
        if target == job.source_lang:
            raise UnsupportedLanguageError(
                f"the target language {target!r} is the source language; choose another --to")
        make_translator(job.translator, job.source_lang, target, settings)
        check_voice(job.voice, target)


def check_language(spec: str, language: str) -> None:
    if spec.endswith(".en") and language != "en":
        raise UnsupportedLanguageError(
            f"speech model {spec} recognizes English only, but the source language is "
            f"{language!r}; choose a multilingual model (for example 'small') with --asr-model"
        )


def check_voice(voice: str, lang: str) -> None:
    if voice == "piper" or (voice == "auto" and lang == "en"):
        if lang != "en":
            raise UnsupportedLanguageError(f"the bundled Piper voice speaks English, not {lang!r}")
    elif voice in ("auto", "espeak") and lang not in ESPEAK_VOICES:
        raise UnsupportedLanguageError(
            f"espeak-ng has no voice for {lang!r}; supported: {', '.join(sorted(ESPEAK_VOICES))}"
        )
