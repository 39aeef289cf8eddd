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
