"""Redubbing one line: inside a running job (the `redub_segment` update) and, after the job has
finished, as the short follow-up workflow `RedubSegment` working from the stored artifacts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import REDUB_WORKFLOW_NAME, DubJob, OutputSet, RedubJob, RedubRequest
    from dubbing.stages import (
        FitInput,
        ManifestRef,
        PrepareRedubInput,
        SynthesizeInput,
        Window,
    )
    from workflows import policies as p
    from workflows import registry as r
    from workflows.concurrency import user_failure


async def redub_line(job_id: str, run_id: str, job: DubJob, windows: list[Window],
                     fit_keys: list[str], request: RedubRequest, heartbeat: timedelta) -> None:
    """Give the line its new text, voice it again and refit its window (all in the storage
    of run `run_id`)."""
    lang = request.target_lang
    line = await r.run(
        r.prepare_redub, PrepareRedubInput(job_id=job_id, run_id=run_id, request=request,
                                           windows=windows, fit_keys=fit_keys),
        summary=f"redub line {request.index} {lang}", heartbeat=heartbeat)
    w = line.window
    await r.run(r.synthesize_segments,
                SynthesizeInput(job_id=job_id, run_id=run_id, window_index=w.index,
                                texts_key=line.texts_key, target_lang=lang, voice=job.voice,
                                strict=True, segments_key=line.segments_key,
                                audio_key=line.audio_key, window_seconds=w.end - w.start,
                                max_stretch=job.max_stretch,
                                min_speed=job.min_speed, lines=[line.line],
                                revision=line.revision),
                summary=f"synthesize line {request.index} {lang} r{line.revision}",
                heartbeat=heartbeat)
    await r.run(r.fit_segments,
                FitInput(job_id=job_id, run_id=run_id, window=w, target_lang=lang,
                         segments_key=line.segments_key, texts_key=line.texts_key,
                         clips_key=line.clips_key,
                         max_stretch=job.max_stretch, overflow=job.overflow,
                         min_speed=job.min_speed),
                summary=f"fit window {w.index} {lang}", heartbeat=heartbeat)


@workflow.defn(name=REDUB_WORKFLOW_NAME)
class RedubSegmentWorkflow:
    """Redub a line of a finished job and write a new revision of that language's outputs."""

    @workflow.run
    async def run(self, redub: RedubJob) -> OutputSet:
        try:
            return await self._redub(redub)
        except ActivityError as err:
            reason = workflow.cancellation_reason()
            if reason is not None and workflow.patched("redub-cancel-is-cancel"):
                raise asyncio.CancelledError(reason) from None
            raise user_failure(err) from err

    async def _redub(self, redub: RedubJob) -> OutputSet:
        lang = redub.request.target_lang
        manifest = await r.run(r.load_manifest,
                               ManifestRef(job_id=redub.job_id, target_lang=lang),
                               summary=f"load {lang} manifest", heartbeat=p.HEARTBEAT)
        assert manifest.job is not None
        await redub_line(redub.job_id, manifest.run_id, manifest.job, manifest.windows,
                         manifest.fit_keys, redub.request, p.HEARTBEAT)
        return await r.run(r.render_outputs, manifest, summary=f"mix and mux {lang} (redub)",
                           heartbeat=p.HEARTBEAT)
