"""Subtitles in the dubbed MP4: soft tracks (mov_text) or burned into the picture (libass).

Embedding adds the target and source SRT as two more inputs and maps them after the audio as
two subtitle tracks. Burning draws the target SRT with the `subtitles` filter in a labelled graph
fragment that joins the audio mix graph with ';', and re-encodes the video.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path

from dubbing.errors import ConfigurationError
from dubbing.languages import iso639_2
from dubbing.media.tools import require, run_tool

BURN_LABEL = "[vout]"
# libass scales FontSize to a 288-line script, so the text keeps its share of the height.
DEFAULT_STYLE = "FontSize=22,Outline=2,Shadow=0,MarginV=28"
BURN_ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
# ffmpeg's tokenizer drops unescaped whitespace at either end of a value.
_EDGE_SPACE = " \t\n\r"
# Level 1 ends an option value inside one filter's arguments; level 2 ends a filter in a graph.
_OPTION_SPECIAL = "\\':"
_GRAPH_SPECIAL = "\\'[],;"


class SubtitleMode(StrEnum):
    NONE = "none"
    EMBED = "embed"
    BURN = "burn"


def _escape(text: str, special: str) -> str:
    last = len(text) - 1
    return "".join(
        "\\" + c if c in special or (c in _EDGE_SPACE and i in (0, last)) else c
        for i, c in enumerate(text)
    )


def escape_filter_value(text: str) -> str:
    """Escape a filter option value for a filter graph (ffmpeg-filters, "filtergraph escaping")."""
    return _escape(_escape(text, _OPTION_SPECIAL), _GRAPH_SPECIAL)


def escape_filter_path(path: Path) -> str:
    """The absolute path, escaped; absolute so that 'a:b.srt' is never read as protocol 'a'."""
    return escape_filter_value(str(path.absolute()))


def embed_inputs(target_srt: Path, source_srt: Path) -> list[str]:
    """Two more inputs; `-f srt` because probing rejects the empty SRT of a video without cues."""
    return ["-f", "srt", "-i", str(target_srt.absolute()),
            "-f", "srt", "-i", str(source_srt.absolute())]


def embed_maps(first_input: int, target_lang: str, source_lang: str) -> list[str]:
    """Target subtitles then source subtitles as mov_text, after every other -map.

    `-metadata:s:s:N` counts subtitle streams only, so the audio tracks before them don't shift
    it. MP4 keeps `handler_name` as the track's name (`title` is dropped, kept for other
    containers). The target track is marked default and neither is forced: the MP4 muxer enables
    the first track of each kind whatever its disposition, so "no default" cannot be written.
    """
    args = ["-map", f"{first_input}:s:0", "-map", f"{first_input + 1}:s:0", "-c:s", "mov_text"]
    for index, (role, lang) in enumerate((("Translation", target_lang),
                                          ("Original", source_lang))):
        tag, name = iso639_2(lang), f"{role} ({iso639_2(lang)})"
        spec = f"-metadata:s:s:{index}"
        args += [spec, f"language={tag}", spec, f"handler_name={name}", spec, f"title={name}"]
    return [*args, "-disposition:s:0", "default", "-disposition:s:1", "0"]


def parse_filter_names(listing: str) -> frozenset[str]:
    """Filter names from `ffmpeg -filters` (lines like ' ... subtitles  V->V  Render ...')."""
    names = set()
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 3 and "->" in parts[2]:
            names.add(parts[1])
    return frozenset(names)


@functools.cache
def _listed_filters() -> frozenset[str]:
    args = [require("ffmpeg", "ffmpeg"), "-nostdin", "-hide_banner", "-filters"]
    return parse_filter_names(run_tool(args, what="ffmpeg -filters").stdout)


def require_subtitles_filter() -> None:
    if "subtitles" not in _listed_filters():
        raise ConfigurationError(
            "ffmpeg on this worker has no 'subtitles' filter (libass), needed to burn in "
            "subtitles: install an ffmpeg built with --enable-libass (Debian's is), or choose "
            "subtitle mode 'embed' or 'none'"
        )


def _has_cues(srt: Path) -> bool:
    # An empty SRT fails to open in the filter; a missing one is left for ffmpeg to report.
    return not srt.exists() or bool(srt.read_text(encoding="utf-8").strip())


def burn_filter(target_srt: Path, style: str | None = None) -> str:
    """The `subtitles` filter for the SRT; `style` is libass force_style ('' for its defaults)."""
    require_subtitles_filter()
    if not _has_cues(target_srt):
        return "null"
    text = f"subtitles=filename={escape_filter_path(target_srt)}"
    style = DEFAULT_STYLE if style is None else style
    return text + (f":force_style={escape_filter_value(style)}" if style else "")


def burn_graph(target_srt: Path, style: str | None = None) -> str:
    """`[0:v:0]subtitles=...[vout]`, to join with ';' to the audio graph of -filter_complex."""
    return f"[0:v:0]{burn_filter(target_srt, style)}{BURN_LABEL}"


def burn_video_args() -> list[str]:
    """Replaces `-map 0:v:0 -c:v copy`: burned pixels need a new encode."""
    return ["-map", BURN_LABEL, *BURN_ENCODE]
