"""The Temporal Web UI shows a job as a user finds it: filtered by a search attribute, with its
summary, its settings and its live stage table. Headless Chromium, screenshots kept as
artifacts ($DUB_TEST_ARTIFACTS, default test-artifacts/)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Page, expect

from dubbing.contract import SA_TARGET_LANGS, DubJob, DubResult
from dubbing.storage import open_store
from starter import jobs
from tests.browser import UIStack, artifacts_dir, chromium
from tests.helpers import SAMPLE

pytestmark = pytest.mark.slow

UI_WAIT_MS = 20_000  # the UI is a single-page app: its JavaScript loads, then it asks the API


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[UIStack]:
    async with UIStack.running(tmp_path) as s:
        yield s


async def _wait_listed(stack: UIStack, query: str, *job_ids: str) -> None:
    """Visibility lags behind the run: wait until the server's list holds every job."""
    client = await stack.client()
    deadline = time.monotonic() + 30
    while True:
        found = {w.id async for w in client.list_workflows(query)}
        if found.issuperset(job_ids):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{query!r} lists {sorted(found)}, not {sorted(job_ids)}")
        await asyncio.sleep(0.3)


async def _open_list(page: Page, url: str, job_id: str, attempts: int = 4) -> None:
    """Open the workflow list, loading it again while the job is not in it yet."""
    for attempt in range(1, attempts + 1):
        await page.goto(url, wait_until="domcontentloaded")
        try:
            await expect(page.get_by_role("link", name=job_id, exact=True)).to_be_visible(
                timeout=UI_WAIT_MS if attempt == 1 else 8_000)
            return
        except AssertionError:
            if attempt == attempts:
                raise


async def test_the_web_ui_filters_by_target_language_and_shows_the_job(
        stack: UIStack, tmp_path: Path) -> None:
    client = await stack.client()
    store = open_store(stack.settings.store)
    es = await jobs.submit(client, store, SAMPLE,
                           DubJob(input_key="pending", input_name=SAMPLE.name))
    ca = await jobs.submit(client, store, SAMPLE,
                           DubJob(input_key="pending", input_name=SAMPLE.name,
                                  target_langs=("ca",)))
    result = await es.result()
    assert isinstance(result, DubResult)
    await ca.result()
    query = f'{SA_TARGET_LANGS}="es"'
    await _wait_listed(stack, query, es.id)
    await _wait_listed(stack, "", es.id, ca.id)

    shots = artifacts_dir()
    workflows = f"{stack.ui_url}/namespaces/default/workflows"
    async with chromium(tmp_path / "chromium-profile") as context:
        page = await context.new_page()

        # Unfiltered: both jobs are listed.
        await _open_list(page, workflows, es.id)
        await expect(page.get_by_role("link", name=ca.id, exact=True)).to_be_visible(
            timeout=UI_WAIT_MS)
        await page.screenshot(path=shots / "ui-list-all.png")

        # Filtered by the KeywordList search attribute through the UI's `query` parameter:
        # the filter shows as a chip, and only the Spanish job is left.
        await _open_list(page, f"{workflows}?query={quote(query)}", es.id)
        await expect(page.locator(f'[title="{SA_TARGET_LANGS} = es"]')).to_be_visible(
            timeout=UI_WAIT_MS)
        await expect(page.get_by_role("link", name=ca.id, exact=True)).to_have_count(0)
        await page.screenshot(path=shots / "ui-list-filtered.png")

        # The job: its User Metadata tab renders the summary, the static details and the
        # current details (markdown, each in an iframe served by the UI's /render).
        await page.get_by_role("link", name=es.id, exact=True).click()
        await page.wait_for_url(f"**/workflows/{es.id}/**", timeout=UI_WAIT_MS)
        tab = page.get_by_test_id("user-metadata-tab")
        await expect(tab).to_be_visible(timeout=UI_WAIT_MS)
        await tab.click()
        await page.wait_for_url("**/user-metadata", timeout=UI_WAIT_MS)
        summary = page.frame_locator("#user-metadata-summary").locator("body")
        details = page.frame_locator("#user-metadata-details").locator("body")
        current = page.frame_locator("#user-metadata-current-details").locator("body")
        await expect(summary).to_contain_text("dub sample.mp4 en->es", timeout=UI_WAIT_MS)
        await expect(details).to_contain_text("translator", timeout=UI_WAIT_MS)
        await expect(details).to_contain_text("apertium")
        await expect(details.locator("table")).to_be_visible()
        # Current details come from a query the worker answers: press R to refresh if the
        # first answer is not there yet.
        for _ in range(5):
            try:
                await expect(current.locator("table")).to_be_visible(timeout=5_000)
                break
            except AssertionError:
                await page.keyboard.press("r")
        await expect(current).to_contain_text("completed", timeout=UI_WAIT_MS)
        for stage in ("stage", "done", "transcribe", "synthesize", "render"):
            await expect(current.locator("table")).to_contain_text(stage)
        await page.screenshot(path=shots / "ui-workflow.png", full_page=True)
