from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from signage_server import store
from signage_server.settings import Settings, SettingsError


def test_defaults_match_the_contract() -> None:
    settings = Settings.load({}, environ={})
    assert settings.port == 8000 and settings.host == "127.0.0.1"
    assert settings.data_dir == Path("data")
    assert settings.playlists == Path("playlists") and settings.assets == Path("assets")


def test_flags_over_environment_over_defaults() -> None:
    environ = {"SIGNAGE_PORT": "9000", "SIGNAGE_DATA_DIR": "/srv/data", "SIGNAGE_HOST": "0.0.0.0"}
    settings = Settings.load({"port": "9100", "data_dir": None}, environ=environ)
    assert settings.port == 9100
    assert settings.data_dir == Path("/srv/data") and settings.host == "0.0.0.0"
    assert settings.database == Path("/srv/data/signage.db")


@pytest.mark.parametrize("value", ["otte", "70000", "-1"])
def test_bad_port(value: str) -> None:
    with pytest.raises(SettingsError, match="SIGNAGE_PORT"):
        Settings.load({}, environ={"SIGNAGE_PORT": value})


def test_migrations_run_once_and_refuse_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "data" / "signage.db"
    db = store.connect(path)
    assert store.schema_version(db) == len(store.MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    db = store.connect(path)  # again: nothing to do
    db.execute(f"PRAGMA user_version = {len(store.MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        store.connect(path)


def test_a_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, "CREATE TABLE x (a); BROKEN"))
    with pytest.raises(sqlite3.OperationalError):
        store.connect(tmp_path / "db")
    db = sqlite3.connect(tmp_path / "db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(store.MIGRATIONS) - 1
    assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'x'").fetchall()


def test_presence_is_written_in_one_batch(tmp_path: Path) -> None:
    from signage_server import screens

    db = store.connect(tmp_path / "db")
    one, _ = screens.add(db, "morkov", "Én")
    two, _ = screens.add(db, "morkov", "To")
    presence = screens.Presence()
    presence.status(one.id, "v1", "morkov/a.jpg", 100.0)
    presence.seen(two.id, 101.0)
    assert screens.all_screens(db)[0].item is None  # nothing written yet
    presence.flush(db)
    by_id = {screen.id: screen for screen in screens.all_screens(db)}
    first, second = by_id[one.id], by_id[two.id]
    assert (first.version, first.item, first.last_seen) == ("v1", "morkov/a.jpg", 100.0)
    assert second.last_seen == 101.0
    presence.status(one.id, "v1", None, 102.0)
    presence.flush(db)
    presence.flush(db)  # nothing new: no error
    assert {s.id: s for s in screens.all_screens(db)}[one.id].item is None
