"""API tokens: the bearer tokens of the municipality's own systems, scoped like users (an
admin, or an editor of given areas), known by a random token stored only as a hash.

The tables are made by a migration in store.py (``api_tokens``, ``api_token_areas``).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from .users import check_role_and_areas

TOKEN_PREFIX = "api_"
#: 32 random bytes: 256 bits, as url-safe base64 (43 characters after the prefix).
TOKEN_BYTES = 32
MAX_NAME = 100
#: ``last_used`` is written at most this often per token: a busy script costs no write
#: per request.
LAST_USED_EVERY_SECONDS = 60.0


class TokenError(ValueError):
    """A token cannot be made this way; the message says why."""


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    role: str
    areas: frozenset[str]
    created_at: float
    revoked_at: float | None = None
    last_used: float | None = None


def hash_token(token: str) -> str:
    # 256 random bits: a fast hash is as safe as a slow one here (as for screens).
    return hashlib.sha256(token.encode()).hexdigest()


def check_name(name: str) -> str:
    """The name as stored (trimmed); raises TokenError when it is empty or too long."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise TokenError("--name must not be empty")
    if len(cleaned) > MAX_NAME:
        raise TokenError(f"--name may have at most {MAX_NAME} characters, got {len(cleaned)}")
    return cleaned


def add(
    db: sqlite3.Connection, name: str, role: str, areas: Iterable[str] = ()
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the secret, which is shown this once and never stored.
    Raises TokenError for a bad name and users.UserError for a bad role or areas. Whether
    the areas exist is the caller's to check."""
    cleaned = check_name(name)
    chosen = check_role_and_areas(role, areas)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    now = time.time()
    with db:
        db.execute("BEGIN IMMEDIATE")
        cursor = db.execute(
            "INSERT INTO api_tokens (name, token_hash, role, created_at) VALUES (?, ?, ?, ?)",
            (cleaned, hash_token(secret), role, now),
        )
        token_id = cursor.lastrowid
        assert token_id is not None
        db.executemany(
            "INSERT INTO api_token_areas (token_id, area) VALUES (?, ?)",
            [(token_id, area) for area in sorted(chosen)],
        )
    return ApiToken(token_id, cleaned, role, chosen, now), secret


def authenticate(db: sqlite3.Connection, secret: str, now: float | None = None) -> ApiToken | None:
    """The active token with this secret, else None; notes when it was used (at most once
    a minute)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    found = _load(db, "WHERE t.token_hash = ? AND t.revoked_at IS NULL", (hash_token(secret),))
    if not found:
        return None
    token = found[0]
    now = time.time() if now is None else now
    if token.last_used is None or now - token.last_used >= LAST_USED_EVERY_SECONDS:
        db.execute("UPDATE api_tokens SET last_used = ? WHERE id = ?", (now, token.id))
    return token


def revoke(db: sqlite3.Connection, token_id: int) -> bool:
    """Revoke a token: it is refused from its next request on. False when there is no
    active token with this id."""
    cursor = db.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (time.time(), token_id),
    )
    return cursor.rowcount == 1


def all_tokens(db: sqlite3.Connection, *, revoked: bool = False) -> list[ApiToken]:
    """The active tokens by number; with ``revoked``, the revoked ones too."""
    return _load(db, "" if revoked else "WHERE t.revoked_at IS NULL", ())


def get(db: sqlite3.Connection, token_id: int) -> ApiToken | None:
    """The token with this id, revoked or not."""
    found = _load(db, "WHERE t.id = ?", (token_id,))
    return found[0] if found else None


def _load(db: sqlite3.Connection, where: str, params: tuple[object, ...]) -> list[ApiToken]:
    rows = db.execute(
        "SELECT t.id, t.name, t.role, t.created_at, t.revoked_at, t.last_used, "
        "GROUP_CONCAT(a.area, char(10)) AS areas "
        "FROM api_tokens t LEFT JOIN api_token_areas a ON a.token_id = t.id "
        f"{where} GROUP BY t.id ORDER BY t.id",
        params,
    ).fetchall()
    return [
        ApiToken(
            id=row["id"],
            name=row["name"],
            role=row["role"],
            areas=frozenset(row["areas"].split("\n")) if row["areas"] else frozenset(),
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
            last_used=row["last_used"],
        )
        for row in rows
    ]
