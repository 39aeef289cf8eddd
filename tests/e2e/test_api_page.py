"""The web page the HTTP API serves at `/`, in headless Chromium, over the real stack: a dev
server, both workers and `python -m api`. A person uploads the sample through the page, watches
its progress, plays the dubbed video, and redubs one line. Screenshots are kept as artifacts
($DUB_TEST_ARTIFACTS, default test-artifacts/)."""

from __future__ import annotations

import asyncio
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, Request, expect

from bench.stack import Stack, free_port
from tests.browser import artifacts_dir, chromium
from tests.helpers import ROOT, SAMPLE

pytestmark = pytest.mark.slow

DUB_WAIT_MS = 600_000    # the whole dub of the sample on a small machine
REDUB_WAIT_MS = 240_000  # one line voiced again and the video mixed anew
VIDEO_WAIT_MS = 30_000
NEW_TEXT = "Esta frase es nueva y la ha escrito una persona."


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status)
    except OSError:
        return 0


@pytest.fixture
async def api_url(tmp_path: Path) -> AsyncIterator[str]:
    """The base URL of `python -m api` over a fresh dev server and both workers."""
    stack = Stack(tmp_path)
    proc: asyncio.subprocess.Process | None = None
    try:
        await stack.start_server()
        await stack.start_worker("cpu", "cpu")
        await stack.start_worker("gpu", "gpu")
        port = free_port()
        log = (tmp_path / "api.log").open("ab")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "api", env={**stack.env(), "DUB_API_PORT": str(port)},
            cwd=ROOT, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while await asyncio.to_thread(_status, f"{url}/healthz") != 200:
            if proc.returncode is not None:
                raise RuntimeError(f"the API exited ({proc.returncode}): see {tmp_path}/api.log")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not answer /healthz: see {tmp_path}/api.log")
            await asyncio.sleep(0.3)
        yield url
    finally:
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await stack.close()


async def _text(page: Page, selector: str) -> str:
    return (await page.locator(selector).text_content() or "").strip()


async def _wait_playable(page: Page, previous_src: str | None = None) -> str:
    """Wait until the <video> has a (new) source and data to play; its src."""
    await page.wait_for_function(
        """prev => { const v = document.querySelector('#video');
                     return v.currentSrc && v.currentSrc !== prev && v.readyState >= 2; }""",
        arg=previous_src, timeout=VIDEO_WAIT_MS)
    return str(await page.evaluate("document.querySelector('#video').currentSrc"))


@pytest.mark.timeout(1200)
async def test_a_person_dubs_the_sample_and_redubs_a_line_in_the_page(
        api_url: str, tmp_path: Path) -> None:
    shots = artifacts_dir()
    async with chromium(tmp_path / "chromium-profile") as context:
        page = await context.new_page()
        sent_auth: list[str] = []

        def record(request: Request) -> None:
            if "authorization" in request.headers:
                sent_auth.append(request.url)

        page.on("request", record)
        await page.goto(f"{api_url}/", wait_until="domcontentloaded")
        await expect(page.locator("#dub-form")).to_be_visible()
        await expect(page.locator("#error")).to_be_hidden()

        # A file that is not media: the API's problem detail shows in the error box.
        not_media = tmp_path / "talk.txt"
        not_media.write_text("this is no video\n" * 50)
        await page.set_input_files("#file", str(not_media))
        await page.click("#submit")
        await expect(page.locator("#error")).to_be_visible(timeout=20_000)
        assert await _text(page, "#error-text"), "the error box is empty"
        await page.screenshot(path=shots / "api-page-error.png")
        await page.click("#error-close")

        # The sample, to Spanish with the defaults.
        await page.set_input_files("#file", str(SAMPLE))
        await expect(page.locator("#file-name")).to_contain_text(SAMPLE.name)
        await expect(page.locator('input[name="lang"][value="es"]')).to_be_checked()
        await expect(page.locator("#speakers")).to_have_value("auto")  # who speaks: found
        await page.screenshot(path=shots / "api-page-form.png", full_page=True)
        await page.click("#submit")
        await expect(page.locator("#upload-percent")).to_have_text("Uploaded", timeout=60_000)
        await expect(page.locator("#job")).to_be_visible()
        job_id = await _text(page, "#job-id")
        assert job_id, "no job opened"

        # Live progress: a stage with some percent while it runs (or already done).
        await page.wait_for_function(
            """() => { const s = document.querySelector('#state').textContent;
                       const p = parseFloat(document.querySelector('#percent').textContent);
                       return s === 'completed' || (s === 'running' && p > 0); }""",
            timeout=DUB_WAIT_MS)
        await page.screenshot(path=shots / "api-page-progress.png", full_page=True)
        await expect(page.locator("#state")).to_have_text("completed", timeout=DUB_WAIT_MS)
        await expect(page.locator("#percent")).to_have_text("100%")
        await expect(page.locator("#error")).to_be_hidden()

        # The dubbed video plays from its signed link, and every output can be downloaded.
        src = await _wait_playable(page)
        assert "/outputs/es.mp4" in src, src
        links = page.locator("#downloads a")
        names = [(await links.nth(i).text_content() or "") for i in range(await links.count())]
        assert "es.mp4" in names and "es.report.json" in names, names
        job_item = page.get_by_test_id(f"job-{job_id}")
        await expect(job_item).to_contain_text("completed", timeout=20_000)
        await expect(page.locator("#revision")).to_have_text("0", timeout=20_000)
        text0 = page.get_by_test_id("line-text-0")
        await expect(text0).to_be_visible()
        assert await text0.input_value(), "line 0 has no text"
        await page.screenshot(path=shots / "api-page-completed.png", full_page=True)

        # Redub line 0 with new text, spoken by speaker 2: revision 1, and the video reloads
        # from a new link.
        await expect(page.get_by_test_id("line-speaker-0")).to_have_value("S1")
        await text0.fill(NEW_TEXT)
        await page.get_by_test_id("line-speaker-0").select_option("S2")
        await page.get_by_test_id("redub-0").click()
        await expect(page.locator("#revision")).to_have_text("1", timeout=REDUB_WAIT_MS)
        await expect(page.get_by_test_id("line-revision-0")).to_have_text("1")
        await expect(page.get_by_test_id("line-text-0")).to_have_value(NEW_TEXT)
        await expect(page.get_by_test_id("line-speaker-0")).to_have_value("S2")
        await expect(page.get_by_test_id("line-speaker-1")).to_have_value("S1")
        await expect(page.locator("#redub-message")).to_contain_text("revision 1")
        new_src = await _wait_playable(page, src)
        assert "/outputs/es.mp4" in new_src, new_src
        await expect(page.locator("#error")).to_be_hidden()
        await page.screenshot(path=shots / "api-page-redub.png", full_page=True)

        # Opening the job from the list shows it again, completed.
        await page.goto(f"{api_url}/", wait_until="domcontentloaded")
        await page.get_by_test_id(f"job-{job_id}").click()
        await expect(page.locator("#state")).to_have_text("completed", timeout=20_000)
        await _wait_playable(page)
        assert not sent_auth, f"a bearer header was sent without a key: {sent_auth}"
