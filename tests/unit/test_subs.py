"""Subtitles: escaping for filter graphs, embedded mov_text tracks, burned-in pixels."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from dubbing.errors import ConfigurationError
from dubbing.media import subs
from dubbing.media.subs import (
    SubtitleMode,
    burn_graph,
    burn_video_args,
    embed_inputs,
    embed_maps,
    escape_filter_path,
    escape_filter_value,
    parse_filter_names,
)
from dubbing.media.tools import ffmpeg, run_tool
from dubbing.subtitles import Cue, to_srt
from tests.helpers import ffprobe, stream_md5

W, H = 320, 240
NASTY = [
    "it's: a [test], ok; $(x).srt", "back\\slash.srt", "'quoted'.srt", "a=b:c=d.srt",
    "semi;colon,[x][y].srt", "ünï ☃ 𝄞.srt", "trailing space.srt ", "tab\tand\nnewline.srt",
]


def write_srt(path: Path, cues: list[Cue]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_srt(cues), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("subs")
    video, dub = root / "in.mp4", root / "dub.wav"
    run_tool(ffmpeg("-f", "lavfi", "-i", f"testsrc=size={W}x{H}:rate=10:d=2.5", "-f", "lavfi",
                    "-i", "sine=d=2.5", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                    "-shortest", str(video)), what="source")
    run_tool(ffmpeg("-f", "lavfi", "-i", "sine=f=660:d=2.5", "-ar", "48000", str(dub)),
             what="dub")
    target = write_srt(root / "t.srt", [Cue(0.2, 1.0, "Hola mundo"), Cue(1.6, 2.4, "Adiós")])
    source = write_srt(root / "s.srt", [Cue(0.2, 1.0, "Hello world"), Cue(1.6, 2.4, "Bye")])
    return {"root": root, "video": video, "dub": dub, "target": target, "source": source}


def gray_frame(path: Path, at: float) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-ss", str(at), "-i", str(path),
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(H, W).astype(np.int16)


def changed(before: np.ndarray, after: np.ndarray) -> float:
    """Share of pixels that moved by more than encoding noise does."""
    return float((abs(before - after) > 64).mean())


def burn(media: dict[str, Path], srt: Path, out: Path) -> Path:
    graph = f"[1:a:0]anull[mix];{burn_graph(srt)}"
    run_tool(ffmpeg("-i", str(media["video"]), "-i", str(media["dub"]), "-filter_complex",
                    graph, *burn_video_args(), "-map", "[mix]", "-map", "0:a:0",
                    "-c:a", "aac", "-f", "mp4", str(out)), what="burn")
    return out


@pytest.mark.parametrize(("text", "escaped"), [
    ("/m/plain name.srt", "/m/plain name.srt"),
    ("/m/it's.srt", "/m/it\\\\\\'s.srt"),
    ("/m/a:b", "/m/a\\\\:b"),
    ("/m/a,b;c[d]", "/m/a\\,b\\;c\\[d\\]"),
    ("/m/back\\slash", "/m/back\\\\\\\\slash"),
    ("/m/$(x) ünï", "/m/$(x) ünï"),
    ("/m/end ", "/m/end\\\\\\ "),
    ("FontSize=22,Outline=2", "FontSize=22\\,Outline=2"),
])
def test_escape_filter_value_two_levels(text: str, escaped: str) -> None:
    assert escape_filter_value(text) == escaped


def test_escape_filter_path_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert escape_filter_path(Path("a:b.srt")) == escape_filter_value(f"{tmp_path}/a:b.srt")


@pytest.mark.parametrize("name", NASTY)
def test_filter_opens_nasty_file_names(media: dict[str, Path], name: str) -> None:
    srt = write_srt(media["root"] / "d, 'q' [b];" / name, [Cue(0.0, 0.2, "x")])
    run_tool(ffmpeg("-f", "lavfi", "-i", "color=s=64x48:d=0.2", "-filter_complex",
                    burn_graph(srt), "-map", "[vout]", "-f", "null", "-"), what="open")


def test_embedded_tracks_follow_both_audio_tracks(media: dict[str, Path]) -> None:
    out = media["root"] / "embed.mp4"
    run_tool(ffmpeg("-i", str(media["video"]), "-i", str(media["dub"]),
                    *embed_inputs(media["target"], media["source"]),
                    "-map", "0:v:0", "-map", "1:a:0", "-map", "0:a:0", "-c:v", "copy",
                    "-c:a", "aac", "-metadata:s:a:0", "language=spa",
                    "-metadata:s:a:1", "language=eng", *embed_maps(2, "es", "en"),
                    "-f", "mp4", str(out)), what="embed")
    streams = ffprobe(out)["streams"]
    assert [s["codec_type"] for s in streams] == ["video", "audio", "audio", "subtitle",
                                                  "subtitle"]
    assert [s["codec_name"] for s in streams[3:]] == ["mov_text", "mov_text"]
    assert [s["tags"]["language"] for s in streams[1:]] == ["spa", "eng", "spa", "eng"]
    assert [s["disposition"]["default"] for s in streams[3:]] == [1, 0]
    assert streams[4]["tags"]["handler_name"] == "Original (eng)"
    assert stream_md5(out, "0:v:0") == stream_md5(media["video"], "0:v:0")
    text = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-map", "0:s:0", "-f",
                           "srt", "-"], capture_output=True, text=True, check=True).stdout
    assert "Hola mundo" in text and "Adiós" in text


def test_embedding_an_srt_without_cues_works(media: dict[str, Path]) -> None:
    empty, out = write_srt(media["root"] / "none.srt", []), media["root"] / "empty.mp4"
    run_tool(ffmpeg("-i", str(media["video"]), "-i", str(media["dub"]),
                    *embed_inputs(empty, empty), "-map", "0:v:0", "-c:v", "copy",
                    *embed_maps(2, "es", "en"), "-f", "mp4", str(out)), what="embed")
    assert [s["codec_type"] for s in ffprobe(out)["streams"]] == ["video", "subtitle",
                                                                 "subtitle"]


def test_burning_draws_the_cue_at_the_bottom(media: dict[str, Path]) -> None:
    srt = media["root"] / "it's: a [test], ok; $(x).srt"
    srt.write_bytes(media["target"].read_bytes())
    out = burn(media, srt, media["root"] / "burn.mp4")
    assert [s["codec_type"] for s in ffprobe(out)["streams"]] == ["video", "audio", "audio"]
    shown, before = gray_frame(out, 0.5), gray_frame(media["video"], 0.5)
    assert changed(before[2 * H // 3:], shown[2 * H // 3:]) > 0.01
    assert changed(before[: H // 2], shown[: H // 2]) == 0.0
    assert abs(before[: H // 2] - shown[: H // 2]).mean() < 2.0
    assert changed(gray_frame(media["video"], 1.3), gray_frame(out, 1.3)) == 0.0  # between cues


def test_burning_an_srt_without_cues_passes_the_video_through(media: dict[str, Path]) -> None:
    empty = write_srt(media["root"] / "nothing.srt", [])
    assert burn_graph(empty) == "[0:v:0]null[vout]"
    out = burn(media, empty, media["root"] / "plain.mp4")
    assert changed(gray_frame(media["video"], 0.5), gray_frame(out, 0.5)) == 0.0


def test_burn_video_args_reencode_the_labelled_output() -> None:
    assert burn_video_args() == ["-map", "[vout]", "-c:v", "libx264", "-preset", "veryfast",
                                 "-crf", "20", "-pix_fmt", "yuv420p"]
    assert ":force_style=" not in burn_graph(Path("/m/a.srt"), style="")


def test_missing_libass_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "subtitles" in parse_filter_names(
        " ... subtitles         V->V       Render text subtitles using libass.\n"
        "  V = Video input/output\n")
    monkeypatch.setattr(subs, "_listed_filters", lambda: frozenset({"null", "scale"}))
    with pytest.raises(ConfigurationError, match="libass"):
        burn_graph(Path("/m/a.srt"))


def test_modes_are_plain_strings() -> None:
    assert [str(m) for m in SubtitleMode] == ["none", "embed", "burn"]
    assert SubtitleMode("burn") is SubtitleMode.BURN
