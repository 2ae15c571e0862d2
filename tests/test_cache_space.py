"""The cache on a full disk: make_room evicts what nothing needs, oldest first, and never
what it is told to keep. The file system's free space is simulated (a loop mount needs
root), the files are real."""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from player.cache import RESERVE_BYTES, Cache


class Disk:
    """A file system of ``capacity`` bytes holding the cache's assets and ``other`` bytes."""

    def __init__(self, root: Path, capacity: int, other: int = 0) -> None:
        self.root = root
        self.capacity = capacity
        self.other = other
        self.calls = 0

    def statvfs(self, path: Path) -> os.statvfs_result:
        self.calls += 1
        used = self.other + sum(p.stat().st_size for p in (self.root / "assets").iterdir())
        free = max(0, self.capacity - used)
        # bsize, frsize, blocks, bfree, bavail, files, ffree, favail, flag, namemax
        return os.statvfs_result((1, 1, self.capacity, free, free, 0, 0, 0, 0, 255))


def blob(n: int, size: int) -> tuple[str, bytes]:
    data = bytes([n % 256]) * size
    return hashlib.sha256(data).hexdigest(), data


@pytest.fixture
def disk(tmp_path: Path) -> Disk:
    return Disk(tmp_path / "cache", capacity=10_000)


@pytest.fixture
def cache(disk: Disk) -> Cache:
    cache = Cache(disk.root, statvfs=disk.statvfs)
    cache.open()
    return cache


def fill(cache: Cache, count: int, size: int = 1000) -> list[str]:
    """Store ``count`` assets, each older than the next."""
    shas = []
    for n in range(count):
        sha, data = blob(n, size)
        cache.store(sha, [data])
        os.utime(cache.path(sha), (1_000_000 + n, 1_000_000 + n))
        shas.append(sha)
    return shas


def test_size_and_space(cache: Cache, disk: Disk) -> None:
    assert cache.size_bytes() == 0
    fill(cache, 3, 1000)
    (cache.assets / "not-an-asset").write_bytes(b"x" * 50)  # not counted
    assert cache.size_bytes() == 3000
    assert cache.disk_space() == (10_000 - 3050, 10_000)


def test_enough_room_evicts_nothing(cache: Cache, disk: Disk) -> None:
    shas = fill(cache, 3)
    assert cache.make_room(2000, keep=frozenset(), reserve=1000) == []
    assert cache.cached() == set(shas)


def test_evicts_the_oldest_unkept_until_there_is_room(cache: Cache) -> None:
    shas = fill(cache, 8)  # 8000 of 10000 used
    keep = frozenset({shas[0], shas[2]})
    evicted = cache.make_room(3000, keep, reserve=1000)  # wants 4000 free: 2 must go
    assert evicted == [shas[1], shas[3]]
    assert cache.cached() == set(shas) - set(evicted)
    assert cache.disk_space()[0] >= 4000


def test_recently_used_goes_last(cache: Cache) -> None:
    shas = fill(cache, 8)
    os.utime(cache.path(shas[0]), (2_000_000, 1_000_000))  # read lately (atime)
    assert cache.make_room(3000, frozenset(), reserve=0) == [shas[1]]


def test_never_evicts_what_is_kept_even_when_still_short(cache: Cache) -> None:
    shas = fill(cache, 8)
    keep = frozenset(shas[:6])
    evicted = cache.make_room(9000, keep, reserve=RESERVE_BYTES)
    assert evicted == shas[6:]
    assert cache.cached() == keep
    assert all(cache.verify(sha) for sha in keep)


def test_others_filling_the_disk_count_too(cache: Cache, disk: Disk) -> None:
    shas = fill(cache, 2)
    disk.other = 7500  # the journal, say: 500 free
    assert cache.make_room(1000, frozenset(), reserve=0) == [shas[0]]


def test_make_room_then_store_fits(cache: Cache, disk: Disk) -> None:
    fill(cache, 9)
    sha, data = blob(200, 1500)
    cache.make_room(len(data), frozenset(), reserve=0)
    cache.store(sha, [data])
    assert cache.has(sha) and disk.statvfs(disk.root).f_bavail >= 0


def test_a_store_that_hits_a_full_disk_leaves_nothing_behind(cache: Cache) -> None:
    """ENOSPC halfway through: no temp file, no asset, the error goes to the daemon."""
    sha, data = blob(1, 4000)

    def chunks() -> Iterator[bytes]:
        yield data[:1000]
        yield data[1000:2000]
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as raised:
        cache.store(sha, chunks())
    assert raised.value.errno == errno.ENOSPC
    assert not cache.has(sha)
    assert list(cache.temp.iterdir()) == []


def test_the_real_statvfs_answers(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    cache.open()
    free, total = cache.disk_space()
    assert 0 <= free <= total
    assert cache.make_room(0, frozenset(), reserve=0) == []
