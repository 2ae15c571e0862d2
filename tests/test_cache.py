from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from player.cache import Cache, HashMismatch

from .test_core import ONE

DATA = b"plakat" * 1000
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    cache = Cache(tmp_path / "cache")
    cache.open()
    return cache


def test_store_verifies_and_renames_into_place(cache: Cache) -> None:
    assert cache.store(SHA, iter([DATA[:100], DATA[100:]])) == len(DATA)
    assert cache.has(SHA) and cache.path(SHA).read_bytes() == DATA
    assert cache.cached() == {SHA}
    assert list(cache.temp.iterdir()) == []
    assert cache.verify(SHA)


def test_wrong_bytes_never_land(cache: Cache) -> None:
    with pytest.raises(HashMismatch):
        cache.store(SHA, iter([DATA + b"x"]))
    with pytest.raises(HashMismatch, match="more than"):
        cache.store(SHA, iter([DATA]), max_bytes=10)
    assert not cache.has(SHA) and list(cache.temp.iterdir()) == []


def test_an_interrupted_download_leaves_nothing(cache: Cache) -> None:
    def broken() -> object:
        yield DATA[:10]
        raise ConnectionResetError("server gone")

    with pytest.raises(ConnectionResetError):
        cache.store(SHA, broken())  # type: ignore[arg-type]
    assert not cache.has(SHA) and list(cache.temp.iterdir()) == []


def test_leftovers_are_swept_at_open(cache: Cache) -> None:
    (cache.temp / "abc-half").write_bytes(b"half")
    cache.open()
    assert list(cache.temp.iterdir()) == []


def test_a_damaged_file_is_found_and_removed(cache: Cache) -> None:
    cache.store(SHA, iter([DATA]))
    cache.path(SHA).write_bytes(b"bit rot")
    assert not cache.verify(SHA) and not cache.has(SHA)


def test_snapshot_round_trip(cache: Cache) -> None:
    assert cache.load_snapshot() is None
    cache.save_snapshot(ONE)
    assert cache.load_snapshot() == ONE


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"version": 1}', b"\xff\xfe"])
def test_an_unreadable_snapshot_is_ignored(cache: Cache, content: bytes) -> None:
    cache.snapshot_file.write_bytes(content)
    assert cache.load_snapshot() is None


def test_evict_keeps_what_is_asked(cache: Cache) -> None:
    cache.store(SHA, iter([DATA]))
    cache.evict({SHA}, keep=frozenset({SHA}))
    assert cache.has(SHA)
    cache.evict({SHA})
    assert not cache.has(SHA)


def test_paths_are_only_hashes(cache: Cache) -> None:
    with pytest.raises(ValueError):
        cache.path("../../etc/passwd")
