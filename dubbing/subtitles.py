"""Readable SRT and WebVTT cues from timed lines."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import timedelta

import srt
import webvtt

MAX_LINE = 42
MAX_LINES = 2


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def readable(cues: list[Cue]) -> list[Cue]:
    """Wrap at 42 characters; a cue needing more than two lines is split, time shared by length."""
    out: list[Cue] = []
    for cue in cues:
        lines = textwrap.wrap(" ".join(cue.text.split()), MAX_LINE, break_long_words=False)
        if not lines:
            continue
        chunks = [lines[i:i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)]
        total = sum(len(" ".join(c)) for c in chunks)
        t = cue.start
        for chunk in chunks:
            share = (cue.end - cue.start) * len(" ".join(chunk)) / total
            out.append(Cue(t, t + share, "\n".join(chunk)))
            t += share
    return out


def to_srt(cues: list[Cue]) -> str:
    subs = [srt.Subtitle(index=i + 1, start=timedelta(seconds=c.start),
                         end=timedelta(seconds=c.end), content=c.text)
            for i, c in enumerate(readable(cues))]
    return srt.compose(subs)


def to_vtt(cues: list[Cue]) -> str:
    vtt = webvtt.WebVTT()
    for c in readable(cues):
        vtt.captions.append(webvtt.Caption(_vtt_time(c.start), _vtt_time(c.end), c.text))
    buffer = io.StringIO()
    vtt.write(buffer)
    return buffer.getvalue()


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"
