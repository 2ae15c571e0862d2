"""The player's cache on disk: assets by sha256 and the last good snapshot.

Every file is written to a temporary name, fsynced and renamed, and the folder
is fsynced after, so a power cut leaves either the old file or the new one,
never half of one. An asset is only renamed into place once its bytes hash to
its name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from .files import fsync_dir, write_atomically
from .protocol import (
    SHA256_RE,
    Announcement,
    Announcements,
    ProtocolError,
    Snapshot,
    parse_server_message,
    parse_snapshot,
    serialize,
)

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
#: Free space make_room leaves beyond the asset it makes room for: the snapshot, the play
#: log, the journal and the system need some too.
RESERVE_BYTES = 64 * 1024 * 1024


class HashMismatch(ValueError):
    """The bytes did not hash to the name they were asked for under."""


class Cache:
    def __init__(
        self, root: Path, statvfs: Callable[[Path], os.statvfs_result] = os.statvfs
    ) -> None:
        self.root = root
        #: Asks the file system how much room it has; tests give their own.
        self.statvfs = statvfs
        self.assets = root / "assets"
        self.temp = root / "tmp"
        self.snapshot_file = root / "snapshot.json"
        self.announcements_file = root / "announcements.json"

    def open(self) -> None:
        """Create the folders and sweep away what an interrupted write left."""
        self.assets.mkdir(parents=True, exist_ok=True)
        self.temp.mkdir(parents=True, exist_ok=True)
        for leftover in self.temp.iterdir():
            leftover.unlink(missing_ok=True)

    def path(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise ValueError(f"expected a sha256 in hex, got {sha256!r}")
        return self.assets / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def cached(self) -> set[str]:
        return {path.name for path in self.assets.iterdir() if SHA256_RE.match(path.name)}

    def store(self, sha256: str, chunks: Iterable[bytes], max_bytes: int | None = None) -> int:
        """Write an asset from a stream of chunks, verified. Raises HashMismatch or OSError."""
        target = self.path(sha256)
        digest = hashlib.sha256()
        size = 0
        fd, temp = tempfile.mkstemp(dir=self.temp, prefix=sha256[:12] + "-")
        try:
            with os.fdopen(fd, "wb") as file:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise HashMismatch(f"{sha256}: more than the {max_bytes} bytes announced")
                    digest.update(chunk)
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            if digest.hexdigest() != sha256:
                raise HashMismatch(f"expected sha256 {sha256}, got {digest.hexdigest()}")
            os.replace(temp, target)
            fsync_dir(self.assets)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return size

    def size_bytes(self) -> int:
        """Bytes of the cached assets (one stat per file: cheap for a few hundred)."""
        total = 0
        with os.scandir(self.assets) as entries:
            for entry in entries:
                if SHA256_RE.match(entry.name):
                    with contextlib.suppress(OSError):
                        total += entry.stat(follow_symlinks=False).st_size
        return total

    def disk_space(self) -> tuple[int, int]:
        """(free, total) bytes of the cache's file system, as an unprivileged user has it."""
        stat = self.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize, stat.f_blocks * stat.f_frsize

    def make_room(
        self, needed: int, keep: frozenset[str], reserve: int = RESERVE_BYTES
    ) -> list[str]:
        """Evict cached assets not in ``keep``, least recently used first, until the file
        system has ``needed + reserve`` bytes free or nothing is left to evict. Returns the
        sha256s removed (for ``PlayerCore.assets_evicted``). What ``keep`` holds is never
        touched, so the snapshot on screen plays on even when the disk stays full."""
        evicted: list[str] = []
        if self.disk_space()[0] >= needed + reserve:
            return evicted
        candidates: list[tuple[float, str]] = []
        with os.scandir(self.assets) as entries:
            for entry in entries:
                if SHA256_RE.match(entry.name) and entry.name not in keep:
                    with contextlib.suppress(OSError):
                        stat = entry.stat(follow_symlinks=False)
                        candidates.append((max(stat.st_atime, stat.st_mtime), entry.name))
        for _, sha256 in sorted(candidates):
            if self.disk_space()[0] >= needed + reserve:
                break
            self.path(sha256).unlink(missing_ok=True)
            evicted.append(sha256)
        if evicted:
            log.warning("disk short of room: evicted %d cached assets", len(evicted))
            fsync_dir(self.assets)
        return evicted

    def evict(self, sha256s: Iterable[str], keep: frozenset[str] = frozenset()) -> None:
        for sha256 in sha256s:
            if sha256 not in keep:
                self.path(sha256).unlink(missing_ok=True)

    def verify(self, sha256: str) -> bool:
        """Hash a cached file again; a damaged one is removed."""
        path = self.path(sha256)
        digest = hashlib.sha256()
        try:
            with path.open("rb") as file:
                while chunk := file.read(CHUNK):
                    digest.update(chunk)
        except OSError:
            return False
        if digest.hexdigest() != sha256:
            log.warning("cached asset %s is damaged; removing it", sha256)
            path.unlink(missing_ok=True)
            return False
        return True

    def save_snapshot(self, snapshot: Snapshot) -> None:
        data = json.dumps(snapshot.to_dict(), ensure_ascii=False).encode()
        write_atomically(self.snapshot_file, data, self.temp, prefix="snapshot-")

    def load_snapshot(self) -> Snapshot | None:
        """The last good snapshot, or None when there is none or it is unreadable."""
        try:
            body = json.loads(self.snapshot_file.read_bytes())
            if not isinstance(body, dict):
                raise ProtocolError("expected an object")
            return parse_snapshot(body)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring the saved snapshot: %s", exc)
            return None

    def save_announcements(self, seq: int, announcements: tuple[Announcement, ...]) -> None:
        data = serialize(Announcements(seq, announcements)).encode()
        write_atomically(self.announcements_file, data, self.temp, prefix="announcements-")

    def load_announcements(self) -> tuple[int, tuple[Announcement, ...]] | None:
        """The last announcements received, or None when there are none or they are
        unreadable."""
        try:
            message = parse_server_message(self.announcements_file.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring the saved announcements: %s", exc)
            return None
        if not isinstance(message, Announcements):
            log.warning("ignoring the saved announcements: not an announcements message")
            return None
        return message.seq, message.announcements
