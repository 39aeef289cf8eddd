"""Choosing the reference clip a cloning voice (XTTS) learns the speaker from."""

from __future__ import annotations

from collections.abc import Sequence

from dubbing.stages import Segment

SHORTEST, LONGEST = 6.0, 10.0
# Lines closer than this belong to one continuous stretch of speech.
JOIN_GAP = 0.4

Span = tuple[float, float]


def pick_reference(segments: list[Segment]) -> Span | None:
    """The longest continuous stretch of speech of 6-10 s (cut to 10 s when longer),
    or the longest stretch there is when none reaches 6 s; None without speech."""
    return best_stretch([(s.start, s.end) for s in segments])


def speaker_references(spans: Sequence[Span], labels: Sequence[str],
                       reliable: Sequence[bool]) -> dict[str, Span]:
    """Each speaker's reference, cut from that speaker's own speech only: the best stretch
    (as `pick_reference`) of a run of its consecutive lines. Another speaker's line, or a line
    too short or quiet to be sure of, ends a run, so no reference mixes two voices."""
    runs: list[tuple[str, list[Span]]] = []
    for span, label, sure in zip(spans, labels, reliable, strict=True):
        if sure and runs and runs[-1][0] == label and runs[-1][1]:
            runs[-1][1].append(span)
        else:
            runs.append((label, [span] if sure else []))
    found: dict[str, Span] = {}
    for label, run in runs:
        stretch = best_stretch(run)
        held = found.get(label)
        if stretch is not None and (held is None or _length(stretch) > _length(held)):
            found[label] = stretch
    return found


def best_stretch(spans: Sequence[Span]) -> Span | None:
    best: Span | None = None
    for i, (start, end) in enumerate(spans):
        for later_start, later_end in spans[i + 1:]:
            if later_start - end > JOIN_GAP or later_end - start > LONGEST:
                break
            end = later_end
        span = (start, min(end, start + LONGEST))
        if best is None or _length(span) > _length(best):
            best = span
        if _length(best) >= LONGEST:
            break
    return best


def _length(span: Span) -> float:
    return span[1] - span[0]
