"""A dub from a `source_url`: the CPU worker fetches it in the job's first activity, and the
URL (with its token) stays out of the workflow's history and every answer."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from temporalio.client import WorkflowFailureError

from dubbing.settings import Settings
from dubclient.client import DubClient
from tests.api_server import bearer, keyed, serving
from tests.helpers import SAMPLE

pytestmark = pytest.mark.slow
TOKEN = "tok-5ecret-in-the-query"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    handler = partial(Quiet, directory=str(SAMPLE.parent))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
async def api(workers: Settings, tmp_path: Path) -> AsyncIterator[str]:
    # Loopback is allowed here (a trusted network) so the test's file server can be reached.
    async with serving(keyed(workers, scratch_dir=tmp_path)) as base:
        yield base


async def history_text(dubs: DubClient, job_id: str) -> str:
    history = await dubs.handle(job_id).fetch_history()
    return history.to_json()


async def test_a_source_url_is_fetched_and_dubbed(api: str, files: str, workers: Settings
                                                  ) -> None:
    url = f"{files}/{SAMPLE.name}?token={TOKEN}"
    async with httpx.AsyncClient(base_url=api, headers=bearer("alpha"), timeout=60) as http:
        made = await http.post("/v1/dubs", json={"source_url": url, "to": ["es"]})
        assert made.status_code == 201, made.text
        dub = made.json()
        assert dub["input_name"] == SAMPLE.name
        dubs = await DubClient.connect(workers.temporal_address)
        await dubs.result(dub["id"])
        final = (await http.get(f"/v1/dubs/{dub['id']}")).json()
        assert final["state"] == "completed"
        names = [o["name"] for o in final["languages"][0]["outputs"]]
        assert "es.mp4" in names
        assert TOKEN not in await history_text(dubs, dub["id"])
        assert TOKEN not in made.text + str(final)


async def test_a_missing_source_fails_the_job_at_once_without_the_token(
        api: str, files: str, workers: Settings) -> None:
    url = f"{files}/missing.mp4?token={TOKEN}"
    async with httpx.AsyncClient(base_url=api, headers=bearer("alpha"), timeout=60) as http:
        made = await http.post("/v1/dubs", json={"source_url": url, "to": ["es"]})
        assert made.status_code == 201, made.text
        dubs = await DubClient.connect(workers.temporal_address)
        with pytest.raises(WorkflowFailureError):
            await dubs.result(made.json()["id"])
        final = (await http.get(f"/v1/dubs/{made.json()['id']}")).json()
    assert final["state"] == "failed"
    assert final["error"]["type"] == "BadInput" and "answered 404" in final["error"]["message"]
    assert TOKEN not in str(final) and TOKEN not in await history_text(dubs, made.json()["id"])
