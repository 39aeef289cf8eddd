"""The fit ladder on constructed cases: room, faster speech, stretch, then the overflow policy."""

from __future__ import annotations

import pytest

from dubbing.fit import Overflow, Slot, Step, decide, slots, speaking_rate

CAP = 1.3


def test_slot_ends_at_next_line_start_and_last_at_window_end() -> None:
    assert slots([1.0, 3.5, 7.0], window_end=10.0) == [
        Slot(1.0, 3.5), Slot(3.5, 7.0), Slot(7.0, 10.0),
    ]


def test_slot_never_has_negative_length() -> None:
    assert slots([5.0], window_end=4.0)[0].seconds == 0.0


def test_a_window_without_speech_has_no_slots() -> None:
    assert slots([], 30.0) == []


def test_step_1_a_line_that_fits_uses_the_room_as_it_is() -> None:
    d = decide(1.5, 2.0, CAP)
    assert (d.step, d.speed, d.placed_seconds, d.overflow_seconds) == (Step.FITS, 1.0, 1.5, 0.0)


def test_step_2_a_long_line_is_spoken_faster_first() -> None:
    assert speaking_rate(2.4, 2.0, CAP) == pytest.approx(1.2)
    # Re-synthesized at 1.2x it now takes 1.95 s: it fits without any stretch.
    d = decide(1.95, 2.0, CAP, rate=1.2)
    assert (d.step, d.tempo, d.speed) == (Step.RATE, 1.0, 1.2)


def test_no_faster_speech_when_the_line_fits_or_nearly() -> None:
    assert speaking_rate(1.9, 2.0, CAP) == 1.0
    assert speaking_rate(2.01, 2.0, CAP) == 1.0


def test_speaking_rate_never_passes_the_cap() -> None:
    assert speaking_rate(10.0, 2.0, CAP) == CAP


def test_step_3_what_faster_speech_left_over_is_stretched() -> None:
    d = decide(2.2, 2.0, CAP, rate=1.1)
    assert d.step is Step.STRETCH
    assert d.tempo == pytest.approx(1.1) and d.speed == pytest.approx(1.21)
    assert d.placed_seconds == pytest.approx(2.0) and d.overflow_seconds == 0.0


def test_step_3_engines_without_a_rate_stretch_directly() -> None:
    d = decide(2.4, 2.0, CAP)
    assert (d.step, d.tempo, d.placed_seconds) == (Step.STRETCH, 1.2, 2.0)


def test_step_4_trim_fades_out_at_the_slot_end() -> None:
    d = decide(4.0, 2.0, CAP, rate=1.0, policy=Overflow.TRIM)
    assert d.step is Step.OVERFLOW and d.trimmed
    assert d.speed == CAP and d.placed_seconds == 2.0
    assert d.overflow_seconds == pytest.approx(4.0 / CAP - 2.0, abs=1e-4)


def test_step_4_shift_lets_the_line_run_on() -> None:
    d = decide(4.0, 2.0, CAP, rate=1.2, policy=Overflow.SHIFT)
    assert d.step is Step.OVERFLOW and not d.trimmed
    assert d.speed == pytest.approx(CAP)
    assert d.placed_seconds == pytest.approx(4.0 / (CAP / 1.2), abs=1e-3)
    assert d.overflow_seconds == pytest.approx(d.placed_seconds - 2.0, abs=1e-3)


@pytest.mark.parametrize("rate", [1.0, 1.1, 1.3])
@pytest.mark.parametrize("clip", [0.5, 1.9, 2.0, 2.1, 2.6, 2.7, 5.0, 30.0])
@pytest.mark.parametrize("policy", list(Overflow))
def test_no_line_is_ever_sped_past_the_cap(clip: float, rate: float, policy: Overflow) -> None:
    d = decide(clip, 2.0, CAP, rate=rate, policy=policy)
    assert 1.0 <= d.speed <= CAP + 1e-9
    assert d.placed_seconds + (d.overflow_seconds if d.trimmed else 0) == pytest.approx(
        clip / d.tempo, abs=1e-3)
    if policy is Overflow.TRIM:
        assert d.placed_seconds <= 2.0 + 1e-9, "a trimmed line never leaves its slot"


def test_tiny_excess_is_trimmed_rather_than_stretched() -> None:
    d = decide(2.01, 2.0, CAP)
    assert d.speed == 1.0 and d.placed_seconds == pytest.approx(2.0) and d.trimmed


def test_no_room_places_nothing_when_trimming() -> None:
    d = decide(1.2, 0.0, CAP)
    assert d.placed_seconds == 0.0 and d.overflow_seconds == 1.2
