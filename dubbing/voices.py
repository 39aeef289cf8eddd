"""A voice per speaker: which espeak-ng variant and pitch each diarized speaker is dubbed with.

Plain data, read by the clustering (which stores the choice) and by synthesis (which uses it).
S1 keeps the job's own voice, so a one-speaker job sounds as it did before diarization; the
others get espeak-ng variants whose neighbours differ in sex (espeak's default voice is male,
so S2 is a woman), each at its own pitch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SpeakerVoice:
    variant: str | None  # espeak-ng voice variant (`<lang>+<variant>`); None: the job's voice
    pitch: int | None  # espeak-ng pitch 0-99; None: the default (50)

    def as_dict(self) -> dict[str, str | int | None]:
        return asdict(self)


# Indexed by speaker number - 1 (S1 first).
SPEAKER_VOICES = (
    SpeakerVoice(None, None),
    SpeakerVoice("f2", 62),
    SpeakerVoice("m3", 38),
    SpeakerVoice("f4", 70),
    SpeakerVoice("m1", 30),
    SpeakerVoice("f1", 56),
    SpeakerVoice("m2", 44),
    SpeakerVoice("f3", 76),
    SpeakerVoice("m4", 24),
    SpeakerVoice("f5", 66),
)


def speaker_number(label: str | None) -> int:
    """1 for "S1" (and for no label), 2 for "S2", ..."""
    if not label or not label.startswith("S") or not label[1:].isdigit():
        return 1
    return max(1, int(label[1:]))


def speaker_voice(label: str | None) -> SpeakerVoice:
    """The voice of speaker `label`; past the table's end the variants repeat."""
    return SPEAKER_VOICES[(speaker_number(label) - 1) % len(SPEAKER_VOICES)]


def speaker_name(label: str) -> str:
    """How subtitles name a speaker: "Speaker 2" for "S2"."""
    return f"Speaker {speaker_number(label)}"
