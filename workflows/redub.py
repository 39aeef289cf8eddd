"""Redubbing one line: inside a running job (the `redub_segment` update) and, after the job has
finished, as the short follow-up workflow `RedubSegment` working from the stored artifacts."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from dubbing import keys
    from dubbing.contract import REDUB_WORKFLOW_NAME, DubJob, OutputSet, RedubJob, RedubRequest
    from dubbing.stages import (
        FitInput,
        PrepareRedubInput,
        RedubLine,
        RenderInput,
        SynthesizeInput,
        Window,
    )
    from workflows import policies as p
    from workflows.calls import cpu, gpu
    from workflows.concurrency import user_failure


async def redub_line(job_id: str, job: DubJob, windows: list[Window], fit_keys: list[str],
                     request: RedubRequest, heartbeat: timedelta) -> None:
    """Give the line its new text, voice it again and refit its window."""
    lang = request.target_lang
    line: RedubLine = await cpu(
        "prepare_redub", PrepareRedubInput(job_id=job_id, request=request, windows=windows,
                                           fit_keys=fit_keys),
        limit=p.SHORT, retry=p.MEDIA_RETRY, heartbeat=heartbeat,
        summary=f"redub line {request.index} {lang}", result_type=RedubLine)
    w = line.window
    texts_key = keys.texts_key(job_id, w.index, lang)
    segments_key = keys.segments_key(job_id, w.index)
    await gpu("synthesize_segments",
              SynthesizeInput(job_id=job_id, window_index=w.index, texts_key=texts_key,
                              target_lang=lang, voice=job.voice, strict=True,
                              segments_key=segments_key, audio_key=keys.audio_key(job_id),
                              window_end=w.end, max_stretch=job.max_stretch,
                              min_speed=job.min_speed, lines=[line.line],
                              revision=line.revision),
              limit=p.SHORT, heartbeat=heartbeat,
              summary=f"synthesize line {request.index} {lang} r{line.revision}")
    await cpu("fit_segments",
              FitInput(job_id=job_id, window=w, target_lang=lang, segments_key=segments_key,
                       texts_key=texts_key, clips_key=keys.clips_key(job_id, w.index, lang),
                       max_stretch=job.max_stretch, overflow=job.overflow,
                       min_speed=job.min_speed),
              limit=p.window_timeout(w.end - w.start), retry=p.MEDIA_RETRY,
              heartbeat=heartbeat, summary=f"fit window {w.index} {lang}")


@workflow.defn(name=REDUB_WORKFLOW_NAME)
class RedubSegmentWorkflow:
    """Redub a line of a finished job and write a new revision of that language's outputs."""

    @workflow.run
    async def run(self, redub: RedubJob) -> OutputSet:
        try:
            return await self._redub(redub)
        except ActivityError as err:
            raise user_failure(err) from err

    async def _redub(self, redub: RedubJob) -> OutputSet:
        lang = redub.request.target_lang
        manifest: RenderInput = await cpu(
            "load_manifest", redub.job_id, lang, limit=p.SHORT, retry=p.MEDIA_RETRY,
            heartbeat=p.HEARTBEAT, summary=f"load {lang} manifest", result_type=RenderInput)
        assert manifest.job is not None
        await redub_line(redub.job_id, manifest.job, manifest.windows, manifest.fit_keys,
                         redub.request, p.HEARTBEAT)
        return await cpu("render_outputs", manifest, limit=p.media_timeout(
            manifest.media.duration), retry=p.MEDIA_RETRY, heartbeat=p.HEARTBEAT,
            summary=f"mix and mux {lang} (redub)", result_type=OutputSet)
