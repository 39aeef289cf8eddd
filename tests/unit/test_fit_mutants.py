"""The fit ladder's decisions, exactly: the figures a report shows for each line (speed to four
decimals, placed, overflowing and trimmed seconds), at the edges of each rung."""

from __future__ import annotations

from dubbing.fit import FitDecision, Limits, Overflow, Step, Target, decide, speaking_rate

LIMITS = Limits(max_speed=1.3, min_speed=0.85)


def test_no_span_or_no_voice_is_never_resynthesized() -> None:
    assert speaking_rate(1.0, 0.0, LIMITS) == 1.0, "a line without a span keeps its rate"
    assert speaking_rate(1.0, -0.5, LIMITS) == 1.0
    assert speaking_rate(0.0, 2.0, LIMITS) == 1.0, "an empty clip is not slowed to the floor"


def test_a_short_span_still_gets_its_rate() -> None:
    # A 0.8 s span (shorter than a second) with a 1 s line: 25 % faster.
    assert speaking_rate(1.0, 0.8, LIMITS) == 1.25
    assert speaking_rate(0.5, 0.8, LIMITS) == 0.85


def test_the_rate_is_kept_to_four_decimals() -> None:
    # 2.0 s of voice for 1.7 s of speech: 1.17647... spoken as 1.1765.
    assert speaking_rate(2.0, 1.7, LIMITS) == 1.1765


def test_a_trimmed_line_reports_its_figures_to_four_decimals() -> None:
    # 5 s of voice for a 2 s span, 3.14159 s until the next line: at the cap (1.3) it lasts
    # 3.84615 s; it runs 1.8462 s past its span and 0.7046 s is faded out at the next line.
    d = decide(5.0, Target(span=2.0, room=3.14159), LIMITS)
    assert d == FitDecision(Step.OVERFLOW, 1.0, 1.3, 3.1416, 1.8462, 0.7046)
    assert d.trimmed and d.speed == 1.3


def test_a_shifted_line_is_placed_whole() -> None:
    d = decide(5.0, Target(span=2.0, room=3.14159), LIMITS, policy=Overflow.SHIFT)
    assert d == FitDecision(Step.OVERFLOW, 1.0, 1.3, 3.8462, 1.8462, 0.0)
    assert not d.trimmed


def test_an_overflow_with_room_is_placed_whole_even_when_trimming() -> None:
    d = decide(3.0, Target(span=2.0, room=3.14159), LIMITS)
    assert d == FitDecision(Step.OVERFLOW, 1.0, 1.3, 2.3077, 0.3077, 0.0)


def test_a_short_span_that_fits_is_placed_as_it_is() -> None:
    # Under a second of speech is still a span, not a line without one.
    assert decide(0.8, Target(span=0.8, room=0.8), LIMITS) == FitDecision(
        Step.FITS, 1.0, 1.0, 0.8, 0.0, 0.0)


def test_a_line_without_a_span_reports_all_its_voice_as_overflow() -> None:
    assert decide(1.23456, Target(0.0, 0.0), LIMITS) == FitDecision(
        Step.OVERFLOW, 1.0, 1.0, 0.0, 1.2346, 1.2346)
    assert decide(1.23456, Target(0.0, 0.0), LIMITS, policy=Overflow.SHIFT) == FitDecision(
        Step.OVERFLOW, 1.0, 1.0, 1.23456, 1.2346, 0.0)


def test_a_line_within_the_tolerance_is_placed_to_four_decimals() -> None:
    assert decide(2.03456, Target(2.0, 3.0), LIMITS) == FitDecision(
        Step.FITS, 1.0, 1.0, 2.0346, 0.0, 0.0)
    assert decide(2.03456, Target(2.0, 3.0), LIMITS, rate=1.1) == FitDecision(
        Step.RATE, 1.1, 1.0, 2.0346, 0.0, 0.0)


def test_a_short_line_is_slowed_to_four_decimals() -> None:
    # 1.7777 s for 2 s: slowed to 0.8889, it lasts 1.9999 s.
    assert decide(1.7777, Target(2.0, 3.0), LIMITS) == FitDecision(
        Step.SLOWER, 1.0, 0.8889, 1.9999, 0.0, 0.0)


def test_a_line_spoken_nearly_at_the_floor_is_not_stretched_further() -> None:
    # Spoken at 0.8586, the floor (0.85) leaves a stretch of 0.99: within a quarter of the
    # tolerance of none, so the line is left as spoken.
    assert decide(1.23456, Target(2.5, 3.0), LIMITS, rate=0.8586) == FitDecision(
        Step.SLOWER, 0.8586, 1.0, 1.2346, 0.0, 0.0)


def test_a_line_exactly_at_the_cap_is_stretched_onto_its_span() -> None:
    assert decide(2.6, Target(2.0, 3.0), LIMITS) == FitDecision(
        Step.STRETCH, 1.0, 1.3, 2.0, 0.0, 0.0)


def test_a_stretched_line_reports_tempo_and_span_to_four_decimals() -> None:
    assert decide(2.5, Target(2.12345, 3.0), LIMITS) == FitDecision(
        Step.STRETCH, 1.0, 1.1773, 2.1235, 0.0, 0.0)


def test_after_a_faster_rate_the_stretch_left_is_the_cap_over_the_rate() -> None:
    # At rate 1.1 only 1.3 / 1.1 = 1.1818 of stretch is left.
    assert decide(5.0, Target(2.0, 3.0), LIMITS, rate=1.1) == FitDecision(
        Step.OVERFLOW, 1.1, 1.1818, 3.0, 2.2308, 1.2308)
