"""Breaking subtitle text: at most 42 characters a line, lines and cues of balanced length."""

from __future__ import annotations

import textwrap

MAX_LINE = 42
MAX_LINES = 2


def wrap(text: str) -> list[str]:
    """One line when it fits; else two lines of near-equal length when they fit; else as many
    lines of at most MAX_LINE as it takes (the caller then splits the cue)."""
    text = " ".join(text.split())
    if len(text) <= MAX_LINE:
        return [text] if text else []
    words = text.split(" ")
    best: list[str] | None = None
    for k in range(1, len(words)):
        top, bottom = " ".join(words[:k]), " ".join(words[k:])
        if len(top) <= MAX_LINE and len(bottom) <= MAX_LINE and (
                best is None or max(map(len, (top, bottom))) < max(map(len, best))):
            best = [top, bottom]
    return best or textwrap.wrap(text, MAX_LINE, break_long_words=False)


def balanced(words: list[str], parts: int) -> list[list[str]]:
    """`words` in `parts` consecutive groups of about equal length (in characters), every
    group at least two words long when there are enough words."""
    parts = max(1, min(parts, len(words) // 2 or 1))
    total = sum(len(w) + 1 for w in words)
    groups: list[list[str]] = [[]]
    done = 0
    for word in words:
        boundary = total * len(groups) / parts
        if (len(groups) < parts and len(groups[-1]) >= 2 and
                done + (len(word) + 1) / 2 > boundary):
            groups.append([])
        groups[-1].append(word)
        done += len(word) + 1
    if len(groups) > 1 and len(groups[-1]) < 2:
        last = groups.pop()
        groups[-1] += last
    return groups
