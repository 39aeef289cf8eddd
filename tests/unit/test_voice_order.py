"""espeak-ng lines are voiced two at a time, yet stored and checkpointed in order."""

from __future__ import annotations

import threading
import time

from dubbing.steps.synthesize import in_order


def test_results_come_in_order_while_lines_run_at_once() -> None:
    running, most = [0], [0]
    lock = threading.Lock()

    def work(i: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05 if i % 2 == 0 else 0.01)  # even lines finish after the next one
        with lock:
            running[0] -= 1
        return i * 10

    assert list(in_order(work, range(7), parallel=2)) == [i * 10 for i in range(7)]
    assert most[0] == 2


def test_one_at_a_time_for_engines_that_hold_a_model() -> None:
    threads: set[str] = set()

    def work(i: int) -> int:
        threads.add(threading.current_thread().name)
        return i

    assert list(in_order(work, range(4), parallel=1)) == [0, 1, 2, 3]
    assert threads == {threading.current_thread().name}


def test_a_caller_that_stops_early_leaves_no_line_started_later() -> None:
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        time.sleep(0.02)
        return i

    results = in_order(work, range(50), parallel=2)
    assert next(results) == 0
    results.close()  # what a cancelled activity does
    count = len(started)
    time.sleep(0.1)
    assert len(started) == count <= 3
