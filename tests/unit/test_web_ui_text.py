"""What the Web UI shows of a job's settings is the user's text, never markup of their making."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from dubbing.contract import DubJob, TranscriptionSettings
from workflows.attributes import details, summary

HOSTILE = [
    "[click](https://evil.example/x)", "![img](https://evil.example/i.png)",
    "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "https://evil.example/x",
    "www.evil.example", "a | b | c", "*bold* _em_ `code` ~~gone~~", "&lt;b&gt; &amp;",
    "line\nbreak", "<https://evil.example>", "\\[x\\](y)",
]
# GitHub's flavour with bare-URL autolinks: the most a markdown renderer will make of text.
RENDER = MarkdownIt("gfm-like")


def _cells(rendered: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", rendered, re.DOTALL)]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_setting_renders_as_its_own_text(text: str) -> None:
    job = DubJob(input_key="jobs/j/input", input_name="talk.mp4",
                 transcription=TranscriptionSettings(model=text))
    rendered = RENDER.render(details(job))
    assert not re.search(r"<(a|img|script|strong|em|code|s|del)\b", rendered), rendered
    cells = _cells(rendered)
    assert len(cells) == 16, "a value opened table cells of its own"
    assert cells[cells.index("speech model") + 1] == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE[:6])
def test_the_summary_shows_the_input_name_as_text(text: str) -> None:
    job = DubJob(input_key="jobs/j/input", input_name=text.replace("/", "-"))
    rendered = RENDER.renderInline(summary(job))
    assert not re.search(r"<(a|img|script)\b", rendered), rendered
    assert html.unescape(rendered).startswith(f"dub {' '.join(text.replace('/', '-').split())}")
