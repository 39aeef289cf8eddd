"""The fit ladder on constructed cases: a line's target is its speaker's span; longer dubs are
spoken faster, stretched, then overflow; shorter ones are spoken slower down to the floor."""

from __future__ import annotations

import pytest

from dubbing.fit import Limits, Overflow, Step, Target, decide, speaking_rate

LIMITS = Limits(max_speed=1.3, min_speed=0.85)
# A 2 s speech span, then 1 s of silence before the next line.
SPAN = Target(span=2.0, room=3.0)


def test_a_line_as_long_as_its_span_is_placed_as_it_is() -> None:
    d = decide(2.05, SPAN, LIMITS)
    assert (d.step, d.speed, d.placed_seconds, d.overflow_seconds) == (Step.FITS, 1.0, 2.05, 0)


def test_a_long_line_is_spoken_faster_first() -> None:
    assert speaking_rate(2.4, 2.0, LIMITS) == pytest.approx(1.2)
    d = decide(2.0, SPAN, LIMITS, rate=1.2)
    assert (d.step, d.tempo, d.speed) == (Step.RATE, 1.0, 1.2)


def test_a_short_line_is_spoken_slower_down_to_the_floor() -> None:
    assert speaking_rate(1.8, 2.0, LIMITS) == pytest.approx(0.9)
    assert speaking_rate(1.0, 2.0, LIMITS) == 0.85, "never slower than the floor"
    assert speaking_rate(1.0, 2.0, Limits(1.3, 0.6)) == 0.6, "the floor is configurable"
    d = decide(1.0 / 0.85, SPAN, LIMITS, rate=0.85)
    assert d.step is Step.SLOWER and d.speed == 0.85 and d.tempo == 1.0
    assert d.placed_seconds == pytest.approx(1.1765, abs=1e-3), "what is left is uncovered"


def test_an_engine_without_a_rate_is_slowed_by_stretching_down_to_the_floor() -> None:
    d = decide(1.8, SPAN, LIMITS)
    assert d.step is Step.SLOWER and d.tempo == pytest.approx(0.9)
    assert d.placed_seconds == pytest.approx(2.0)
    assert decide(1.0, SPAN, LIMITS).tempo == pytest.approx(0.85)


def test_no_resynthesis_when_the_line_nearly_matches() -> None:
    assert speaking_rate(1.95, 2.0, LIMITS) == 1.0
    assert speaking_rate(2.05, 2.0, LIMITS) == 1.0


def test_speaking_rate_never_passes_the_cap() -> None:
    assert speaking_rate(10.0, 2.0, LIMITS) == 1.3


def test_what_faster_speech_left_over_is_stretched_onto_the_span() -> None:
    d = decide(2.2, SPAN, LIMITS, rate=1.1)
    assert d.step is Step.STRETCH
    assert d.tempo == pytest.approx(1.1) and d.speed == pytest.approx(1.21)
    assert d.placed_seconds == pytest.approx(2.0) and d.overflow_seconds == 0.0


def test_at_the_cap_a_line_runs_on_into_the_silence_before_the_next() -> None:
    d = decide(3.5, SPAN, LIMITS)
    assert d.step is Step.OVERFLOW and d.speed == pytest.approx(1.3)
    assert d.placed_seconds == pytest.approx(3.5 / 1.3, abs=1e-3), "not cut: there is room"
    assert d.overflow_seconds == pytest.approx(3.5 / 1.3 - 2.0, abs=1e-3)
    assert not d.trimmed


def test_trim_fades_out_where_the_next_line_starts() -> None:
    d = decide(5.0, SPAN, LIMITS, policy=Overflow.TRIM)
    assert d.step is Step.OVERFLOW and d.trimmed and d.placed_seconds == 3.0
    assert d.trimmed_seconds == pytest.approx(5.0 / 1.3 - 3.0, abs=1e-3)


def test_shift_lets_the_line_run_on_past_the_next_start() -> None:
    d = decide(5.0, SPAN, LIMITS, rate=1.2, policy=Overflow.SHIFT)
    assert d.step is Step.OVERFLOW and not d.trimmed
    assert d.speed == pytest.approx(1.3)
    assert d.placed_seconds == pytest.approx(5.0 / (1.3 / 1.2), abs=1e-3)


@pytest.mark.parametrize("rate", [0.85, 1.0, 1.1, 1.3])
@pytest.mark.parametrize("clip", [0.5, 1.5, 1.9, 2.0, 2.1, 2.6, 2.7, 5.0, 30.0])
@pytest.mark.parametrize("policy", list(Overflow))
def test_speed_stays_within_the_limits(clip: float, rate: float, policy: Overflow) -> None:
    d = decide(clip, SPAN, LIMITS, rate=rate, policy=policy)
    assert 0.85 - 1e-9 <= d.speed <= 1.3 + 1e-9
    assert d.placed_seconds + d.trimmed_seconds == pytest.approx(clip / d.tempo, abs=1e-3)
    if policy is Overflow.TRIM:
        assert d.placed_seconds <= SPAN.room + 1e-9, "a trimmed line never passes the next start"


def test_no_span_places_nothing_when_trimming() -> None:
    d = decide(1.2, Target(0.0, 0.0), LIMITS)
    assert d.placed_seconds == 0.0 and d.overflow_seconds == 1.2
