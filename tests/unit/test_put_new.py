"""Create-if-absent writes (Store.put_new), which claim an Idempotency-Key: of several writers
at once exactly one wins, and the winner's bytes stay."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dubbing.storage.local import LocalStore


def test_the_first_writer_wins_and_keeps_its_bytes(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert store.put_new("api/k.json", b"first") is True
    assert store.put_new("api/k.json", b"second") is False
    assert store.get_bytes("api/k.json") == b"first"
    assert [p.name for p in (tmp_path / "api").iterdir()] == ["k.json"]  # no part files left


def test_of_many_writers_at_once_exactly_one_wins(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    with ThreadPoolExecutor(16) as pool:
        won = list(pool.map(lambda i: store.put_new("api/race.json", str(i).encode()),
                            range(64)))
    assert won.count(True) == 1
    assert store.get_bytes("api/race.json") == str(won.index(True)).encode()
