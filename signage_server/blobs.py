"""Media blobs on disk, addressed by their sha256: ``blobs/ab/abcdef…``."""

from __future__ import annotations

import hashlib
from pathlib import Path

from player.files import write_atomically
from player.protocol import SHA256_RE


class Blobs:
    def __init__(self, root: Path) -> None:
        self.root = root

    def sweep(self) -> None:
        """Remove what a write interrupted by a crash left behind."""
        for leftover in self.root.glob("??/.tmp-*"):
            leftover.unlink(missing_ok=True)

    def path(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise ValueError(f"expected a sha256 in hex, got {sha256!r}")
        return self.root / sha256[:2] / sha256

    def __contains__(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes) -> str:
        """Store ``data`` (atomically, once) and return its sha256."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if target.is_file():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data, target.parent)  # ".tmp-*": swept at start
        return sha256
