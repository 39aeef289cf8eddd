"""Stand-in activities for workflow tests: the same names, queues and input/result models as
`workflows/registry.py` declares, but no media is touched.

Every stand-in records its call (activity name, task queue, workflow id, attempt, input,
heartbeat details it was given, when it ran and how it ended) and then, when a test installed a
hook for that workflow and activity, runs the hook: a hook can raise, sleep, heartbeat, block
until told or until cancelled, and may return a result in place of the default one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.control import start_delivery
from dubbing import keys
from dubbing.contract import OUTPUT_KINDS, DubJob, FitSummary, OutputSet
from dubbing.stages import (
    CancelJob,
    CleanupInput,
    ClusterSpeakersInput,
    EmbedSpeakersInput,
    ExtractInput,
    FetchInput,
    FitInput,
    ManifestRef,
    MeasureInput,
    MediaInfo,
    PlanInput,
    PrepareRedubInput,
    ProbeInput,
    RedubLine,
    RenderInput,
    SpeakersOutput,
    SynthesizeInput,
    TranscribeInput,
    TranscribeOutput,
    TranslateInput,
    WebhookCall,
    Window,
)

MEDIA_SECONDS = 30.0
SEGMENTS_PER_WINDOW = 3
BEAT_EVERY = 0.02  # seconds between heartbeats of a stand-in that waits


def media_info() -> MediaInfo:
    return MediaInfo(duration=MEDIA_SECONDS, has_video=True, video_codec="h264",
                     audio_codec="aac", sample_rate=16000, channels=1)


def windows() -> list[Window]:
    half = MEDIA_SECONDS / 2
    return [Window(index=0, start=0.0, end=half, chunks=(0.0, 7.0, half)),
            Window(index=1, start=half, end=MEDIA_SECONDS)]


def output_set(job_id: str, source_lang: str, target_lang: str, *, segments: int,
               revision: int = 0, isolated: int = 0) -> OutputSet:
    return OutputSet(
        target_lang=target_lang,
        keys={kind: keys.output_key(job_id, kind, source_lang, target_lang)
              for kind in OUTPUT_KINDS},
        summary=FitSummary(segments=segments, revision=revision, isolated=isolated,
                           steps={"fits": segments}, cues=segments),
    )


def manifest(job_id: str, lang: str = "es") -> RenderInput:
    """What `load_manifest` would read back for a finished two-window job."""
    job = DubJob(input_key=keys.input_key(job_id), input_name="talk.mp4", target_langs=(lang,))
    return RenderInput(job_id=job_id, input_key=job.input_key, input_name=job.input_name,
                       source_lang="en", target_lang=lang, media=media_info(),
                       fit_keys=[keys.fit_key(job_id, w.index, lang) for w in windows()],
                       job=job, windows=windows())


@dataclass
class Call:
    name: str
    queue: str
    workflow_id: str
    attempt: int
    inp: Any
    heartbeat_details: list[Any]
    scheduled: datetime | None  # the server's current_attempt_scheduled_time (virtual)
    started_at: datetime | None  # the server's started_time of this attempt (virtual)
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    outcome: str | None = None  # "ok", "failed: <type>", "cancelled"


Hook = Callable[[Call], Awaitable[Any]]


class StandIns:
    """One set of stand-ins for the whole session; tests steer them per workflow id."""

    def __init__(self, client: Client) -> None:
        self.client = client  # request_cancellation asks the real server through it
        self.calls: list[Call] = []
        self.hooks: dict[tuple[str, str], Hook] = {}

    # ---- steering -----------------------------------------------------------------------

    def on(self, workflow_id: str, name: str, hook: Hook) -> None:
        self.hooks[(workflow_id, name)] = hook

    def of(self, workflow_id: str, name: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.workflow_id == workflow_id
                and (name is None or c.name == name)]

    def names(self, workflow_id: str) -> list[str]:
        return [c.name for c in self.of(workflow_id)]

    async def wait_for(self, predicate: Callable[[], Any], within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the stand-ins")
            await asyncio.sleep(0.01)

    async def entered(self, workflow_id: str, name: str, count: int = 1) -> Call:
        await self.wait_for(lambda: len(self.of(workflow_id, name)) >= count)
        return self.of(workflow_id, name)[count - 1]

    # ---- the activities -----------------------------------------------------------------

    async def _run(self, name: str, inp: Any, default: Callable[[], Any]) -> Any:
        info = activity.info()
        call = Call(name=name, queue=info.task_queue, workflow_id=info.workflow_id or "",
                    attempt=info.attempt, inp=inp,
                    heartbeat_details=list(info.heartbeat_details),
                    scheduled=info.current_attempt_scheduled_time,
                    started_at=info.started_time)
        self.calls.append(call)
        try:
            hook = self.hooks.get((call.workflow_id, name))
            result = await hook(call) if hook is not None else None
            if result is None:
                result = default()
        except asyncio.CancelledError:
            call.outcome = "cancelled"
            raise
        except ApplicationError as err:
            call.outcome = f"failed: {err.type}"
            raise
        except BaseException as err:
            call.outcome = f"failed: {type(err).__name__}"
            raise
        else:
            call.outcome = "ok"
            return result
        finally:
            call.ended = time.monotonic()

    @activity.defn(name="fetch_source")
    async def fetch_source(self, inp: FetchInput) -> int:
        return await self._run("fetch_source", inp, lambda: 1)

    @activity.defn(name="probe_media")
    async def probe_media(self, inp: ProbeInput) -> MediaInfo:
        return await self._run("probe_media", inp, media_info)

    @activity.defn(name="extract_audio")
    async def extract_audio(self, inp: ExtractInput) -> str:
        return await self._run("extract_audio", inp, lambda: keys.audio_key(inp.job_id))

    @activity.defn(name="plan_windows")
    async def plan_windows(self, inp: PlanInput) -> list[Window]:
        return await self._run("plan_windows", inp, windows)

    @activity.defn(name="transcribe_window")
    async def transcribe_window(self, inp: TranscribeInput) -> TranscribeOutput:
        return await self._run("transcribe_window", inp, lambda: TranscribeOutput(
            segments_key=keys.segments_key(inp.job_id, inp.window.index),
            count=SEGMENTS_PER_WINDOW, decoded_seconds=inp.window.end - inp.window.start))

    @activity.defn(name="embed_speakers")
    async def embed_speakers(self, inp: EmbedSpeakersInput) -> str:
        return await self._run("embed_speakers", inp, lambda: keys.embeddings_key(
            inp.job_id, inp.window.index, run=inp.run_id))

    @activity.defn(name="cluster_speakers")
    async def cluster_speakers(self, inp: ClusterSpeakersInput) -> SpeakersOutput:
        return await self._run("cluster_speakers", inp, lambda: SpeakersOutput(
            speakers_key=keys.speakers_key(inp.job_id, run=inp.run_id), count=2))

    @activity.defn(name="translate_segments")
    async def translate_segments(self, inp: TranslateInput) -> str:
        return await self._run("translate_segments", inp, lambda: keys.texts_key(
            inp.job_id, inp.window_index, inp.target_lang))

    @activity.defn(name="synthesize_segments")
    async def synthesize_segments(self, inp: SynthesizeInput) -> str:
        return await self._run("synthesize_segments", inp, lambda: keys.clips_key(
            inp.job_id, inp.window_index, inp.target_lang))

    @activity.defn(name="fit_segments")
    async def fit_segments(self, inp: FitInput) -> str:
        return await self._run("fit_segments", inp, lambda: keys.fit_key(
            inp.job_id, inp.window.index, inp.target_lang))

    @activity.defn(name="measure_window")
    async def measure_window(self, inp: MeasureInput) -> str:
        return await self._run("measure_window", inp, lambda: keys.energy_key(
            inp.job_id, inp.window.index, inp.target_lang))

    @activity.defn(name="render_outputs")
    async def render_outputs(self, inp: RenderInput) -> OutputSet:
        return await self._run("render_outputs", inp, lambda: output_set(
            inp.job_id, inp.source_lang, inp.target_lang,
            segments=SEGMENTS_PER_WINDOW * len(inp.fit_keys)))

    @activity.defn(name="cleanup_job")
    async def cleanup_job(self, inp: CleanupInput) -> int:
        return await self._run("cleanup_job", inp, lambda: 3 if inp.keep_outputs else 12)

    @activity.defn(name="prepare_redub")
    async def prepare_redub(self, inp: PrepareRedubInput) -> RedubLine:
        def line() -> RedubLine:
            position = min(inp.request.index // SEGMENTS_PER_WINDOW, len(inp.windows) - 1)
            window, lang = inp.windows[position], inp.request.target_lang
            return RedubLine(window=window,
                             line=inp.request.index - position * SEGMENTS_PER_WINDOW,
                             revision=1,
                             texts_key=keys.texts_key(inp.job_id, window.index, lang),
                             segments_key=keys.segments_key(inp.job_id, window.index),
                             clips_key=keys.clips_key(inp.job_id, window.index, lang),
                             audio_key=keys.audio_key(inp.job_id))
        return await self._run("prepare_redub", inp, line)

    @activity.defn(name="load_manifest")
    async def load_manifest(self, inp: ManifestRef) -> RenderInput:
        return await self._run("load_manifest", inp,
                               lambda: manifest(inp.job_id, inp.target_lang))

    @activity.defn(name="request_cancellation")
    async def request_cancellation(self, inp: CancelJob) -> None:
        await self._run("request_cancellation", inp, lambda: None)
        # What the real activity (activities/control.py) does, through the test's client.
        await self.client.get_workflow_handle(inp.workflow_id).cancel(reason=inp.reason)

    @activity.defn(name="notify_webhook")
    async def notify_webhook(self, inp: WebhookCall) -> int:
        return await self._run("notify_webhook", inp, lambda: 204)

    @activity.defn(name="start_webhook")
    async def start_webhook(self, inp: WebhookCall) -> None:
        await self._run("start_webhook", inp, lambda: None)
        await start_delivery(self.client, inp)  # the real activity's work, the test's client

    def cpu(self) -> list[Callable[..., Any]]:
        return [self.fetch_source, self.probe_media, self.extract_audio, self.plan_windows,
                self.translate_segments, self.synthesize_segments, self.fit_segments,
                self.measure_window, self.render_outputs, self.cleanup_job,
                self.prepare_redub, self.load_manifest, self.request_cancellation,
                self.notify_webhook, self.start_webhook, self.cluster_speakers]

    def gpu(self) -> list[Callable[..., Any]]:
        return [self.transcribe_window, self.synthesize_segments, self.embed_speakers]


# ---- hooks --------------------------------------------------------------------------------

async def beat_until_cancelled(call: Call) -> Any:
    """A long activity that heartbeats until it is cancelled (then it stops, as real ones do)."""
    while True:
        activity.heartbeat({"waiting": call.name})
        await asyncio.sleep(BEAT_EVERY)


def beat_until(event: asyncio.Event, result: Any = None) -> Hook:
    """Heartbeat until the test sets `event` (or a cancellation stops the activity)."""
    async def hook(call: Call) -> Any:
        while not event.is_set():
            activity.heartbeat({"waiting": call.name})
            await asyncio.sleep(BEAT_EVERY)
        return result
    return hook


def silent_until(event: asyncio.Event, result: Any = None) -> Hook:
    """A short activity: it never heartbeats, so it cannot hear a cancellation, and returns
    normally once the test sets `event`."""
    async def hook(call: Call) -> Any:
        await event.wait()
        return result
    return hook


def fail(type: str, message: str, *, non_retryable: bool = False,
         attempts: Iterable[int] | None = None) -> Hook:
    """Raise ApplicationError(type) on the given attempts (all when None), else succeed."""
    failing = None if attempts is None else set(attempts)

    async def hook(call: Call) -> Any:
        if failing is None or call.attempt in failing:
            raise ApplicationError(message, type=type, non_retryable=non_retryable)
        return None
    return hook
