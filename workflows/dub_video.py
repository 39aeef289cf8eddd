"""DubVideoWorkflow: one video in, a dubbed video, subtitles and a fit report out per language."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import (
        WORKFLOW_NAME,
        DubJob,
        DubResult,
        JobState,
        OutputSet,
        RedubRequest,
        Stage,
    )
    from dubbing.stages import (
        ExtractInput,
        FetchInput,
        MediaInfo,
        PlanInput,
        ProbeInput,
        RenderInput,
        Window,
    )
    from workflows import policies as p
    from workflows import registry as r
    from workflows.concurrency import all_or_none, user_failure
    from workflows.controls import JobControls
    from workflows.ending import JobEnding
    from workflows.progress import Tracker
    from workflows.publish import publish, publish_media_seconds
    from workflows.redub import redub_line
    from workflows.window_flow import WindowFlow


@workflow.defn(name=WORKFLOW_NAME)
class DubVideoWorkflow(JobControls, JobEnding, WindowFlow):
    def __init__(self) -> None:
        self.tracker = Tracker(workflow.now())
        self.job_id = workflow.info().workflow_id
        self.run_id = ""  # the run's own storage prefix, once patched
        self.cancel_reason: str | None = None
        self.heartbeat = p.HEARTBEAT
        self.audio_key: str | None = None
        self.media: MediaInfo | None = None
        self.job: DubJob | None = None
        self.redubs: list[RedubRequest] = []
        self.lines: int | None = None  # once every window is transcribed
        self.transcribed: list[int] = []
        self.windows_total: int | None = None
        self.publisher: asyncio.Task[None] | None = None
        self.embedded: dict[int, str] = {}
        self.clustering = False
        self.speakers_key: str | None = None

    @workflow.run
    async def run(self, job: DubJob) -> DubResult:
        if workflow.patched("publish-stage"):
            self.publisher = asyncio.create_task(publish(self.tracker))
        inside = workflow.patched("cleanup-inside-try")
        if workflow.patched("run-scoped-storage"):
            self.run_id = workflow.info().run_id
        try:
            result = await self._dub(job)
            if inside:
                await self._finish(job, result)
        except (asyncio.CancelledError, ActivityError) as err:
            await self._stopped(job, err)
        if not inside:
            await self._finish(job, result)
        self.tracker.state = JobState.COMPLETED
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    async def _dub(self, job: DubJob) -> DubResult:
        self.job = job
        self.heartbeat = timedelta(seconds=job.heartbeat_seconds)
        self.tracker.begin(Stage.PROBE)
        if job.source_key is not None and workflow.patched("fetch-source-url"):
            await self._run(r.fetch_source, FetchInput(
                job_id=self.job_id, run_id=self.run_id, source_key=job.source_key,
                input_key=job.input_key), "fetch the input")
        info = await self._run(
            r.probe_media, ProbeInput(job_id=self.job_id, run_id=self.run_id, job=job),
            f"probe {job.input_name}")
        self.media = info
        self.tracker.finish(Stage.PROBE)
        if self.publisher is not None:
            publish_media_seconds(info.duration)
        self.tracker.begin(Stage.EXTRACT)
        self.audio_key = audio_key = await self._run(
            r.extract_audio, ExtractInput(job_id=self.job_id, run_id=self.run_id,
                                          input_key=job.input_key, input_name=job.input_name,
                                          media=info),
            "extract audio 16 kHz mono")
        self.tracker.finish(Stage.EXTRACT)
        self.tracker.begin(Stage.PLAN)
        windows = await self._run(
            r.plan_windows, PlanInput(job_id=self.job_id, run_id=self.run_id,
                                      audio_key=audio_key, duration=info.duration,
                                      window_seconds=job.window_seconds),
            "plan windows at silences")
        self.tracker.finish(Stage.PLAN)
        self.windows_total = len(windows)
        per_lang = len(windows) * len(job.target_langs)
        self.tracker.begin(Stage.TRANSCRIBE, len(windows))
        for stage in (Stage.TRANSLATE, Stage.SYNTHESIZE, Stage.FIT):
            self.tracker.set_total(stage, per_lang)
        self.tracker.set_total(Stage.RENDER, len(job.target_langs))
        slots = asyncio.Semaphore(job.max_parallel_windows)
        diarized = job.speakers != "1" and workflow.patched("diarize-speakers")
        each = self._diarized_window if diarized else self._window
        done = await all_or_none([each(job, audio_key, w, slots) for w in windows])
        fit_keys = {lang: [d[1][lang] for d in done] for lang in job.target_langs}
        if self.redubs and workflow.patched("redub-while-running"):
            for request in self.redubs:
                await self._redub(job, windows, fit_keys[request.target_lang], request)
        outputs = []
        for lang in job.target_langs:
            self.tracker.stage = Stage.RENDER
            outputs.append(await self._render(job, info, lang, fit_keys[lang], windows))
            self.tracker.advance(Stage.RENDER)
        return DubResult(
            job_id=self.job_id, input_name=job.input_name, source_lang=job.source_lang,
            media_seconds=info.duration, segments=sum(d[0].count for d in done),
            outputs=tuple(outputs),
            elapsed_seconds=round((workflow.now() - self.tracker.started).total_seconds(), 2),
        )

    async def _redub(self, job: DubJob, windows: list[Window], fit_keys: list[str],
                     request: RedubRequest) -> None:
        """A redub that cannot be applied (a line that does not exist, say) is logged and
        skipped: it never takes the job down."""
        redub = redub_line(self.job_id, self.run_id, job, windows, fit_keys, request,
                           self.heartbeat)
        if not workflow.patched("redub-failure-skipped"):
            await redub
            return
        try:
            await redub
        except ActivityError as err:
            if workflow.cancellation_reason() is not None:
                raise
            workflow.logger.warning("redub of line %d skipped: %s", request.index,
                                    user_failure(err).message)

    async def _render(self, job: DubJob, info: MediaInfo, lang: str,
                      fit_keys: list[str], windows: list[Window]) -> OutputSet:
        return await self._run(
            r.render_outputs,
            RenderInput(job_id=self.job_id, run_id=self.run_id, input_key=job.input_key,
                        input_name=job.input_name, source_lang=job.source_lang,
                        target_lang=lang, media=info, fit_keys=fit_keys, job=job,
                        windows=windows),
            f"mix and mux {lang}")
