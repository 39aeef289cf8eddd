"""Translation of a window's lines in one batch."""

from __future__ import annotations

from dubbing import keys
from dubbing.engines.translate import make_translator
from dubbing.stages import Segment, TranslateInput
from dubbing.steps import Beat
from dubbing.storage import Store


def translate_window(store: Store, inp: TranslateInput, beat: Beat) -> str:
    segments = [Segment.model_validate(s) for s in store.get_json(inp.segments_key)]
    translator = make_translator(inp.translator, inp.source_lang, inp.target_lang)
    texts = translator.translate([s.text for s in segments]) if segments else []
    beat({"translated": len(texts)})
    key = keys.texts_key(inp.job_id, inp.window_index, inp.target_lang)
    store.put_json(key, texts)
    return key
