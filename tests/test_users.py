"""Users: adding, logging in, changing passwords, against a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from signage_server import store, users


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = store.connect(tmp_path / "signage.db")
    yield connection
    connection.close()


def test_add_stores_a_case_folded_address_and_only_a_hash(db: sqlite3.Connection) -> None:
    user = users.add(db, "  Mette@Morkov.DK ", "korrekt hest batteri", "editor", ["morkov"])
    assert user.email == "mette@morkov.dk" and user.role == "editor"
    assert user.areas == {"morkov"}
    stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("$argon2id$") and "korrekt" not in stored
    assert users.all_users(db) == [user]


@pytest.mark.parametrize(
    ("email", "password", "role", "areas", "message"),
    [
        ("x@y.dk", "kort", "admin", [], "at least 10 characters"),
        ("ikke en adresse", "korrekt hest batteri", "admin", [], "expected an e-mail address"),
        ("x@y.dk", "korrekt hest batteri", "chef", [], "role: expected one of admin, editor"),
        ("x@y.dk", "korrekt hest batteri", "editor", [], "at least one --area"),
        ("x@y.dk", "korrekt hest batteri", "admin", ["morkov"], "give no --area"),
    ],
)
def test_add_refuses_bad_input(
    db: sqlite3.Connection, email: str, password: str, role: str, areas: list[str], message: str
) -> None:
    with pytest.raises(users.UserError, match=message):
        users.add(db, email, password, role, areas)
    assert users.all_users(db) == []


def test_an_address_is_used_once_whatever_its_case(db: sqlite3.Connection) -> None:
    users.add(db, "a@holbaek.dk", "korrekt hest batteri", "admin")
    with pytest.raises(users.UserError, match=r"already a user 'a@holbaek\.dk'"):
        users.add(db, "A@Holbaek.dk", "korrekt hest batteri", "admin")
    assert len(users.all_users(db)) == 1


def test_authenticate(db: sqlite3.Connection) -> None:
    user = users.add(db, "a@holbaek.dk", "korrekt hest batteri", "editor", ["morkov", "jyderup"])
    assert users.authenticate(db, "A@holbaek.dk ", "korrekt hest batteri") == user
    assert users.authenticate(db, "a@holbaek.dk", "forkert hest batteri") is None
    assert users.authenticate(db, "ukendt@holbaek.dk", "korrekt hest batteri") is None
    assert users.authenticate(db, "a@holbaek.dk", "x" * 5000) is None
    db.execute("UPDATE users SET disabled_at = 1")
    assert users.authenticate(db, "a@holbaek.dk", "korrekt hest batteri") is None
    assert users.get(db, user.id) is None


def test_an_old_hash_is_replaced_at_the_next_login(db: sqlite3.Connection) -> None:
    user = users.add(db, "a@holbaek.dk", "korrekt hest batteri", "admin")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("korrekt hest batteri")
    users.store_password_hash(db, user.id, weak)
    assert users.authenticate(db, "a@holbaek.dk", "korrekt hest batteri") is not None
    stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored != weak and not PasswordHasher().check_needs_rehash(stored)


def test_set_password_changes_the_stamp(db: sqlite3.Connection) -> None:
    user = users.add(db, "a@holbaek.dk", "korrekt hest batteri", "admin")
    changed = users.set_password(db, user.id, "nyt og langt kodeord")
    assert changed.stamp != user.stamp
    assert users.authenticate(db, "a@holbaek.dk", "korrekt hest batteri") is None
    assert users.authenticate(db, "a@holbaek.dk", "nyt og langt kodeord") is not None
    with pytest.raises(users.UserError, match="at least 10"):
        users.set_password(db, user.id, "kort")
    with pytest.raises(users.UserError, match="no active user 99"):
        users.set_password(db, 99, "nyt og langt kodeord")
