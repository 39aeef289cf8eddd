"""Regrouping timed words into sentence-like segments, the units that are translated.

Words arrive as Whisper gives them: text with its leading space and attached punctuation.
A word whose text does not start with whitespace continues the previous one (" ill", "-disposed"),
so no segment boundary is ever placed before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTENCE_END = ".?!…"
CLAUSE_END = ",;:\u2014\u2013"  # also em and en dash
CLOSERS = "\"')]}\u00bb\u201d\u2019"  # also » ” and the right single quote
OPENERS = "\"'([{\u00ab\u201c\u2018\u00bf\u00a1"  # also « “ ¿ ¡ and the left single quote
ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "st.", "e.g.", "i.e.", "etc.", "vs."})
_DOTTED = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Z]\.")  # U.S., e.g., a single initial J.
# A split inside an over-long piece at a zero-length gap still scores this much "pause".
_BASE_GAP = 0.1
# Clause punctuation wins only when it lies in the middle two thirds of the piece.
_MIN_CENTRALITY = 1 / 3
# Pieces longer than this are cut at a pause of at least SOFT_PAUSE, into parts of MIN_PART.
SOFT_SECONDS = 5.0
SOFT_PAUSE = 0.25
MIN_PART = 1.5


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Sentence:
    start: float
    end: float
    text: str


def group_sentences(words: list[Word], *, max_seconds: float = 12.0, pause_seconds: float = 0.6,
                    min_seconds: float = 1.0, min_words: int = 3) -> list[Sentence]:
    """Sentences over `words` (in time order): split at sentence ends and pauses, merge
    fragments into the closer neighbour, then cut pieces longer than `max_seconds`."""
    pieces = _split(words, pause_seconds)
    pieces = _merge(pieces, max_seconds=max_seconds, max_gap=pause_seconds,
                    min_seconds=min_seconds, min_words=min_words)
    capped = [part for piece in pieces for part in _cap(piece, max_seconds)]
    paused = [part for piece in capped for part in _at_pauses(piece)]
    return [_sentence(piece) for piece in paused]


def _core(text: str) -> str:
    """The word without surrounding spaces, opening marks and closing quotes or brackets."""
    return text.strip().lstrip(OPENERS).rstrip(CLOSERS)


def _ends_sentence(text: str) -> bool:
    core = _core(text)
    if not core or core[-1] not in SENTENCE_END:
        return False
    return not (core.lower() in ABBREVIATIONS or _DOTTED.fullmatch(core))


def _ends_clause(text: str) -> bool:
    core = _core(text)
    return bool(core) and core[-1] in CLAUSE_END


def _attached(word: Word) -> bool:
    """True when `word` continues the previous word's text (no leading whitespace)."""
    return not word.text[:1].isspace()


def _split(words: list[Word], pause_seconds: float) -> list[list[Word]]:
    """Rules 1 and 2: cut after a sentence end and at a pause longer than `pause_seconds`."""
    pieces: list[list[Word]] = []
    for word in words:
        if pieces and not _attached(word):
            last = pieces[-1][-1]
            if _ends_sentence(last.text) or word.start - last.end > pause_seconds:
                pieces.append([])
        if not pieces:
            pieces.append([])
        pieces[-1].append(word)
    return pieces


def _seconds(piece: list[Word]) -> float:
    return piece[-1].end - piece[0].start


def _merge(pieces: list[list[Word]], *, max_seconds: float, max_gap: float,
           min_seconds: float, min_words: int) -> list[list[Word]]:
    """Rule 3: join each fragment to its closer neighbour when that stays short and near."""
    pieces = list(pieces)
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if _seconds(piece) >= min_seconds and len(piece) >= min_words:
            i += 1
            continue
        before = piece[0].start - pieces[i - 1][-1].end if i > 0 else None
        after = pieces[i + 1][0].start - piece[-1].end if i + 1 < len(pieces) else None
        if before is not None and (after is None or before <= after):
            lo, gap = i - 1, before
        elif after is not None:
            lo, gap = i, after
        else:
            break
        joined = pieces[lo] + pieces[lo + 1]
        if gap >= max_gap or _seconds(joined) > max_seconds:
            i += 1
            continue
        pieces[lo:lo + 2] = [joined]
        i = lo
    return pieces


def _cap(piece: list[Word], max_seconds: float) -> list[list[Word]]:
    """Rule 4: halve `piece` at its best inner point until every part fits `max_seconds`."""
    if _seconds(piece) <= max_seconds:
        return [piece]
    k = _best_cut(piece)
    if k is None:
        return [piece]
    return _cap(piece[:k], max_seconds) + _cap(piece[k:], max_seconds)


def _at_pauses(piece: list[Word]) -> list[list[Word]]:
    """Rule 5: a piece longer than a subtitle may stay up (SOFT_SECONDS) is cut at its longest
    inner pause of at least SOFT_PAUSE, so each line starts on speech (a speaker reading on
    without punctuation at sentence ends, say); parts stay at least `MIN_PART` long."""
    if _seconds(piece) <= SOFT_SECONDS:
        return [piece]
    best: tuple[float, int] | None = None
    for k in range(1, len(piece)):
        gap = piece[k].start - piece[k - 1].end
        if _attached(piece[k]) or gap < SOFT_PAUSE:
            continue
        if min(piece[k - 1].end - piece[0].start, piece[-1].end - piece[k].start) < MIN_PART:
            continue
        if best is None or gap > best[0]:
            best = (gap, k)
    if best is None:
        return [piece]
    k = best[1]
    return _at_pauses(piece[:k]) + _at_pauses(piece[k:])


def _best_cut(piece: list[Word]) -> int | None:
    """Index of the word to start the second part: the clause end nearest the middle if one
    lies in the middle two thirds, else the boundary best by pause length times centrality."""
    half = _seconds(piece) / 2
    middle = piece[0].start + half
    scored: list[tuple[float, bool, int]] = []
    for k in range(1, len(piece)):
        if _attached(piece[k]):
            continue
        prev, nxt = piece[k - 1], piece[k]
        centrality = 1.0 - abs((prev.end + nxt.start) / 2 - middle) / half if half else 0.0
        gap = max(0.0, nxt.start - prev.end)
        clause = _ends_clause(prev.text) or _ends_sentence(prev.text)
        scored.append(((gap + _BASE_GAP) * centrality, clause and centrality >= _MIN_CENTRALITY,
                       k))
    if not scored:
        return None
    return max(scored, key=lambda s: (s[1], s[0]))[2]


def _sentence(piece: list[Word]) -> Sentence:
    text = " ".join("".join(word.text for word in piece).split())
    return Sentence(piece[0].start, piece[-1].end, text)
