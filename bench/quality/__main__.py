"""`python -m bench.quality`: dub the quality media (or --inputs) through the real service and
measure the dubs from their output files; or --measure-only an existing dub."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.quality.evaluate import measure_dub
from bench.quality.media import CACHE, NAMES, build
from bench.quality.run import Dubbed, dub_all, say
from bench.quality.table import format_table, overall

OUT_ROOT = CACHE.parent / "out"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    p.add_argument("--out", type=Path, help="write the results as JSON here")
    p.add_argument("--media", default=",".join(NAMES),
                   help=f"which of the built inputs to dub (default: {','.join(NAMES)})")
    p.add_argument("--inputs", help="comma-separated videos to dub instead (no truth known)")
    p.add_argument("--measure-only", type=Path, metavar="DUB.mp4",
                   help="measure this dub without running the service")
    p.add_argument("--srt", type=Path, help="with --measure-only: the target subtitles")
    p.add_argument("--report", type=Path, help="with --measure-only: the fit report")
    p.add_argument("--truth", type=Path, help="with --measure-only: a truth file of the input")
    p.add_argument("--outputs", type=Path, default=OUT_ROOT,
                   help=f"where the dubs are downloaded (default: {OUT_ROOT})")
    return p.parse_args(argv)


def measure_one(name: str, dubbed: Dubbed, truth: dict[str, Any] | None) -> dict[str, Any]:
    if dubbed.error is not None:
        return {"input": name, "error": dubbed.error}
    found = measure_dub(dubbed.files["mp4"], dubbed.files.get("target_srt"),
                        dubbed.files.get("report"), truth)
    return {"input": name, "wall_seconds": dubbed.wall_seconds, **found}


Planned = list[tuple[str, Path, dict[str, Any] | None]]


def plan(args: argparse.Namespace) -> Planned:
    """(name, video, truth) per input: --inputs as given (no truth), else the built media."""
    if args.inputs:
        videos = [Path(v).resolve() for v in args.inputs.split(",") if v]
        missing = [str(v) for v in videos if not v.is_file()]
        if missing:
            raise SystemExit(f"error: no such file: {', '.join(missing)}")
        return [(v.stem, v, None) for v in videos]
    say("building the quality media")
    media = [build(n) for n in args.media.split(",") if n]
    return [(m.name, m.video, m.truth) for m in media]


def dub_and_measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    named = plan(args)
    done = asyncio.run(dub_all([video for _, video, _ in named], args.outputs))
    return [measure_one(name, d, truth) for (name, _, truth), d in zip(named, done, strict=True)]


def measure_only(args: argparse.Namespace) -> list[dict[str, Any]]:
    truth = json.loads(args.truth.read_text()) if args.truth else None
    dub = Dubbed(args.measure_only, files={"mp4": args.measure_only})
    if args.srt:
        dub.files["target_srt"] = args.srt
    if args.report:
        dub.files["report"] = args.report
    return [measure_one(args.measure_only.stem, dub, truth)]


def code_version() -> str:
    done = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                          text=True, check=False, cwd=Path(__file__).resolve().parents[2])
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    rows = measure_only(args) if args.measure_only else dub_and_measure(args)
    rows.append(overall(rows))
    print(format_table(rows))
    print("silent: lines with no dub voice / with no target cue; leak, coverage: shares of "
          "source speech time; on|med|: median |dub onset - speech onset| (s)")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "code": code_version(), "wall_seconds": round(time.perf_counter() - began, 1),
            "rows": rows}, indent=1))
        print(f"results: {args.out}")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
