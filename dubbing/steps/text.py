"""Translation of a window's lines in one batch."""

from __future__ import annotations

from dubbing import keys
from dubbing.engines.translate import make_translator
from dubbing.stages import Segment, TranslateInput
from dubbing.steps import Beat, Done
from dubbing.storage import Store
from dubbing.tracing import tracer


def engine_key(texts_key: str) -> str:
    """Where the engine record of a texts file lives: `.../texts.engine.json`."""
    return texts_key.removesuffix(".json") + ".engine.json"


def translate_window(store: Store, inp: TranslateInput, beat: Beat) -> Done:
    """Translate the window, store the texts (a JSON list of strings) and, beside them,
    which engine produced them and why it is not the requested one, if it is not."""
    segments = [Segment.model_validate(s) for s in store.get_json(inp.segments_key)]
    translator = make_translator(inp.translator, inp.source_lang, inp.target_lang)
    with tracer.start_as_current_span("translate.batch", attributes={
            "dub.window": inp.window_index, "dub.segments": len(segments),
            "dub.translator": inp.translator}) as span:
        texts = translator.translate([s.text for s in segments]) if segments else []
        span.set_attribute("dub.engine", translator.used)
    engine = {"engine": translator.used, "fallback_reason": translator.fallback_reason}
    beat({"translated": len(texts), **engine})
    key = keys.texts_key(inp.job_id, inp.window_index, inp.target_lang)
    store.put_json(key, texts)
    store.put_json(engine_key(key), engine)
    return Done(key, lines=len(texts))
