"""What concurrent or unusual clients do to the API, on the real stack: names in any script,
one Idempotency-Key sent by several requests at once, redubs racing each other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bench.media import speech_video
from dubbing.settings import Settings
from dubclient.client import DubClient
from tests.api_server import bearer, keyed, serving
from tests.helpers import SAMPLE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def api(workers: Settings, tmp_path_factory: pytest.TempPathFactory
              ) -> AsyncIterator[str]:
    async with serving(keyed(workers, scratch_dir=tmp_path_factory.mktemp("races"))) as base:
        yield base


async def test_a_file_name_in_any_script_is_kept(api: str, tmp_path: Path,
                                                 workers: Settings) -> None:
    clip = speech_video(tmp_path / "clip.mp4", 8)
    async with httpx.AsyncClient(base_url=api, headers=bearer("alpha"), timeout=60) as http:
        made = await http.post("/v1/dubs", files={"file": ("日本語の講演 vidéo.mp4",
                                                            clip.read_bytes())})
        assert made.status_code == 201, made.text
        assert made.json()["input_name"] == "日本語の講演 vidéo.mp4"
        await (await DubClient.connect(workers.temporal_address)).result(made.json()["id"])


async def test_one_idempotency_key_at_once_makes_one_job(api: str, tmp_path: Path) -> None:
    clips = [speech_video(tmp_path / f"c{i}.mp4", 6 + i) for i in range(3)]
    async with httpx.AsyncClient(base_url=api, headers=bearer("beta"), timeout=60) as http:
        answers = await asyncio.gather(*(
            http.post("/v1/dubs", headers={"Idempotency-Key": "race-1"},
                      files={"file": (c.name, c.read_bytes())}) for c in clips))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409], [a.text for a in answers]


async def test_redubs_at_once_after_the_end_are_applied_or_told_to_wait(
        api: str, workers: Settings) -> None:
    async with httpx.AsyncClient(base_url=api, headers=bearer("alpha"), timeout=120) as http:
        made = await http.post("/v1/dubs", files={"file": (SAMPLE.name, SAMPLE.read_bytes())},
                               data={"overflow": "shift"})
        job_id = made.json()["id"]
        await (await DubClient.connect(workers.temporal_address)).result(job_id)
        answers = await asyncio.gather(*(
            http.patch(f"/v1/dubs/{job_id}/lines/{i}", params={"lang": "es"},
                       json={"text": f"Línea número {i}."}) for i in (1, 2, 3)))
    codes = [a.status_code for a in answers]
    assert 200 in codes and set(codes) <= {200, 409}, [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert "a redub of dub" in answer.json()["detail"]
