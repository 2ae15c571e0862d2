"""``signage restore``: check a backup archive whole, then put it in place by renames.

The archive's layout and manifest are described in :mod:`signage_server.backup`. Nothing
is written until every member has been read and found to be what the manifest says: a
regular file or folder under ``data/``, ``playlists/`` or ``assets/``, never a link, a
device, an absolute path or ``..``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from . import store
from .backup import (
    CHUNK,
    DATABASE,
    MANIFEST,
    MANIFEST_LIMIT,
    ROOTS,
    BackupError,
    Manifest,
    Tally,
    check_apart,
    flag_of,
    fsync_dir,
    targets,
)
from .settings import Settings


@dataclass
class Restored:
    targets: dict[str, Path]
    manifest: Manifest
    schema_version: int
    tally: Tally
    replaced: list[Path]


#: A member as it is read: its header, and its contents when it is a file.
_Member = tuple[tarfile.TarInfo, Iterator[bytes]]


def _damaged(archive: Path, exc: BaseException) -> BackupError:
    return BackupError(f"{archive}: damaged or cut short ({exc or type(exc).__name__})")


@contextlib.contextmanager
def _reading(archive: Path) -> Iterator[Iterator[_Member]]:
    """The archive's members in order, each checked; a damaged archive raises BackupError."""
    try:
        file = open(archive, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise BackupError(f"cannot read {archive}: {exc.strerror}") from None
    with file:
        try:
            tar = tarfile.open(fileobj=file, mode="r|*")  # noqa: SIM115 (closed below)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise _damaged(archive, exc) from None
        with tar:
            yield _checked(archive, tar)


def _checked(archive: Path, tar: tarfile.TarFile) -> Iterator[_Member]:
    """Each member, once it is certain to write only a file or a folder inside its target."""
    members = iter(tar)
    while True:
        try:
            member = next(members, None)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise _damaged(archive, exc) from None
        if member is None:
            return
        name = member.name
        parts = name.split("/")
        if name.startswith("/") or any(part in ("", ".", "..") for part in parts) or "\0" in name:
            raise BackupError(f"refused: the archive holds an unsafe path {name!r}")
        if not (member.isreg() or member.isdir()):
            raise BackupError(
                f"refused: {name!r} in the archive is a link or a device; "
                "a backup holds only files and folders"
            )
        if name == MANIFEST:
            if not member.isreg() or member.size > MANIFEST_LIMIT:
                raise BackupError(f"refused: {name!r} is not a manifest")
        elif parts[0] not in ROOTS:
            raise BackupError(f"refused: {name!r} is outside data/, playlists/ and assets/")
        elif len(parts) == 1 and not member.isdir():
            raise BackupError(f"refused: {name!r} must be a folder")
        elif name.startswith(DATABASE) and name != DATABASE:
            raise BackupError(f"refused: {name!r} does not belong in a backup")
        yield member, _contents(archive, tar, member)


def _contents(archive: Path, tar: tarfile.TarFile, member: tarfile.TarInfo) -> Iterator[bytes]:
    if not member.isreg():
        return
    try:
        reader = tar.extractfile(member)
        assert reader is not None  # a regular file has contents
        while chunk := reader.read(CHUNK):
            yield chunk
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _damaged(archive, exc) from None


def _digest(chunks: Iterator[bytes], copy: IO[bytes] | None = None) -> tuple[int, str]:
    """Size and sha256 of the chunks, writing them to ``copy`` on the way."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if copy is not None:
            copy.write(chunk)
    return size, digest.hexdigest()


def verify(archive: Path) -> Manifest:
    """Read the whole archive and check it against its manifest, writing nothing.

    Raises BackupError when a member is unsafe, a file does not match the manifest, or the
    archive is damaged or cut short.
    """
    found: dict[str, tuple[int, str]] = {}
    directories: set[str] = set()
    raw: bytes | None = None
    with _reading(archive) as members:
        for member, contents in members:
            if member.name in found or member.name in directories:
                raise BackupError(f"refused: {member.name!r} is in the archive twice")
            if member.isdir():
                directories.add(member.name)
            elif member.name == MANIFEST:
                if raw is not None:
                    raise BackupError(f"refused: {MANIFEST!r} is in the archive twice")
                raw = b"".join(contents)
            else:
                found[member.name] = _digest(contents)
    if raw is None:
        raise BackupError(f"{archive}: no {MANIFEST}; the archive is cut short or not a backup")
    manifest = Manifest.parse(raw)
    listed = {entry.path: entry for entry in manifest.files}
    for name in sorted(found.keys() | listed.keys()):
        if name not in listed:
            raise BackupError(f"{archive}: {name} is not in the manifest")
        if name not in found:
            raise BackupError(f"{archive}: {name} is in the manifest but not in the archive")
        if found[name] != (listed[name].size, listed[name].sha256):
            raise BackupError(f"{archive}: {name} does not match its sha256 in the manifest")
    if len(listed) != len(manifest.files) or set(manifest.directories) != directories:
        raise BackupError(f"{archive}: the folders or files do not match the manifest")
    if DATABASE not in found:
        raise BackupError(f"{archive}: holds no {DATABASE}")
    for name in found.keys() | directories:
        parts = name.split("/")
        for end in range(1, len(parts)):
            if "/".join(parts[:end]) in found:
                raise BackupError(f"refused: {name!r} is inside a file")
    return manifest


def restore(archive: Path, settings: Settings, force: bool = False) -> Restored:
    """Restore ``archive`` into the settings' data dir, playlists and assets.

    The archive is checked whole before anything is written; it is then unpacked into new
    folders beside the targets, which are renamed into place last. The server must be stopped.
    Raises BackupError, having changed nothing.
    """
    check_apart(targets(settings))
    folders = {root: path.resolve() for root, path in targets(settings).items()}
    replaced = []
    for root, folder in folders.items():
        if folder.exists() and not folder.is_dir():
            raise BackupError(f"{folder} is not a folder; give {flag_of(root)}")
        try:
            empty = not folder.is_dir() or next(folder.iterdir(), None) is None
        except OSError as exc:
            raise BackupError(f"cannot read {folder}: {exc.strerror}") from None
        if not empty:
            if not force:
                raise BackupError(
                    f"{folder} is not empty; restore into empty folders, "
                    "or stop the server and give --force to replace what is there"
                )
            replaced.append(folder)
    database = folders["data"] / "signage.db"
    if _in_use(database):
        raise BackupError(f"{database} is open in another program; stop the server first")
    manifest = verify(archive)
    newest = len(store.MIGRATIONS)
    if manifest.schema_version > newest:
        raise BackupError(
            f"the archive's database has schema version {manifest.schema_version}, newer than "
            f"this program's ({newest}); install Lokalskærm {manifest.program_version} "
            "or newer to restore it"
        )
    staging: dict[str, Path] = {}
    try:
        for root, folder in folders.items():
            folder.parent.mkdir(parents=True, exist_ok=True)
            prefix = f".{folder.name}.restoring-"
            staging[root] = Path(tempfile.mkdtemp(prefix=prefix, dir=folder.parent))
        tally = _extract(archive, manifest, staging)
        schema = _open_restored(staging["data"] / "signage.db")
        _swap(folders, staging)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise BackupError(f"cannot restore: {where}{exc.strerror or exc}") from None
    finally:
        for path in staging.values():
            shutil.rmtree(path, ignore_errors=True)
    return Restored(folders, manifest, schema, tally, replaced)


def _in_use(database: Path) -> bool:
    """Whether another process has the database open.

    Every SQLite connection to a WAL database holds a shared lock on byte 128 of the -shm file
    (SQLite's "dead man switch"); an exclusive lock is granted only when nobody else does.
    """
    try:
        fd = os.open(database.with_name(database.name + "-shm"), os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, 128)
        return False
    finally:
        os.close(fd)


def _extract(archive: Path, manifest: Manifest, staging: dict[str, Path]) -> Tally:
    listed = {entry.path: entry for entry in manifest.files}
    tally = Tally()
    folders: list[tuple[Path, int, int]] = []
    with _reading(archive) as members:
        for member, contents in members:
            if member.name == MANIFEST:
                continue
            root, _, rest = member.name.partition("/")
            target = staging[root] / rest if rest else staging[root]
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                folders.append((target, member.mode, int(member.mtime)))
                continue
            entry = listed.get(member.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            with os.fdopen(os.open(target, flags, 0o600), "wb") as out:
                size, sha256 = _digest(contents, out)
                out.flush()
                os.fsync(out.fileno())
            if entry is None or (size, sha256) != (entry.size, entry.sha256):
                raise BackupError(f"{archive} changed while it was restored")
            os.chmod(target, entry.mode & 0o777)
            os.utime(target, (int(member.mtime), int(member.mtime)))
            tally.add(member.name, size)
    for folder, mode, mtime in reversed(folders):
        os.chmod(folder, (mode & 0o777) | 0o700)
        os.utime(folder, (mtime, mtime))
    return tally


def _open_restored(database: Path) -> int:
    """Open the restored database as the server will: older schemas are migrated."""
    try:
        db = store.connect(database)
        try:
            (check,) = db.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise BackupError(f"the archive's database fails SQLite's quick_check: {check}")
            return store.schema_version(db)
        finally:
            db.close()
    except (sqlite3.Error, RuntimeError) as exc:
        raise BackupError(f"the archive's database cannot be opened: {exc}") from None


def _swap(folders: dict[str, Path], staging: dict[str, Path]) -> None:
    """Rename each restored folder into place; if one cannot be, put everything back."""
    done: list[tuple[str, Path | None]] = []
    try:
        for root, folder in folders.items():
            old = None
            if folder.exists():
                old = folder.with_name(f".{folder.name}.replaced-{secrets.token_hex(4)}")
                os.rename(folder, old)
            done.append((root, old))
            os.rename(staging[root], folder)
    except OSError:
        for root, old in reversed(done):
            with contextlib.suppress(OSError):
                if not staging[root].exists():
                    os.rename(folders[root], staging[root])
                if old is not None:
                    os.rename(old, folders[root])
        raise
    for _, old in done:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    fsync_dir(next(iter(folders.values())).parent)
