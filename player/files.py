"""Writing files so that a power cut leaves the old version or the new one, never half.

Standard library only: the player uses it, and the server may import it too.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(target: Path, data: bytes, temp_dir: Path, prefix: str = ".tmp-") -> None:
    """Write ``data`` to a temporary file in ``temp_dir``, fsync it, rename it to ``target``
    and fsync the folder. ``temp_dir`` must be on the same file system as ``target``."""
    fd, temp = tempfile.mkstemp(dir=temp_dir, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
        fsync_dir(target.parent)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (where the file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
