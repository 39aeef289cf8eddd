"""Redubbing one line: find it, give it its new text (or speaker) and a new revision.

Synthesis, fitting and rendering then run as usual on that line's window; only the redubbed
line gets new audio, and the report keeps each line's revisions.
"""

from __future__ import annotations

from typing import Any

from dubbing import keys
from dubbing.errors import BadInputError
from dubbing.stages import PrepareRedubInput, RedubLine, RenderInput
from dubbing.steps.runs import completed_run
from dubbing.storage import Store


def prepare(store: Store, inp: PrepareRedubInput) -> RedubLine:
    """Store the new text (and speaker) of the line with the report index
    `inp.request.index`; a revision records both."""
    req = inp.request
    counts = [len(store.get_json(key)) for key in inp.fit_keys]
    if req.index >= sum(counts):
        raise BadInputError(
            f"line {req.index} does not exist: the {req.target_lang} dub has {sum(counts)} lines,"
            f" numbered 0 to {sum(counts) - 1} in the report")
    position, line = 0, req.index
    while line >= counts[position]:
        line -= counts[position]
        position += 1
    window = inp.windows[position]
    run = inp.run_id
    texts_key = keys.texts_key(inp.job_id, window.index, req.target_lang, run=run)
    texts: list[str] = store.get_json(texts_key)
    history = revisions(store, inp.job_id, window.index, req.target_lang, run)
    entries = history.setdefault(str(line), [])
    text = req.text if req.text is not None else texts[line]
    if not (entries and _same(entries[-1], text, req.speaker) and texts[line] == text):
        entry = {"revision": len(entries) + 1, "text": text, "previous": texts[line]}
        if req.speaker is not None:
            entry["speaker"] = req.speaker
        entries.append(entry)
        texts[line] = text
        store.put_json(keys.revisions_key(inp.job_id, window.index, req.target_lang, run=run),
                       history)
        store.put_json(texts_key, texts)
    return RedubLine(window=window, line=line, revision=entries[-1]["revision"],
                     texts_key=texts_key,
                     segments_key=keys.segments_key(inp.job_id, window.index, run=run),
                     clips_key=keys.clips_key(inp.job_id, window.index, req.target_lang, run=run),
                     audio_key=keys.audio_key(inp.job_id, run=run))


def _same(entry: dict[str, Any], text: str, speaker: str | None) -> bool:
    """The last revision already is this request (a retried or repeated redub)."""
    return bool(entry["text"] == text and entry.get("speaker") == speaker)


def relabeled(history: dict[str, list[Any]], line: int) -> str | None:
    """The speaker a relabel last gave `line`, if any."""
    for entry in reversed(history.get(str(line), [])):
        if entry.get("speaker"):
            return str(entry["speaker"])
    return None


def revisions(store: Store, job_id: str, window: int, lang: str,
              run: str = "") -> dict[str, list[Any]]:
    """Line number (as a string) -> its revisions, oldest first."""
    key = keys.revisions_key(job_id, window, lang, run=run)
    return store.get_json(key) if store.exists(key) else {}


def load_manifest(store: Store, job_id: str, lang: str) -> RenderInput:
    """The manifest of the job's completed run (of the job itself, for runs from before
    run-scoped storage)."""
    done = completed_run(store, job_id)
    key = keys.manifest_key(job_id, lang, run=done.run_id if done else "")
    if not store.exists(key):
        raise BadInputError(
            f"job {job_id} has no {lang} dub to redub: it did not finish, or its work files "
            "were removed")
    return RenderInput.model_validate(store.get_json(key))
