"""A tool that cannot write its output because the scratch disk is full or read-only fails
the job at once, with one line naming the scratch directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.base import translate_errors
from dubbing.errors import StorageUnwritableError, ToolError
from dubbing.media.tools import ffmpeg, run_tool
from tests.faults.mounts import remount_read_only, tmpfs
from workflows.policies import PERMANENT

# What ffmpeg 5.1 prints when its output's disk fills up (seen on a 64 KiB tmpfs).
FULL = """
import sys
out = sys.argv[1]
print("av_interleaved_write_frame(): No space left on device", file=sys.stderr)
print(f"Error writing trailer of {out}: No space left on device", file=sys.stderr)
sys.exit(1)
"""


def test_a_tool_on_a_full_scratch_disk_is_permanent_and_names_the_directory(
        tmp_path: Path) -> None:
    work = tmp_path / "scratch" / "cpu" / "4242" / "tmp-render"
    work.mkdir(parents=True)

    @translate_errors
    def mux() -> None:
        run_tool([sys.executable, "-c", FULL, str(work / "dub.mp4")], what="ffmpeg mux")

    with pytest.raises(ApplicationError) as info:
        mux()
    assert info.value.message == (
        f"scratch space {work} is full: ffmpeg mux failed (No space left on device); "
        "free space and submit again")
    assert info.value.non_retryable and info.value.type in PERMANENT


def test_other_tool_failures_stay_retryable(tmp_path: Path) -> None:
    # The scratch mapping must not swallow an ordinary failure: this one is retried.
    with pytest.raises(ToolError) as info:
        run_tool(ffmpeg("-i", str(tmp_path / "missing.mp4"), str(tmp_path / "out.wav")),
                 what="ffmpeg audio extraction")
    assert info.value.retryable and not isinstance(info.value, StorageUnwritableError)
    with pytest.raises(StorageUnwritableError, match=r"is full: ffmpeg"):
        run_tool([sys.executable, "-c", FULL, str(tmp_path / "dub.wav")], what="ffmpeg")


def test_real_ffmpeg_on_a_full_disk(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "scratch", size_kib=64) as work:
        with pytest.raises(StorageUnwritableError) as info:
            run_tool(ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "5",
                            str(work / "dub.wav")), what="ffmpeg dub track")
        assert str(info.value).startswith(f"scratch space {work} is full: ffmpeg dub track "
                                          "failed (No space left on device)")


def test_real_ffmpeg_on_a_read_only_disk(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "scratch", size_kib=64) as work:
        remount_read_only(work)
        with pytest.raises(StorageUnwritableError, match=f"scratch space {work} is read-only"):
            run_tool(ffmpeg("-f", "lavfi", "-i", "anullsrc", "-t", "1", str(work / "a.wav")),
                     what="ffmpeg")
