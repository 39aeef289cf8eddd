"""Readable SRT and WebVTT cues from timed lines.

Each spoken line becomes one or more cues of at most two lines of 42 characters; a line too
long for one cue, or for 7 s, is split into balanced parts (never a one-word orphan), at the
pauses of the voice when there are some near the split. Then timing: a cue is shown at least
0.8 s and long enough to be read at 17 characters a second, held past its speech by at most
`hold` seconds, never over the next cue; a cue that is still too short joins its neighbour
(of the same speaker). With more than one speaker, VTT cues carry voice tags
(`<v Speaker 2>`) and an SRT cue where the speaker changes starts with "- ".
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

import srt
import webvtt

from dubbing.voices import speaker_name
from dubbing.wrap import MAX_LINE, MAX_LINES, balanced, wrap

MIN_SECONDS = 0.8
MAX_SECONDS = 7.0
MAX_CPS = 17.0
GAP = 0.08  # two frames at 24 fps between cues
# A cue this short joins a neighbour this near, when the two fit one cue.
JOIN_GAP = 1.0


@dataclass(frozen=True)
class Line:
    """A spoken line: where its speech (or dub voice) is, and its pauses (absolute times)."""

    start: float
    end: float
    text: str
    pauses: Sequence[tuple[float, float]] = field(default_factory=tuple)
    speaker: str | None = None


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speech_end: float = 0.0  # where the speech under this cue ends
    speaker: str | None = None

    @property
    def chars(self) -> int:
        return len(self.text.replace("\n", ""))

    @property
    def cps(self) -> float:
        return self.chars / max(self.end - self.start, 1e-3)


def layout(lines: Sequence[Line], hold: float) -> list[Cue]:
    """Cues for `lines` (in time order)."""
    cues = [cue for line in lines for cue in _split(line)]
    cues = _timed(cues, hold)
    return _join_short(cues)


def _split(line: Line) -> list[Cue]:
    words = line.text.split()
    if not words or line.end <= line.start:
        return []
    seconds = line.end - line.start
    parts = max(math.ceil(seconds / MAX_SECONDS), 1)
    groups = balanced(words, parts)
    while any(len(wrap(" ".join(g))) > MAX_LINES for g in groups) and len(groups) < len(words):
        groups = balanced(words, len(groups) + 1)
    total = sum(len(" ".join(g)) for g in groups)
    cues, t = [], line.start
    for i, group in enumerate(groups):
        text = " ".join(group)
        end = line.end if i + 1 == len(groups) else t + seconds * len(text) / total
        start, end, after = _at_pause(t, end, line, last=i + 1 == len(groups))
        cues.append(Cue(start, end, "\n".join(wrap(text)), speech_end=end,
                        speaker=line.speaker))
        t = after
    return cues


def _at_pause(start: float, end: float, line: Line, last: bool) -> tuple[float, float, float]:
    """Move an inner split onto the voice's nearest pause within 1 s: the cue ends where the
    pause starts, the next begins where it ends."""
    if last:
        return start, end, end
    near = [p for p in line.pauses if start < p[0] and p[1] < line.end and abs(p[0] - end) < 1]
    if not near:
        return start, end, end
    pause = min(near, key=lambda p: abs(p[0] - end))
    return start, pause[0], pause[1]


def _timed(cues: list[Cue], hold: float) -> list[Cue]:
    out: list[Cue] = []
    for i, cue in enumerate(cues):
        limit = cues[i + 1].start - GAP if i + 1 < len(cues) else math.inf
        reading = cue.start + max(MIN_SECONDS, cue.chars / MAX_CPS)
        end = max(cue.end, min(reading, cue.speech_end + hold), cue.start + MIN_SECONDS)
        out.append(replace(cue, end=min(end, limit, cue.start + MAX_SECONDS)))
    return out


def _join_short(cues: list[Cue]) -> list[Cue]:
    """A cue still under the minimum joins its nearer neighbour when both fit in one cue;
    otherwise it starts earlier, into the silence before it."""
    out = list(cues)
    i = 0
    while i < len(out):
        cue = out[i]
        if cue.end - cue.start >= MIN_SECONDS - 1e-6:
            i += 1
            continue
        k = _partner(out, i)
        if k is not None:
            a, b = out[min(i, k)], out[max(i, k)]
            text = "\n".join(wrap(f"{a.text} {b.text}".replace("\n", " ")))
            out[min(i, k):max(i, k) + 1] = [Cue(a.start, b.end, text, b.speech_end,
                                                a.speaker)]
            i = min(i, k)
            continue
        earliest = out[i - 1].end + GAP if i else 0.0
        out[i] = replace(cue, start=max(earliest, min(cue.start, cue.end - MIN_SECONDS)))
        i += 1
    return out


def _partner(cues: list[Cue], i: int) -> int | None:
    options = []
    for k in (i - 1, i + 1):
        if not 0 <= k < len(cues):
            continue
        a, b = cues[min(i, k)], cues[max(i, k)]
        text = f"{a.text} {b.text}".replace("\n", " ")
        if (a.speaker == b.speaker and b.start - a.end <= JOIN_GAP
                and b.end - a.start <= MAX_SECONDS and len(wrap(text)) <= MAX_LINES):
            options.append((b.start - a.end, k))
    return min(options)[1] if options else None


def several_speakers(cues: Sequence[Cue]) -> bool:
    return len({c.speaker for c in cues if c.speaker is not None}) > 1


def to_srt(cues: Sequence[Cue]) -> str:
    """SRT; with several speakers a cue whose speaker is not the previous cue's starts "- "."""
    marked = several_speakers(cues)
    subs = [srt.Subtitle(index=i + 1, start=timedelta(seconds=c.start),
                         end=timedelta(seconds=c.end),
                         content=f"- {c.text}" if marked and i and c.speaker != cues[i - 1].speaker
                         else c.text)
            for i, c in enumerate(cues)]
    return srt.compose(subs)


def to_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT; with several speakers every cue names its speaker (`<v Speaker 1>`)."""
    vtt = webvtt.WebVTT()
    tagged = several_speakers(cues)
    for c in cues:
        text = f"<v {speaker_name(c.speaker)}>{c.text}" if tagged and c.speaker else c.text
        vtt.captions.append(webvtt.Caption(_vtt_time(c.start), _vtt_time(c.end), text))
    buffer = io.StringIO()
    vtt.write(buffer)
    return buffer.getvalue()


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


__all__ = ["MAX_LINE", "MAX_LINES", "Cue", "Line", "layout", "to_srt", "to_vtt"]
