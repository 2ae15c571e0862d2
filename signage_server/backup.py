"""One archive with everything the server keeps: ``signage backup`` and ``signage restore``.

The archive is a tar file, gzipped unless its name ends in ``.tar``::

    data/                  the data dir
    data/signage.db        a consistent snapshot, taken with SQLite's backup API
    data/...               the rest: blobs/, session-secret, ...
    playlists/...          the recipes
    assets/...             the drop folders
    manifest.json          last: versions, and the size and sha256 of every file

The manifest comes last so that an archive cut short has none; restore refuses it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import __version__, store
from .settings import Settings, env_var

FORMAT = "lokalskaerm-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: The archive's top folders and the settings they come from.
ROOTS = {"data": "data_dir", "playlists": "playlists", "assets": "assets"}
DATABASE = "data/signage.db"
#: Beside the live database; its snapshot holds what they hold.
_DATABASE_COMPANIONS = ("-wal", "-shm", "-journal")
#: Writers wait this long for a lock; so does the snapshot.
BUSY_TIMEOUT = 30.0
_SHA256_RE = re.compile(r"[0-9a-f]{64}\Z")
CHUNK = 1 << 20
MANIFEST_LIMIT = 64 << 20


class BackupError(Exception):
    """A backup cannot be made, or an archive cannot be restored; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One file in the archive."""

    path: str
    size: int
    sha256: str
    mode: int


@dataclass(frozen=True)
class Manifest:
    program_version: str
    schema_version: int
    created_at: str
    files: tuple[Entry, ...]
    directories: tuple[str, ...]
    sources: dict[str, str] = field(default_factory=dict)
    host: str = ""

    def serialize(self) -> bytes:
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "program_version": self.program_version,
            "schema_version": self.schema_version,
            "created_at": self.created_at,
            "host": self.host,
            "sources": self.sources,
            "directories": list(self.directories),
            "files": [vars(entry) for entry in self.files],
        }
        # ASCII: a name that is not UTF-8 (an old share) travels as \udcXX and comes back
        return json.dumps(document, indent=1).encode() + b"\n"

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        """Raises BackupError naming the key that is wrong."""
        try:
            document = json.loads(data)
        except ValueError:
            raise BackupError(f"{MANIFEST}: not JSON") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise BackupError(f"{MANIFEST}: not a Lokalskærm backup")
        version = _key(document, "format_version", int)
        if version > FORMAT_VERSION:
            raise BackupError(
                f"the archive has format {version}, newer than this program's "
                f"({FORMAT_VERSION}); upgrade Lokalskærm to restore it"
            )
        files = []
        for item in _key(document, "files", list):
            if not isinstance(item, dict):
                raise BackupError(f"{MANIFEST}: files: expected objects, got {item!r}")
            entry = Entry(
                _key(item, "path", str),
                _key(item, "size", int),
                _key(item, "sha256", str),
                _key(item, "mode", int),
            )
            if not _SHA256_RE.match(entry.sha256) or entry.size < 0:
                raise BackupError(f"{MANIFEST}: bad entry for {entry.path!r}")
            files.append(entry)
        directories = _key(document, "directories", list)
        if not all(isinstance(name, str) for name in directories):
            raise BackupError(f"{MANIFEST}: directories: expected names, got {directories!r}")
        return cls(
            program_version=_key(document, "program_version", str),
            schema_version=_key(document, "schema_version", int),
            created_at=_key(document, "created_at", str),
            files=tuple(files),
            directories=tuple(directories),
            sources=document.get("sources") or {},
            host=str(document.get("host") or ""),
        )


def _key(document: dict[str, Any], key: str, kind: type[Any]) -> Any:
    value = document.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BackupError(f"{MANIFEST}: {key}: expected {kind.__name__}, got {value!r}")
    return value


@dataclass
class Tally:
    """What was written or restored, per top folder."""

    files: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROOTS, 0))
    bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROOTS, 0))

    def add(self, name: str, size: int) -> None:
        root = name.partition("/")[0]
        self.files[root] += 1
        self.bytes[root] += size


@dataclass
class Written:
    path: Path
    archive_size: int
    schema_version: int
    tally: Tally
    warnings: list[str]


def targets(settings: Settings) -> dict[str, Path]:
    return {root: getattr(settings, name) for root, name in ROOTS.items()}


def flag_of(root: str) -> str:
    name = ROOTS[root]
    return f"--{name.replace('_', '-')} (env {env_var(name)})"


def check_apart(folders: dict[str, Path]) -> None:
    real = {root: path.resolve() for root, path in folders.items()}
    for inner, path in real.items():
        for outer, other in real.items():
            if inner != outer and path.is_relative_to(other):
                raise BackupError(
                    f"{folders[inner]} is inside {folders[outer]}; "
                    f"give {flag_of(inner)} a folder of its own"
                )


# ---------------------------------------------------------------------------------------
# signage backup


def default_name(now: dt.datetime) -> str:
    return f"lokalskaerm-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


def backup(settings: Settings, output: Path | None = None) -> Written:
    """Write the archive to ``output`` (a temp file renamed at the end). Raises BackupError."""
    folders = targets(settings)
    check_apart(folders)
    for root, folder in folders.items():
        if not folder.is_dir():
            raise BackupError(f"no folder {folder}; give {flag_of(root)}")
    if not settings.database.is_file():
        raise BackupError(f"no database {settings.database}; give {flag_of('data')}")
    now = dt.datetime.now(dt.UTC)
    output = (output or Path(default_name(now.astimezone()))).absolute()
    if output.is_dir():
        raise BackupError(f"{output} is a folder; give a file name to --output")
    for folder in folders.values():
        if output.resolve().is_relative_to(folder.resolve()):
            raise BackupError(
                f"{output} is inside {folder}, which is backed up; write the archive elsewhere"
            )
    try:
        scratch = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    except OSError as exc:
        raise BackupError(f"cannot write in {output.parent}: {exc.strerror}") from None
    try:
        snapshot = scratch / "signage.db"
        schema = _snapshot(settings.database, snapshot)
        partial = scratch / (output.name + ".partial")
        # It holds the session secret and password hashes: for the owner's eyes only.
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            sink = _Sink(file, output)
            written = _write(sink, folders, snapshot, settings.database, schema, now)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, output)
        fsync_dir(output.parent)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise BackupError(f"cannot back up: {where}{exc.strerror or exc}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    written.path = output
    written.archive_size = output.stat().st_size
    return written


def _snapshot(database: Path, copy_path: Path) -> int:
    """Copy the live database with SQLite's backup API and return its schema version.

    All pages are copied in one step, inside one read transaction: the copy is a state the
    database really had, and the server's writers (WAL) carry on meanwhile.
    """
    uri = database.absolute().as_uri() + "?mode=rw"  # never create a database here
    try:
        source = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT)
        try:
            copy = sqlite3.connect(copy_path)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                (check,) = copy.execute("PRAGMA quick_check").fetchone()
                if check != "ok":
                    raise BackupError(f"{database} fails SQLite's quick_check: {check}")
                return store.schema_version(copy)
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the database {database}: {exc}") from None


def _write(
    sink: _Sink,
    folders: dict[str, Path],
    snapshot: Path,
    database: Path,
    schema: int,
    now: dt.datetime,
) -> Written:
    warnings: list[str] = []
    entries: list[Entry] = []
    directories: list[str] = []
    tally = Tally()
    if sink.path.name.endswith(".tar"):
        opened = tarfile.open(fileobj=sink, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
    else:  # media is compressed already: a middle level is as good and much faster
        opened = tarfile.open(  # noqa: SIM115 (closed by the with below)
            fileobj=sink, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT
        )
    with opened as tar:
        for root, folder in folders.items():
            skip = _scratch_in_data_dir if root == "data" else None
            for rel, path, info in _tree(folder, warnings, skip):
                name = f"{root}/{rel}" if rel else root
                if stat.S_ISDIR(info.st_mode):
                    tar.addfile(_header(name, info, tarfile.DIRTYPE))
                    directories.append(name)
                    if name == "data":
                        entry = _add_file(tar, DATABASE, snapshot, database.stat())
                        assert entry is not None  # the snapshot is ours
                        entries.append(entry)
                        tally.add(entry.path, entry.size)
                    continue
                added = _add_file(tar, name, path, info)
                if added is not None:
                    entries.append(added)
                    tally.add(added.path, added.size)
        manifest = Manifest(
            program_version=__version__,
            schema_version=schema,
            created_at=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            files=tuple(entries),
            directories=tuple(directories),
            sources={root: str(folder.absolute()) for root, folder in folders.items()},
            host=socket.gethostname(),
        )
        data = manifest.serialize()
        header = tarfile.TarInfo(MANIFEST)
        header.size, header.mtime, header.mode = len(data), int(now.timestamp()), 0o644
        tar.addfile(header, io.BytesIO(data))
    return Written(sink.path, 0, schema, tally, warnings)


def _scratch_in_data_dir(rel: str) -> bool:
    """The live database (snapshotted instead) and what interrupted writes leave behind."""
    name = rel.rpartition("/")[2]
    if rel.startswith("signage.db") and rel[len("signage.db") :] in ("", *_DATABASE_COMPANIONS):
        return True
    if rel.startswith("blobs/") and name.startswith(".tmp-"):  # see blobs.Blobs.sweep
        return True
    return "/" not in rel and name.startswith(".session-secret.")  # see web/secret.py


def _tree(
    root: Path, warnings: list[str], skip: Callable[[str], bool] | None
) -> Iterator[tuple[str, Path, os.stat_result]]:
    """Every folder and file under ``root`` ("" is root), folders before what they hold.

    Links are followed, as the server follows them, but never around in a circle.
    """
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, Path]] = [("", root)]
    while stack:
        rel, directory = stack.pop()
        info = directory.stat()
        if (info.st_dev, info.st_ino) in seen:
            warnings.append(f"skipped {directory}: a link to a folder already in the archive")
            continue
        seen.add((info.st_dev, info.st_ino))
        yield rel, directory, info
        folders = []
        with os.scandir(directory) as scan:
            children = sorted(scan, key=lambda entry: entry.name)
        for child in children:
            name = f"{rel}/{child.name}" if rel else child.name
            if skip is not None and skip(name):
                continue
            try:
                child_info = os.stat(child.path)
            except FileNotFoundError:
                if child.is_symlink():
                    warnings.append(f"skipped {child.path}: a link to nothing")
                continue  # removed meanwhile
            if stat.S_ISDIR(child_info.st_mode):
                folders.append((name, Path(child.path)))
            elif stat.S_ISREG(child_info.st_mode):
                yield name, Path(child.path), child_info
            else:
                warnings.append(f"skipped {child.path}: neither a file nor a folder")
        stack.extend(reversed(folders))


def _header(name: str, info: os.stat_result, kind: bytes, size: int = 0) -> tarfile.TarInfo:
    header = tarfile.TarInfo(name)
    header.type = kind
    header.size = size
    header.mode = stat.S_IMODE(info.st_mode) & 0o777
    header.mtime = int(info.st_mtime)
    return header  # owners are left out: the restoring user owns what it writes


def _add_file(tar: tarfile.TarFile, name: str, path: Path, info: os.stat_result) -> Entry | None:
    try:
        file = open(path, "rb")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        return None  # removed meanwhile
    with file:
        size = os.fstat(file.fileno()).st_size
        reader = _Hashing(file)
        try:
            tar.addfile(_header(name, info, tarfile.REGTYPE, size), reader)
        except OSError as exc:
            if exc.filename or exc.errno:
                raise
            raise BackupError(f"{path} shrank while it was read; run the backup again") from None
    return Entry(name, size, reader.hash.hexdigest(), stat.S_IMODE(info.st_mode) & 0o777)


class _Hashing:
    """A file being read into the archive, hashed on the way."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.hash = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        data = self.file.read(size)
        self.hash.update(data)
        return data


class _Sink:
    """The partial archive. A failed write names the archive, not the file being read."""

    def __init__(self, file: IO[bytes], path: Path) -> None:
        self.file = file
        self.path = path
        self.position = 0

    def write(self, data: bytes, /) -> int:
        try:
            written = self.file.write(data)
        except OSError as exc:
            raise BackupError(f"cannot write {self.path}: {exc.strerror}") from None
        self.position += written
        return written

    def read(self, size: int = -1, /) -> bytes:
        raise io.UnsupportedOperation("the archive is being written")

    def tell(self) -> int:
        return self.position

    def seek(self, position: int, /) -> int:
        raise io.UnsupportedOperation("the archive is written front to back")

    def close(self) -> None:
        pass  # the caller closes the file

    def flush(self) -> None:
        self.file.flush()


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
