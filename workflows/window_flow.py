"""A window's way through DubVideo: transcribe, then translate, voice and fit per language.

A base of DubVideoWorkflow, which sets the attributes declared here. With diarization
(`speakers` other than "1", behind `workflow.patched("diarize-speakers")`) each window also
embeds its lines' voices after transcription; once every window is embedded, the last one runs
`cluster_speakers` for the whole job, and no window is voiced before the labels are known. A
window waiting for them holds no slot of `max_parallel_windows` (or the job would deadlock
when the waiting windows fill every slot): it gives its slot back after transcription,
embedding and translation, and takes one again to be voiced and fitted.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from dubbing.contract import CPU_TASK_QUEUE, DubJob, Stage, voice_needs_model
    from dubbing.stages import (
        ClusterSpeakersInput,
        EmbedSpeakersInput,
        FitInput,
        MeasureInput,
        MediaInfo,
        SynthesizeInput,
        TranscribeInput,
        TranscribeOutput,
        TranslateInput,
        Window,
    )
    from workflows import registry as r
    from workflows.concurrency import clock
    from workflows.progress import Tracker

In = TypeVar("In")
Out = TypeVar("Out")
Voiced = tuple[TranscribeOutput, dict[str, str]]


class WindowFlow:
    tracker: Tracker
    job_id: str
    run_id: str
    heartbeat: timedelta
    audio_key: str | None
    media: MediaInfo | None
    lines: int | None
    transcribed: list[int]
    windows_total: int | None
    embedded: dict[int, str]  # window index -> its embeddings key
    clustering: bool
    speakers_key: str | None

    async def _window(self, job: DubJob, audio_key: str, window: Window,
                      slots: asyncio.Semaphore) -> Voiced:
        """Transcribe one window, then translate, voice and fit it for every language."""
        async with slots:
            span = f"{clock(window.start)}-{clock(window.end)}"
            transcript = await self._transcribe(job, audio_key, window, span)
            fits = {}
            for lang in job.target_langs:
                texts_key = await self._translate(job, window, transcript, lang, span)
                fits[lang] = await self._voice(job, window, transcript, lang, span, texts_key)
            return transcript, fits

    async def _diarized_window(self, job: DubJob, audio_key: str, window: Window,
                               slots: asyncio.Semaphore) -> Voiced:
        """As `_window`, with the voices embedded and every line's speaker known first."""
        span = f"{clock(window.start)}-{clock(window.end)}"
        async with slots:
            transcript = await self._transcribe(job, audio_key, window, span)
            self.embedded[window.index] = await self._run(
                r.embed_speakers,
                EmbedSpeakersInput(job_id=self.job_id, run_id=self.run_id, audio_key=audio_key,
                                   window=window, segments_key=transcript.segments_key),
                f"embed speakers {span}")
            texts = {}
            for lang in job.target_langs:
                texts[lang] = await self._translate(job, window, transcript, lang, span)
        if len(self.embedded) == self.windows_total and not self.clustering:
            self.clustering = True
            await self._cluster(job)
        await workflow.wait_condition(lambda: self.speakers_key is not None)
        async with slots:
            fits = {}
            for lang in job.target_langs:
                fits[lang] = await self._voice(job, window, transcript, lang, span, texts[lang],
                                               self.speakers_key)
            return transcript, fits

    async def _cluster(self, job: DubJob) -> None:
        found = await self._run(
            r.cluster_speakers,
            ClusterSpeakersInput(job_id=self.job_id, run_id=self.run_id,
                                 embeddings_keys=[self.embedded[i] for i in sorted(self.embedded)],
                                 speakers=job.speakers),
            f"find the speakers ({job.speakers})")
        self.tracker.speakers = found.count
        self.speakers_key = found.speakers_key

    async def _transcribe(self, job: DubJob, audio_key: str, window: Window,
                          span: str) -> TranscribeOutput:
        self.tracker.stage = Stage.TRANSCRIBE
        transcript = await self._run(
            r.transcribe_window,
            TranscribeInput(job_id=self.job_id, run_id=self.run_id, audio_key=audio_key,
                            window=window, language=job.source_lang,
                            settings=job.transcription),
            f"transcribe {span}")
        self.tracker.advance(Stage.TRANSCRIBE)
        self.transcribed.append(transcript.count)
        if self.windows_total is not None and len(self.transcribed) == self.windows_total:
            self.lines = sum(self.transcribed)
        return transcript

    async def _translate(self, job: DubJob, window: Window, transcript: TranscribeOutput,
                         lang: str, span: str) -> str:
        self.tracker.stage = Stage.TRANSLATE
        texts_key = await self._run(
            r.translate_segments,
            TranslateInput(job_id=self.job_id, run_id=self.run_id, window_index=window.index,
                           segments_key=transcript.segments_key, source_lang=job.source_lang,
                           target_lang=lang, translator=job.translator,
                           glossary=job.glossary),
            f"translate {span} {job.source_lang}->{lang}")
        self.tracker.advance(Stage.TRANSLATE)
        return texts_key

    async def _voice(self, job: DubJob, window: Window, transcript: TranscribeOutput,
                     lang: str, span: str, texts_key: str,
                     speakers_key: str | None = None) -> str:
        """Synthesize and fit one window's translated lines."""
        self.tracker.stage = Stage.SYNTHESIZE
        assert self.audio_key is not None
        queue = None
        if not voice_needs_model(job.voice, lang) and workflow.patched("voice-off-gpu"):
            queue = CPU_TASK_QUEUE  # espeak-ng needs no model: never wait behind recognition
        clips_key = await self._run(
            r.synthesize_segments,
            SynthesizeInput(job_id=self.job_id, run_id=self.run_id,
                            window_index=window.index, texts_key=texts_key,
                            target_lang=lang, voice=job.voice, strict=job.strict,
                            segments_key=transcript.segments_key, audio_key=self.audio_key,
                            window_seconds=window.end - window.start,
                            max_stretch=job.max_stretch, min_speed=job.min_speed,
                            speakers_key=speakers_key),
            f"synthesize {span} {lang}", queue)
        self.tracker.advance(Stage.SYNTHESIZE)
        self.tracker.stage = Stage.FIT
        fit_key = await self._run(
            r.fit_segments,
            FitInput(job_id=self.job_id, run_id=self.run_id, window=window, target_lang=lang,
                     segments_key=transcript.segments_key, texts_key=texts_key,
                     clips_key=clips_key, max_stretch=job.max_stretch,
                     overflow=job.overflow, min_speed=job.min_speed),
            f"fit {span} {lang}")
        if self.media is not None and workflow.patched("window-energy"):
            # its share of the mix's loudness now, while later windows are recognised
            await self._run(r.measure_window, MeasureInput(
                job_id=self.job_id, run_id=self.run_id, window=window, target_lang=lang,
                fit_key=fit_key, input_key=job.input_key, media=self.media),
                f"measure the mix {span} {lang}")
        self.tracker.advance(Stage.FIT)
        return fit_key

    async def _run(self, ref: r.Activity[In, Out], inp: In, summary: str,
                   queue: str | None = None) -> Out:
        """An activity of the job: none starts while paused; a cancel that came meanwhile
        stops the job."""
        await workflow.wait_condition(lambda: not self.tracker.paused)
        done = await r.run(ref, inp, summary=summary, heartbeat=self.heartbeat, queue=queue)
        self._stop_if_cancelled()
        return done

    def _stop_if_cancelled(self) -> None:
        """An activity that finished although the job was cancelled meanwhile (a short one,
        before its first heartbeat) must not let the job carry on."""
        if workflow.cancellation_reason() is not None and workflow.patched("stop-on-cancel"):
            raise asyncio.CancelledError(workflow.cancellation_reason())
