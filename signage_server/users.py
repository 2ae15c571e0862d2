"""Users of the web UI: admins and editors, who log in with an e-mail address and a password.

Passwords are stored as argon2id hashes only. The tables are made by a migration in store.py.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("admin", "editor")
MIN_PASSWORD_LENGTH = 10
#: argon2 hashes the whole password, but a megabyte of it is only a way to burn our CPU.
MAX_PASSWORD_LENGTH = 1024
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserError(ValueError):
    """A user cannot be made or changed this way; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str
    areas: frozenset[str]
    created_at: float
    #: Changes whenever the password does: sessions carry it, so changing the password
    #: ends every other session of the user.
    stamp: str


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the e-mail is unknown, so that a wrong address costs as long
    # as a wrong password and the timing does not tell which addresses exist.
    return _hasher().hash("not a password of anyone")


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def check_email(email: str) -> str:
    """The address as stored (case-folded); raises UserError when it is not one."""
    normalized = normalize_email(email)
    if not EMAIL_RE.match(normalized) or len(normalized) > 254:
        raise UserError(f"expected an e-mail address, got {email!r}")
    return normalized


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters, got {len(password)}"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")


def check_role_and_areas(role: str, areas: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(areas)
    if role not in ROLES:
        raise UserError(f"role: expected one of {', '.join(ROLES)}, got {role!r}")
    if role == "admin" and chosen:
        raise UserError("an admin has every area; give no --area")
    if role == "editor" and not chosen:
        raise UserError("an editor needs at least one --area")
    return chosen


def add(
    db: sqlite3.Connection, email: str, password: str, role: str, areas: Iterable[str] = ()
) -> User:
    """Create a user; raises UserError for a bad address, password, role or areas, or an
    address that is taken. Whether the areas exist is the caller's to check."""
    check_email(email)
    check_role_and_areas(role, areas)
    return add_hashed(db, email, hash_password(password), role, areas)


def authenticate(db: sqlite3.Connection, email: str, password: str) -> User | None:
    """The active user with this address and password, else None (in about the same time)."""
    found = find_for_login(db, email)
    ok, new_hash = verify_password(found[1] if found else None, password)
    if not ok or found is None:
        return None
    if new_hash is not None:
        store_password_hash(db, found[0], new_hash)
    return get(db, found[0])


def find_for_login(db: sqlite3.Connection, email: str) -> tuple[int, str] | None:
    """The id and password hash of the active user with this address."""
    row = db.execute(
        "SELECT id, password_hash FROM users WHERE email = ? AND disabled_at IS NULL",
        (normalize_email(email),),
    ).fetchone()
    return None if row is None else (row["id"], row["password_hash"])


def verify_password(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches, and a new hash when the stored one uses old parameters.

    Without a hash (unknown address) it checks a dummy hash, so that it takes as long. It
    touches no database, so the web UI runs it in a thread, off the event loop.
    """
    hasher = _hasher()
    if password_hash is None or len(password) > MAX_PASSWORD_LENGTH:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        return False, None
    try:
        hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``; raises UserError when it is too short or long."""
    check_password(password)
    return _hasher().hash(password)


def store_password_hash(db: sqlite3.Connection, user_id: int, password_hash: str) -> None:
    db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def get(db: sqlite3.Connection, user_id: int) -> User | None:
    """The user with this id, unless there is none or it is disabled."""
    rows = _load(db, "WHERE u.id = ? AND u.disabled_at IS NULL", (user_id,))
    return rows[0] if rows else None


def all_users(db: sqlite3.Connection) -> list[User]:
    """Every active user, by e-mail address."""
    return _load(db, "WHERE u.disabled_at IS NULL", ())


def set_password(db: sqlite3.Connection, user_id: int, password: str) -> User:
    """Replace the password; raises UserError for a short one or an unknown user."""
    password_hash = hash_password(password)
    if get(db, user_id) is None:
        raise UserError(f"no active user {user_id}")
    store_password_hash(db, user_id, password_hash)
    user = get(db, user_id)
    assert user is not None
    return user


def _load(db: sqlite3.Connection, where: str, params: tuple[object, ...]) -> list[User]:
    rows = db.execute(
        "SELECT u.id, u.email, u.role, u.created_at, u.password_hash, "
        "GROUP_CONCAT(a.area, char(10)) AS areas "
        "FROM users u LEFT JOIN user_areas a ON a.user_id = u.id "
        f"{where} GROUP BY u.id ORDER BY u.email",
        params,
    ).fetchall()
    return [
        User(
            id=row["id"],
            email=row["email"],
            role=row["role"],
            areas=frozenset(row["areas"].split("\n")) if row["areas"] else frozenset(),
            created_at=row["created_at"],
            stamp=hashlib.sha256(row["password_hash"].encode()).hexdigest()[:16],
        )
        for row in rows
    ]


# --- the admins' users page: every user, also the disabled ones, and changing them ---------

#: The letters of a made password: no 0/O, 1/l/I, so that it can be read out and typed.
PASSWORD_LETTERS = "abcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS = 4
PASSWORD_GROUP_LENGTH = 4


class LastAdminError(UserError):
    """The change would leave no active admin, and nobody could manage the users again."""


@dataclass(frozen=True)
class Account:
    """A user as the admins' users page lists them: active or disabled."""

    user: User
    disabled_at: float | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def new_password() -> str:
    """A random password to hand to a person: four groups of four letters and digits, about
    80 bits, with no characters that look alike (``"k7dq-m3xa-…"``)."""
    return "-".join(
        "".join(secrets.choice(PASSWORD_LETTERS) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )


def accounts(db: sqlite3.Connection) -> list[Account]:
    """Every user, active or disabled, by e-mail address."""
    disabled = {
        row["id"]: row["disabled_at"] for row in db.execute("SELECT id, disabled_at FROM users")
    }
    return [Account(user, disabled.get(user.id)) for user in _load(db, "", ())]


def account(db: sqlite3.Connection, user_id: int) -> Account | None:
    """The user with this id, active or disabled; None when there is none."""
    row = db.execute("SELECT disabled_at FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        return None
    found = _load(db, "WHERE u.id = ?", (user_id,))
    return Account(found[0], row["disabled_at"]) if found else None


def email_taken(db: sqlite3.Connection, email: str) -> bool:
    """Whether a user, active or disabled, has this address (in any case)."""
    row = db.execute("SELECT 1 FROM users WHERE email = ?", (normalize_email(email),)).fetchone()
    return row is not None


def set_role_and_areas(
    db: sqlite3.Connection, user_id: int, role: str, areas: Iterable[str] = ()
) -> Account:
    """Give the user this role and these areas, all at once; raises UserError for a bad role
    or areas or an unknown user, and LastAdminError when it would demote the last active
    admin. Whether the areas exist is the caller's to check."""
    chosen = check_role_and_areas(role, areas)
    with db:
        db.execute("BEGIN IMMEDIATE")
        _check_keeps_an_admin(db, user_id, role_after=role, active_after=True)
        db.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
        db.execute("DELETE FROM user_areas WHERE user_id = ?", (user_id,))
        db.executemany(
            "INSERT INTO user_areas (user_id, area) VALUES (?, ?)",
            [(user_id, area) for area in sorted(chosen)],
        )
    changed = account(db, user_id)
    assert changed is not None
    return changed


def disable(db: sqlite3.Connection, user_id: int, now: float | None = None) -> Account:
    """Disable the user: they cannot log in, and their sessions end (``get`` no longer finds
    them). Raises UserError for an unknown user and LastAdminError for the last active admin;
    a disabled user stays as they are."""
    with db:
        db.execute("BEGIN IMMEDIATE")
        _check_keeps_an_admin(db, user_id, role_after=None, active_after=False)
        db.execute(
            "UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL",
            (time.time() if now is None else now, user_id),
        )
    changed = account(db, user_id)
    assert changed is not None
    return changed


def enable(db: sqlite3.Connection, user_id: int, password_hash: str) -> User:
    """Let a disabled user log in again, with a new password (``password_hash``), so that
    neither the old password nor a session from before comes back. Raises UserError for an
    unknown or an active user."""
    with db:
        db.execute("BEGIN IMMEDIATE")
        cursor = db.execute(
            "UPDATE users SET disabled_at = NULL, password_hash = ? "
            "WHERE id = ? AND disabled_at IS NOT NULL",
            (password_hash, user_id),
        )
        if cursor.rowcount != 1:
            raise UserError(f"no disabled user {user_id}")
    user = get(db, user_id)
    assert user is not None
    return user


def _check_keeps_an_admin(
    db: sqlite3.Connection, user_id: int, role_after: str | None, active_after: bool
) -> None:
    """Inside the change's transaction: refuse an unknown user, or a change that takes the
    last active admin's rights (``role_after`` None: the role stays)."""
    row = db.execute("SELECT role, disabled_at FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise UserError(f"no user {user_id}")
    was_active_admin = row["role"] == "admin" and row["disabled_at"] is None
    stays_admin = active_after and (role_after or row["role"]) == "admin"
    if not was_active_admin or stays_admin:
        return
    others = db.execute(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id != ?",
        (user_id,),
    ).fetchone()[0]
    if others == 0:
        raise LastAdminError("there must always be at least one active admin")


def add_hashed(
    db: sqlite3.Connection, email: str, password_hash: str, role: str, areas: Iterable[str] = ()
) -> User:
    """:func:`add` with the password hashed already (the web UI hashes off the event loop);
    raises UserError as ``add`` does."""
    address = check_email(email)
    chosen = check_role_and_areas(role, areas)
    try:
        with db:
            db.execute("BEGIN IMMEDIATE")
            cursor = db.execute(
                "INSERT INTO users (email, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                (address, password_hash, role, time.time()),
            )
            user_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO user_areas (user_id, area) VALUES (?, ?)",
                [(user_id, area) for area in sorted(chosen)],
            )
    except sqlite3.IntegrityError:
        raise UserError(f"there is already a user {address!r}") from None
    assert user_id is not None
    user = get(db, user_id)
    assert user is not None
    return user
