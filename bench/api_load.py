"""The HTTP API under load (`make bench-api`): a 1 GiB upload streamed through the API process
(its peak RSS), and 200 Server-Sent-Events watchers of one running job (progress queries the
Temporal server received per second, read from its own metrics, and the API's latency for
GET /v1/dubs/{id} meanwhile). Real dev server, a real CPU worker, the API as a process; no GPU
worker, so the job stays running at its transcription for as long as the benchmark watches."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import struct
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx

from bench.memory import MIB, PeakRss
from bench.stack import Stack, start_api
from dubclient.http import DubHTTP

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.mp4"


def silent_wav(dest: Path, size: int) -> Path:
    """A valid WAV of `size` bytes (48 kHz stereo 16-bit silence), written in 8 MiB blocks."""
    data = size - 44
    header = b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 2, 48000, 48000 * 4, 4, 16) + b"data" + struct.pack("<I", data)
    block = bytes(8 * MIB)
    with dest.open("wb") as out:
        out.write(header)
        left = data
        while left > 0:
            out.write(block[: min(left, len(block))])
            left -= len(block)
    return dest


def query_count(metrics_port: int) -> float:
    """QueryWorkflow requests the Temporal server has answered so far (its Prometheus page)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as page:
        text = page.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("service_requests{") and 'operation="QueryWorkflow"' in line
               and 'service_name="frontend"' in line)


async def big_upload(base: str, api_pid: int, tmp: Path, size: int) -> dict[str, Any]:
    wav = await asyncio.to_thread(silent_wav, tmp / "long-silence.wav", size)
    async with DubHTTP(base, timeout=600) as dubs:
        with PeakRss({"api": api_pid}, interval=0.05) as peak:
            began = time.monotonic()
            dub = await dubs.submit(wav, ["es"])
            seconds = time.monotonic() - began
        await dubs.delete(dub.id)
    await asyncio.to_thread(wav.unlink)
    return {"bytes": size, "seconds": round(seconds, 1),
            "mib_per_second": round(size / MIB / seconds, 1), "api_rss": peak.report()["api"]}


async def _watch(http: httpx.AsyncClient, job_id: str, stop: asyncio.Event,
                 events: list[int]) -> None:
    async with http.stream("GET", f"/v1/dubs/{job_id}/events") as answer:
        async for line in answer.aiter_lines():
            if line.startswith("event:"):
                events.append(1)
            if stop.is_set():
                return


async def watchers(base: str, stack: Stack, count: int, seconds: float) -> dict[str, Any]:
    async with DubHTTP(base) as dubs:
        job = await dubs.submit(SAMPLE, ["es"])
        limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
        async with httpx.AsyncClient(base_url=base, limits=limits,
                                     timeout=httpx.Timeout(30, read=None)) as http:
            stop, events = asyncio.Event(), list[int]()
            streams = [asyncio.create_task(_watch(http, job.id, stop, events))
                       for _ in range(count)]
            await asyncio.sleep(3)  # every stream connected
            before, began = query_count(stack.metrics_port), time.monotonic()
            await asyncio.sleep(seconds)
            sse_rate = (query_count(stack.metrics_port) - before) / (time.monotonic() - began)
            latencies = []
            for _ in range(300):  # GET under that load, one at a time
                start = time.perf_counter()
                (await http.get(f"/v1/dubs/{job.id}")).raise_for_status()
                latencies.append((time.perf_counter() - start) * 1000)
                await asyncio.sleep(0.02)
            stop.set()
            for task in streams:
                task.cancel()
            await asyncio.gather(*streams, return_exceptions=True)
        await dubs.delete(job.id)
    latencies.sort()
    return {"watchers": count, "watched_seconds": seconds, "events_received": len(events),
            "server_progress_queries_per_second": round(sse_rate, 2),
            "get_ms": {"p50": round(statistics.median(latencies), 1),
                       "p99": round(latencies[int(len(latencies) * 0.99) - 1], 1),
                       "max": round(latencies[-1], 1)}}


async def main(upload_mib: int, count: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        stack = Stack(tmp)
        await stack.start_server()
        await stack.start_worker("cpu", "cpu")
        api, base = await start_api({**stack.env(), "DUB_SCRATCH_DIR": str(tmp / "scratch"),
                                     "DUB_API_MAX_UPLOAD_MB": "2048"})
        try:
            result = {"upload": await big_upload(base, api.pid, tmp, upload_mib * MIB),
                      "events": await watchers(base, stack, count, seconds)}
        finally:
            api.terminate()
            await api.wait()
            await stack.close()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(".state/bench/api.json"))
    parser.add_argument("--upload-mib", type=int, default=1024)
    parser.add_argument("--watchers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    measured = asyncio.run(main(args.upload_mib, args.watchers, args.seconds))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(measured, indent=1))
    print(json.dumps(measured, indent=1))
