"""A planted provider API key, refused by the provider with the key in its error text, is found
nowhere a user or operator looks: not in the CLI's output, the report, the workflow history or
the workers' logs. The real stack: a dev server, both workers as processes, the starter."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from bench.stack import Stack
from tests.helpers import SAMPLE
from tests.libre_server import LibreServer

pytestmark = pytest.mark.slow
KEY = "PLANTED-KEY-7d1f0c9a"


def _logs(root: Path) -> dict[str, str]:
    return {p.name: p.read_text(errors="replace") for p in root.glob("*.log")}


@pytest.mark.parametrize("fallback", ["apertium", "none"])
async def test_a_planted_key_is_nowhere_to_be_found(tmp_path: Path, fallback: str) -> None:
    """With Apertium standing in the job completes and the report says why; without a
    fallback the job fails with TranslationAuth, its error chain in the history and the log."""
    libre = LibreServer()
    libre.fail(times=-1, status=403)  # "Unauthorized access with the api key ..." each time
    secrets = {"DUB_TRANSLATOR_API_KEY": KEY, "DUB_TRANSLATOR_URL": libre.url.rstrip("/"),
               "DUB_TRANSLATOR_FALLBACK": fallback}
    stack = Stack(tmp_path)
    try:
        await stack.start_server()
        await stack.start_worker("cpu", "cpu", env=secrets)
        await stack.start_worker("gpu", "gpu", env=secrets)
        clip = tmp_path / "planted.mp4"
        shutil.copyfile(SAMPLE, clip)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "starter", "translate", str(clip), "--to", "es",
            "--translator", "libre", "--out", str(tmp_path / "out"),
            env={**stack.env(), **secrets}, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=300)
        cli = (stdout + stderr).decode()
        assert libre.requests > 0, "the provider was never asked: nothing was planted"
        if fallback == "none":
            assert proc.returncode == 1 and "DUB_TRANSLATOR_API_KEY" in cli, cli
            report_text = ""
        else:
            assert proc.returncode == 0, cli
            report_text = await asyncio.to_thread(
                (tmp_path / "out" / "planted.es.report.json").read_text)
            report = json.loads(report_text)
            assert "Authoriz" in report["segments"][0]["translation_fallback"], "no refusal"
        client = await stack.client()
        histories = [(await client.get_workflow_handle(w.id).fetch_history()).to_json()
                     async for w in client.list_workflows()]
    finally:
        await stack.close()
        libre.close()
    logs = await asyncio.to_thread(_logs, tmp_path)
    places = {"CLI output": cli, "report": report_text, "history": "\n".join(histories), **logs}
    assert histories and {"cpu.log", "gpu.log"} <= set(logs)
    leaks = [where for where, text in places.items() if KEY in text]
    assert not leaks, f"the planted key shows in: {leaks}"
