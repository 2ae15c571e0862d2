"""`signage backup` and `signage restore`: real databases, real files, real archives."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from signage_server import backup, restore, screens, store, users
from signage_server.blobs import Blobs
from signage_server.cli import main
from signage_server.settings import Settings
from signage_server.web import secret

from .support import Site, jpeg, timeout

Members = list[tuple[tarfile.TarInfo, bytes]]


def fill(site: Site) -> None:
    """Something in every place the server keeps things."""
    settings = site.settings
    db = store.connect(settings.database)
    try:
        screens.add(db, "morkov", "Forsamlingshuset")
        users.add(db, "admin@example.dk", "en lang adgangskode", "admin", [])
        db.execute("INSERT INTO audit_log (at, actor, action, subject) VALUES (1, 'a', 'b', 'c')")
    finally:
        db.close()
    Blobs(settings.blobs).put(b"a rendition")
    secret.load_or_create(settings.data_dir)
    (settings.assets / "tom").mkdir()  # an empty drop folder is kept too
    site.drop("all", "fælles.jpg", jpeg((1, 2, 3)))
    site.recipe("jyderup", 'name = "Jyderup"\n')


def elsewhere(root: Path) -> Settings:
    return Settings(data_dir=root / "data", playlists=root / "playlists", assets=root / "assets")


def flags(settings: Settings) -> list[str]:
    return [
        "--data-dir",
        str(settings.data_dir),
        "--playlists",
        str(settings.playlists),
        "--assets",
        str(settings.assets),
    ]


def tables(database: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(database)
    try:
        names = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {name: sorted(db.execute(f"SELECT * FROM {name}"), key=repr) for name in names}
    finally:
        db.close()


def tree(settings: Settings) -> dict[str, tuple[bytes | None, int]]:
    """Every file (contents, mode) and folder (None, mode) but the live database's."""
    found: dict[str, tuple[bytes | None, int]] = {}
    for top in (settings.data_dir, settings.playlists, settings.assets):
        for path in [top, *sorted(top.rglob("*"))]:
            if path.name.startswith("signage.db"):
                continue
            name = f"{top.name}/{path.relative_to(top)}"
            data = path.read_bytes() if path.is_file() else None
            found[name] = (data, path.stat().st_mode & 0o777)
    return found


def everything(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def test_round_trip_keeps_every_row_and_every_file(site: Site, tmp_path: Path) -> None:
    fill(site)
    archive = tmp_path / "backup.tar.gz"
    written = backup.backup(site.settings, archive)
    assert written.path == archive and archive.stat().st_mode & 0o777 == 0o600
    assert written.schema_version == len(store.MIGRATIONS)
    assert written.tally.files["playlists"] == 2 and written.tally.files["assets"] == 3

    target = elsewhere(tmp_path / "ny")
    restored = restore.restore(archive, target)

    assert tables(target.database) == tables(site.settings.database)
    assert tables(target.database)["screens"] and tables(target.database)["users"]
    assert tree(target) == tree(site.settings)
    assert (target.data_dir / "session-secret").stat().st_mode & 0o777 == 0o600
    assert (target.assets / "tom").is_dir()
    drop = site.assets / "morkov" / "01-plakat.jpg"
    assert (target.assets / "morkov" / "01-plakat.jpg").stat().st_mtime == int(drop.stat().st_mtime)
    assert restored.schema_version == len(store.MIGRATIONS) and restored.replaced == []
    db = store.connect(target.database)  # as the server opens it
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    leftovers = [path.name for path in (tmp_path / "ny").iterdir() if path.name.startswith(".")]
    assert leftovers == []


def test_the_archive_has_its_manifest_last_and_no_scratch(site: Site, tmp_path: Path) -> None:
    fill(site)
    db = store.connect(site.settings.database)  # open: -wal and -shm exist meanwhile
    (site.settings.blobs / "ab").mkdir()
    (site.settings.blobs / "ab" / ".tmp-halvt").write_bytes(b"cut short")
    (site.settings.data_dir / ".session-secret.123.abcd").write_text("half")
    try:
        backup.backup(site.settings, tmp_path / "b.tar.gz")
    finally:
        db.close()
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert names[0] == "data" and names[1] == "data/signage.db" and names[-1] == "manifest.json"
    assert not [name for name in names if "-wal" in name or "-shm" in name or ".tmp-" in name]
    assert not [name for name in names if ".session-secret." in name]
    assert manifest["format"] == "lokalskaerm-backup" and manifest["format_version"] == 1
    assert manifest["schema_version"] == len(store.MIGRATIONS)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["created_at"])
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == {name for name in names if name != "manifest.json"} - set(
        manifest["directories"]
    )
    assert listed["data/session-secret"]["mode"] == 0o600
    assert all(re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]) for entry in listed.values())


def test_backup_while_a_writer_commits_is_one_consistent_moment(site: Site, tmp_path: Path) -> None:
    """Each transaction adds one audit row and one key: a snapshot has as many of each, 1..n."""
    Blobs(site.settings.blobs).put(os.urandom(4 << 20))  # the archive takes a while
    store.connect(site.settings.database).close()
    stop = threading.Event()
    committed = [0]

    def write() -> None:
        db = store.connect(site.settings.database)
        try:
            while not stop.is_set():
                n = committed[0] + 1
                db.execute("BEGIN IMMEDIATE")
                db.execute(
                    "INSERT INTO audit_log (id, at, actor, action, subject) "
                    "VALUES (?, 0, 'test', 'write', ?)",
                    (n, str(n)),
                )
                db.execute(
                    "INSERT INTO idempotency_keys VALUES ('test', ?, '', 200, '{}', 0)", (str(n),)
                )
                db.execute("COMMIT")
                committed[0] = n
        finally:
            db.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        deadline = time.monotonic() + timeout(10)
        while committed[0] < 200:
            assert time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.001)
        before = committed[0]
        backup.backup(site.settings, tmp_path / "b.tar.gz")
        after = committed[0]
    finally:
        stop.set()
        writer.join()
    assert after > before, "the writer was not writing during the backup"

    target = elsewhere(tmp_path / "ny")
    restore.restore(tmp_path / "b.tar.gz", target)
    db = sqlite3.connect(target.database)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [row[0] for row in db.execute("SELECT id FROM audit_log ORDER BY id")]
        keys = db.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0]
    finally:
        db.close()
    assert before <= len(ids) <= after
    assert ids == list(range(1, len(ids) + 1)) and keys == len(ids)


def test_an_older_schema_is_migrated_and_a_newer_one_refused(site: Site, tmp_path: Path) -> None:
    site.settings.data_dir.mkdir()
    old = sqlite3.connect(site.settings.database)
    for version, script in enumerate(store.MIGRATIONS[:3], start=1):
        old.executescript(script)
        old.execute(f"PRAGMA user_version = {version}")
    old.close()
    backup.backup(site.settings, tmp_path / "old.tar.gz")
    restored = restore.restore(tmp_path / "old.tar.gz", elsewhere(tmp_path / "ny"))
    assert restored.manifest.schema_version == 3
    assert restored.schema_version == len(store.MIGRATIONS)

    newer = len(store.MIGRATIONS) + 1
    db = sqlite3.connect(site.settings.database)
    db.execute(f"PRAGMA user_version = {newer}")
    db.close()
    backup.backup(site.settings, tmp_path / "new.tar.gz")
    with pytest.raises(backup.BackupError, match=f"schema version {newer}, newer than"):
        restore.restore(tmp_path / "new.tar.gz", elsewhere(tmp_path / "nyere"))
    assert not (tmp_path / "nyere").exists()


def test_a_manifest_that_hides_a_newer_schema_is_caught_by_the_database(
    site: Site, tmp_path: Path
) -> None:
    db = store.connect(site.settings.database)
    db.execute(f"PRAGMA user_version = {len(store.MIGRATIONS) + 1}")
    db.close()
    backup.backup(site.settings, tmp_path / "b.tar.gz")
    members = members_of(tmp_path / "b.tar.gz")
    document = manifest_of(members)
    document["schema_version"] = 1
    write_tar(tmp_path / "lie.tar.gz", with_manifest(members, document))
    target = elsewhere(tmp_path / "ny")
    with pytest.raises(backup.BackupError, match="newer than this program"):
        restore.restore(tmp_path / "lie.tar.gz", target)
    assert list((tmp_path / "ny").iterdir()) == []  # the unpacked copy is gone again


# --- hostile and damaged archives -------------------------------------------------------


def members_of(archive: Path) -> Members:
    with tarfile.open(archive) as tar:
        return [
            (member, tar.extractfile(member).read() if member.isreg() else b"")  # type: ignore[union-attr]
            for member in tar
        ]


def write_tar(path: Path, members: Members) -> None:
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data) if member.isreg() else None)


def manifest_of(members: Members) -> dict[str, object]:
    document: dict[str, object] = json.loads(dict((m.name, d) for m, d in members)["manifest.json"])
    return document


def with_manifest(members: Members, document: dict[str, object]) -> Members:
    data = json.dumps(document).encode()
    info = tarfile.TarInfo("manifest.json")
    info.size = len(data)
    return [(m, d) for m, d in members if m.name != "manifest.json"] + [(info, data)]


def smuggle(
    name: str, kind: bytes = tarfile.REGTYPE, link: str = ""
) -> Callable[[Members], Members]:
    """Add a member, listed in the manifest with its true sha256 so only its shape is wrong."""

    def change(members: Members) -> Members:
        import hashlib

        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, link
        data = b"owned" if kind == tarfile.REGTYPE else b""
        info.size = len(data)
        document = manifest_of(members)
        files = document["files"]
        assert isinstance(files, list)
        files.append(
            {
                "path": name,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "mode": 420,
            }
        )
        rest = [(m, d) for m, d in members if m.name != "manifest.json"]
        return with_manifest([*rest, (info, data)], document)

    return change


def tampered(members: Members) -> Members:
    changed = []
    for member, data in members:
        if member.name == "playlists/morkov.toml":
            data = b'name = "Overtaget"\n'
            member.size = len(data)
        changed.append((member, data))
    return changed


def unlisted(members: Members) -> Members:
    info = tarfile.TarInfo("assets/morkov/ekstra.jpg")
    info.size = 3
    rest = [(m, d) for m, d in members if m.name != "manifest.json"]
    manifest = [(m, d) for m, d in members if m.name == "manifest.json"]
    return [*rest, (info, b"abc"), *manifest]


def no_manifest(members: Members) -> Members:
    return [(m, d) for m, d in members if m.name != "manifest.json"]


HOSTILE: dict[str, tuple[Callable[[Members], Members], str]] = {
    "parent": (smuggle("../udenfor"), "unsafe path"),
    "nested parent": (smuggle("data/../../udenfor"), "unsafe path"),
    "absolute": (smuggle("/tmp/lokalskaerm-udenfor"), "unsafe path"),
    "outside the roots": (smuggle("andet/fil"), "outside data/"),
    "symlink": (smuggle("assets/morkov/link", tarfile.SYMTYPE, "/etc/passwd"), "a link"),
    "hard link": (smuggle("data/hard", tarfile.LNKTYPE, "../../udenfor"), "a link"),
    "device": (smuggle("data/enhed", tarfile.CHRTYPE), "a device"),
    "fifo": (smuggle("data/rør", tarfile.FIFOTYPE), "a device"),
    "a wal file": (smuggle("data/signage.db-wal"), "does not belong"),
    "a file as a root": (smuggle("playlists"), "twice|must be a folder"),
    "sha256 mismatch": (tampered, "does not match its sha256"),
    "file not in the manifest": (unlisted, "not in the manifest"),
    "missing manifest": (no_manifest, "no manifest.json"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_archives_are_refused_with_nothing_written(
    site: Site, tmp_path: Path, case: str
) -> None:
    change, message = HOSTILE[case]
    fill(site)
    backup.backup(site.settings, tmp_path / "good.tar.gz")
    evil = tmp_path / "evil.tar.gz"
    write_tar(evil, change(members_of(tmp_path / "good.tar.gz")))
    before = everything(tmp_path)
    with pytest.raises(backup.BackupError, match=message):
        restore.restore(evil, elsewhere(tmp_path / "ny" / "sted"), force=True)
    assert everything(tmp_path) == before
    assert not Path("/tmp/lokalskaerm-udenfor").exists()


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_a_cut_short_archive_is_refused(site: Site, tmp_path: Path, keep: float) -> None:
    fill(site)
    data = backup.backup(site.settings, tmp_path / "good.tar.gz").path.read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: int(len(data) * keep)])
    before = everything(tmp_path)
    with pytest.raises(backup.BackupError, match=r"damaged or cut short|no manifest"):
        restore.restore(tmp_path / "cut.tar.gz", elsewhere(tmp_path / "ny"))
    assert everything(tmp_path) == before


def test_restore_refuses_what_is_not_an_archive(tmp_path: Path) -> None:
    (tmp_path / "noter.txt").write_text("husk kaffe")
    with pytest.raises(backup.BackupError, match="damaged or cut short"):
        restore.restore(tmp_path / "noter.txt", elsewhere(tmp_path / "ny"))
    with pytest.raises(backup.BackupError, match="cannot read"):
        restore.restore(tmp_path / "findes-ikke.tar.gz", elsewhere(tmp_path / "ny"))
    assert not (tmp_path / "ny").exists()


# --- targets --------------------------------------------------------------------------


def test_non_empty_targets_need_force_and_force_replaces(site: Site, tmp_path: Path) -> None:
    fill(site)
    archive = backup.backup(site.settings, tmp_path / "b.tar.gz").path
    target = elsewhere(tmp_path / "ny")
    target.playlists.mkdir(parents=True)
    (target.playlists / "gammel.toml").write_text('name = "Gammel"\n')
    with pytest.raises(backup.BackupError, match=r"not empty.*--force"):
        restore.restore(archive, target)
    assert [path.name for path in target.playlists.iterdir()] == ["gammel.toml"]
    assert not target.data_dir.exists()

    restored = restore.restore(archive, target, force=True)
    assert restored.replaced == [target.playlists.resolve()]
    assert not (target.playlists / "gammel.toml").exists()
    assert tree(target) == tree(site.settings)
    assert sorted(path.name for path in (tmp_path / "ny").iterdir()) == [
        "assets",
        "data",
        "playlists",
    ]


def test_restore_refuses_while_another_program_has_the_database_open(
    site: Site, tmp_path: Path
) -> None:
    fill(site)
    archive = backup.backup(site.settings, tmp_path / "b.tar.gz").path
    target = elsewhere(tmp_path / "ny")
    restore.restore(archive, target)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "from pathlib import Path\n"
            "from signage_server import store\n"
            "db = store.connect(Path(sys.argv[1]))\n"
            "print('open', flush=True)\n"
            "sys.stdin.read()\n",
            str(target.database),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        with pytest.raises(backup.BackupError, match="open in another program"):
            restore.restore(archive, target, force=True)
    finally:
        holder.communicate("", timeout=timeout(10))
    restore.restore(archive, target, force=True)  # closed: now it may


def test_folders_inside_each_other_are_refused(site: Site, tmp_path: Path) -> None:
    inside = dataclasses.replace(site.settings, assets=site.settings.data_dir / "assets")
    (inside.assets).mkdir(parents=True)
    store.connect(inside.database).close()
    with pytest.raises(backup.BackupError, match="is inside"):
        backup.backup(inside, tmp_path / "b.tar.gz")


def test_links_are_followed_as_the_server_follows_them(site: Site, tmp_path: Path) -> None:
    store.connect(site.settings.database).close()
    shared = tmp_path / "fælles-plakater"
    shared.mkdir()
    (shared / "plakat.jpg").write_bytes(jpeg())
    (site.assets / "jyderup").symlink_to(shared)
    (site.assets / "all" / "væk.jpg").symlink_to(tmp_path / "findes-ikke.jpg")
    (site.assets / "morkov" / "ring").symlink_to(site.assets)
    written = backup.backup(site.settings, tmp_path / "b.tar.gz")
    assert any("a link to nothing" in warning for warning in written.warnings)
    assert any("already in the archive" in warning for warning in written.warnings)
    target = elsewhere(tmp_path / "ny")
    restore.restore(written.path, target)
    restored = target.assets / "jyderup"
    assert not restored.is_symlink() and (restored / "plakat.jpg").read_bytes() == jpeg()


# --- the command --------------------------------------------------------------------------


def test_cli_backup_and_restore(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(site)
    monkeypatch.chdir(tmp_path)
    assert main(["backup", *flags(site.settings)]) == 0
    out = capsys.readouterr().out
    (archive,) = tmp_path.glob("lokalskaerm-backup-*.tar.gz")
    assert re.fullmatch(r"lokalskaerm-backup-\d{8}-\d{6}\.tar\.gz", archive.name)
    assert f"wrote {archive}:" in out and re.search(r"playlists\t2 files\t\d+ bytes", out)

    target = elsewhere(tmp_path / "ny")
    assert main(["restore", str(archive), *flags(target)]) == 0
    assert "restored" in capsys.readouterr().out
    assert tree(target) == tree(site.settings)

    assert main(["restore", str(archive), *flags(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("signage restore: ") and "not empty" in err and err.count("\n") == 1
    assert main(["restore", str(archive), *flags(target), "--force"]) == 0


def test_cli_takes_the_folders_from_the_environment(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store.connect(site.settings.database).close()
    monkeypatch.setenv("SIGNAGE_DATA_DIR", str(site.settings.data_dir))
    monkeypatch.setenv("SIGNAGE_PLAYLISTS", str(site.settings.playlists))
    monkeypatch.setenv("SIGNAGE_ASSETS", str(site.settings.assets))
    assert main(["backup", "-o", str(tmp_path / "b.tar")]) == 0
    with tarfile.open(tmp_path / "b.tar", "r:") as tar:  # .tar: not gzipped
        assert "playlists/morkov.toml" in tar.getnames()


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("no data dir", "no folder"),
        ("no database", "no database"),
        ("not a database", "cannot read the database"),
        ("output in a file", "cannot write in"),
        ("output is a folder", "is a folder"),
        ("output inside the data dir", "write the archive elsewhere"),
    ],
)
def test_cli_backup_errors_are_one_line_and_leave_nothing(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str], problem: str, message: str
) -> None:
    settings = site.settings
    output = tmp_path / "ud" / "b.tar.gz"
    output.parent.mkdir()
    if problem == "no data dir":
        settings = dataclasses.replace(settings, data_dir=tmp_path / "findes-ikke")
    elif problem == "no database":
        settings.data_dir.mkdir()
    elif problem == "not a database":
        settings.data_dir.mkdir()
        settings.database.write_bytes(b"husk kaffe" * 1000)
    else:
        store.connect(settings.database).close()
    if problem == "output in a file":
        (tmp_path / "ud" / "fil").write_text("")
        output = tmp_path / "ud" / "fil" / "b.tar.gz"
    elif problem == "output is a folder":
        output = output.parent
    elif problem == "output inside the data dir":
        output = settings.data_dir / "b.tar.gz"
    assert main(["backup", *flags(settings), "-o", str(output)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("signage backup: ") and message in err and err.count("\n") == 1
    assert [path.name for path in (tmp_path / "ud").iterdir()] in ([], ["fil"])
    assert not list(settings.data_dir.glob("*.tar.gz")) if settings.data_dir.exists() else True


def test_a_file_name_that_is_not_utf8_comes_back(site: Site, tmp_path: Path) -> None:
    store.connect(site.settings.database).close()
    latin1 = os.fsencode(site.assets / "all") + b"/pl\xe6kat.jpg"  # from an old Windows share
    with open(latin1, "wb") as file:
        file.write(jpeg())
    archive = backup.backup(site.settings, tmp_path / "b.tar.gz").path
    target = elsewhere(tmp_path / "ny")
    restore.restore(archive, target)
    assert os.listdir(os.fsencode(target.assets / "all")) == [b"pl\xe6kat.jpg"]
