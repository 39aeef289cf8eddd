"""fit: each synthesized line is placed in its slot, sped up within a cap or trimmed."""

from __future__ import annotations

import pytest

from dubbing.fit import Slot, decide, slots


def test_slot_ends_at_next_line_start_and_last_at_window_end() -> None:
    assert slots([1.0, 3.5, 7.0], window_end=10.0) == [
        Slot(1.0, 3.5), Slot(3.5, 7.0), Slot(7.0, 10.0),
    ]


def test_slot_never_has_negative_length() -> None:
    result = slots([5.0], window_end=4.0)
    assert result[0].seconds == 0.0


def test_short_line_keeps_normal_speed() -> None:
    d = decide(1.5, Slot(0.0, 2.0), max_stretch=1.3)
    assert (d.speed, d.placed_seconds, d.overflow_seconds) == (1.0, 1.5, 0.0)
    assert not d.trimmed


def test_long_line_is_sped_up_to_fill_the_slot() -> None:
    d = decide(2.4, Slot(0.0, 2.0), max_stretch=1.3)
    assert d.speed == pytest.approx(1.2)
    assert d.placed_seconds == pytest.approx(2.0)
    assert d.overflow_seconds == 0.0
    assert not d.trimmed


def test_speed_never_exceeds_the_cap_and_the_rest_is_trimmed() -> None:
    d = decide(4.0, Slot(10.0, 12.0), max_stretch=1.3)
    assert d.speed == 1.3
    assert d.placed_seconds == pytest.approx(2.0)  # exactly the slot
    assert d.overflow_seconds == pytest.approx(4.0 / 1.3 - 2.0, abs=1e-4)
    assert d.trimmed


@pytest.mark.parametrize("clip", [0.5, 1.9, 2.0, 2.1, 2.6, 2.7, 5.0, 30.0])
def test_placed_line_never_leaves_its_slot(clip: float) -> None:
    slot = Slot(3.0, 5.0)
    d = decide(clip, slot, max_stretch=1.3)
    assert 1.0 <= d.speed <= 1.3
    assert d.placed_seconds <= slot.seconds + 1e-9
    assert d.placed_seconds + d.overflow_seconds == pytest.approx(clip / d.speed, abs=1e-3)


def test_tiny_excess_is_trimmed_rather_than_stretched() -> None:
    d = decide(2.01, Slot(0.0, 2.0), max_stretch=1.3)
    assert d.speed == 1.0
    assert d.placed_seconds == pytest.approx(2.0)
    assert d.trimmed


def test_empty_slot_places_nothing_and_records_all_as_overflow() -> None:
    d = decide(1.2, Slot(4.0, 4.0), max_stretch=1.3)
    assert d.placed_seconds == 0.0
    assert d.overflow_seconds == 1.2


def test_a_window_without_speech_has_no_slots() -> None:
    assert slots([], 30.0) == []
