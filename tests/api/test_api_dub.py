"""A dub through the HTTP API from upload to download, against the real dev server, workers
and engines: idempotency, tenants, events to the end, Range downloads, lines and a redub."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dubbing.settings import Settings
from tests.api_server import bearer, keyed, serving
from tests.helpers import SAMPLE, ffprobe

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def api(workers: Settings, tmp_path_factory: pytest.TempPathFactory
              ) -> AsyncIterator[str]:
    settings = keyed(workers, scratch_dir=tmp_path_factory.mktemp("api-scratch"))
    async with serving(settings) as base:
        yield base


async def events(http: httpx.AsyncClient, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []
    event = ""
    async with http.stream("GET", f"/v1/dubs/{job_id}/events", timeout=300) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        async for line in answer.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                seen.append((event, json.loads(line.removeprefix("data: "))))
    return seen


def upload(**fields: str) -> dict[str, Any]:
    return {"data": {"to": "es", **fields},
            "files": {"file": ("sample.mp4", SAMPLE.read_bytes(), "video/mp4")}}


async def test_a_dub_through_the_api(api: str, tmp_path: Path, workers: Settings) -> None:
    async with httpx.AsyncClient(base_url=api, headers=bearer("alpha"), timeout=120) as http:
        first = await http.post("/v1/dubs", headers={"Idempotency-Key": "k-1"}, **upload())
        assert first.status_code == 201, first.text
        job_id = first.json()["id"]
        assert job_id.startswith("alpha.") and first.headers["location"] == f"/v1/dubs/{job_id}"
        again = await http.post("/v1/dubs", headers={"Idempotency-Key": "k-1"}, **upload())
        assert again.status_code == 200 and again.json()["id"] == job_id
        changed = await http.post("/v1/dubs", headers={"Idempotency-Key": "k-1"},
                                  **upload(overflow="shift"))
        assert changed.status_code == 409, changed.text
        assert "Idempotency-Key" in changed.json()["detail"]

        seen = await events(http, job_id)
        kinds = [kind for kind, _ in seen]
        assert kinds[-1] == "end" and kinds.count("end") == 1 and "progress" in kinds
        final = seen[-1][1]
        assert final["state"] == "completed" and final["percent"] == 100.0
        percents = [dub["percent"] for _, dub in seen]
        assert percents == sorted(percents)

        es = final["languages"][0]
        names = {o["name"]: o for o in es["outputs"]}
        assert {"es.mp4", "es.srt", "es.vtt", "en.srt", "en.vtt", "es.report.json"} <= set(names)
        url = names["es.mp4"]["url"]
        async with httpx.AsyncClient(base_url=api) as anonymous:  # the link is signed
            whole = await anonymous.get(url)
            assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
            part = await anonymous.get(url, headers={"Range": "bytes=100-1099"})
            assert part.status_code == 206 and part.content == whole.content[100:1100]
            assert part.headers["content-range"] == f"bytes 100-1099/{len(whole.content)}"
            tampered = url.replace("es.mp4", "es.srt")
            assert (await anonymous.get(tampered)).status_code == 401
        video = tmp_path / "dubbed.mp4"
        video.write_bytes(whole.content)
        streams = ffprobe(video)["streams"]
        audio = [s for s in streams if s["codec_type"] == "audio"]
        assert len(audio) == 2 and audio[0]["disposition"]["default"] == 1

        lines = (await http.get(f"/v1/dubs/{job_id}/lines", params={"lang": "es"})).json()
        assert lines["revision"] == 0 and lines["lines"][0]["target_text"]
        for wrong, words in (({"speaker": "Bob"}, "speaker"),
                             ({}, "a new text, a speaker, or both")):
            refused = await http.patch(f"/v1/dubs/{job_id}/lines/0", params={"lang": "es"},
                                       json=wrong)
            assert refused.status_code == 422, refused.text
            assert words in refused.json()["detail"], refused.text
        redub = await http.patch(f"/v1/dubs/{job_id}/lines/0", params={"lang": "es"},
                                 json={"text": "Hola a todos, esto es una prueba."})
        assert redub.status_code == 200, redub.text
        assert redub.json()["revision"] == 1
        lines = (await http.get(f"/v1/dubs/{job_id}/lines", params={"lang": "es"})).json()
        assert lines["revision"] == 1
        assert lines["lines"][0]["target_text"] == "Hola a todos, esto es una prueba."

        listed = (await http.get("/v1/dubs", params={"state": "completed"})).json()
        assert job_id in [item["id"] for item in listed["items"]]

    async with httpx.AsyncClient(base_url=api, headers=bearer("beta")) as other:
        assert (await other.get(f"/v1/dubs/{job_id}")).status_code == 404
        assert (await other.get(f"/v1/dubs/{job_id}/lines?lang=es")).status_code == 404
        assert (await other.delete(f"/v1/dubs/{job_id}")).status_code == 404
        assert job_id not in [i["id"] for i in (await other.get("/v1/dubs")).json()["items"]]

    async with httpx.AsyncClient(base_url=api, headers=bearer("alpha"), timeout=60) as http:
        deleted = await http.delete(f"/v1/dubs/{job_id}")
        # 204 once the server has forgotten it; 202 while it is still deleting the history
        assert deleted.status_code in (202, 204), deleted.text
        assert not list((Path(workers.store) / "jobs").glob(f"{job_id}*"))
        for _ in range(120):
            if (await http.get(f"/v1/dubs/{job_id}")).status_code == 404:
                break
            assert deleted.status_code == 202, "a 204 means the job is gone already"
            await asyncio.sleep(0.5)
        assert (await http.get(f"/v1/dubs/{job_id}")).status_code == 404
