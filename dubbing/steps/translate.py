"""Translation of a window's lines in batches, resumable from the last finished batch."""

from __future__ import annotations

import re
from typing import Any

from dubbing import keys
from dubbing.engines.translate import Translator, make_translator
from dubbing.quality import apply_glossary
from dubbing.settings import Settings
from dubbing.stages import Segment, TranslateCheckpoint, TranslateInput
from dubbing.steps import Beat, Done
from dubbing.storage import Store
from dubbing.tracing import tracer

# Online providers answer line by line; checkpoint after every batch of this many lines.
PROVIDER_BATCH = 16


def engine_key(texts_key: str) -> str:
    """Where the engine record of a texts file lives: `.../texts.engine.json`."""
    return texts_key.removesuffix(".json") + ".engine.json"


def translate_window(store: Store, inp: TranslateInput, beat: Beat,
                     checkpoint: TranslateCheckpoint | None = None,
                     settings: Settings | None = None) -> Done:
    """Translate the window, store the texts (a JSON list of strings) and, beside them, which
    engine produced each line and why, when it is not the requested one.

    Apertium takes the window in one batch; a provider takes it in batches, and a retried
    attempt resumes at the first batch the last one did not finish.
    """
    segments = [Segment.model_validate(s) for s in store.get_json(inp.segments_key)]
    texts: list[str] = list(checkpoint.texts) if checkpoint else []
    engines: list[dict[str, Any]] = list(checkpoint.engines) if checkpoint else []

    def alive(_: Any = None) -> None:
        """While an engine works: the checkpoint again, so a retry still resumes from it."""
        beat(TranslateCheckpoint(texts=texts, engines=engines))

    translator = make_translator(inp.translator, inp.source_lang, inp.target_lang, settings,
                                 beat=alive)
    batch = len(segments) if inp.translator == "apertium" else PROVIDER_BATCH
    while len(texts) < len(segments):
        part = [apply_glossary(s.text, inp.glossary)
                for s in segments[len(texts):len(texts) + max(1, batch)]]
        texts += _translate_batch(translator, inp, part)
        unknown = _unknown(translator.unknown_words, len(part), inp.glossary)
        engines += [{"engine": translator.used, "fallback_reason": translator.fallback_reason,
                     "unknown_words": words} for words in unknown]
        beat(TranslateCheckpoint(texts=texts, engines=engines))
    key = keys.texts_key(inp.job_id, inp.window_index, inp.target_lang, run=inp.run_id)
    store.put_json(key, texts)
    store.put_json(engine_key(key), {"engine": translator.used,
                                     "fallback_reason": translator.fallback_reason,
                                     "lines": engines})
    return Done(key, lines=len(texts))


def _unknown(found: list[list[str]], count: int, glossary: dict[str, str]) -> list[list[str]]:
    """Per line the words left untranslated; a glossary's own target words are not counted
    (they reach the translator already in the target language)."""
    chosen = {w.lower() for value in glossary.values() for w in re.findall(r"[\w'-]+", value)}
    lines = found if len(found) == count else [[] for _ in range(count)]
    return [[w for w in words if w.lower() not in chosen] for words in lines]


def _translate_batch(translator: Translator, inp: TranslateInput, part: list[str]) -> list[str]:
    with tracer.start_as_current_span("translate.batch", attributes={
            "dub.window": inp.window_index, "dub.segments": len(part),
            "dub.translator": inp.translator}) as span:
        out = translator.translate(part)
        span.set_attribute("dub.engine", translator.used)
        return out
