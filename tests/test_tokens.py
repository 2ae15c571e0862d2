"""API tokens: `signage tokens add|list|revoke` as a user runs them (real processes), and
how a token is stored, checked and revoked."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator

import pytest

from signage_server import store, tokens
from signage_server.permissions import Action, Kind, Principal, can

from .support import Site
from .test_cli import run, site_flags

TOKEN_RE = re.compile(r"^api_[A-Za-z0-9_-]{43}$")


def test_tokens_add_prints_the_token_once_and_stores_its_hash(site: Site) -> None:
    result = run("tokens", "add", "--name", "Intranettet", "--role", "admin", *site_flags(site))
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert TOKEN_RE.match(secret), secret  # 32 random bytes
    assert result.stdout == secret + "\n"
    assert "token 1 'Intranettet': admin; the token (shown once):" in result.stderr
    db = store.connect(site.settings.database)
    try:
        stored = db.execute("SELECT token_hash FROM api_tokens").fetchone()["token_hash"]
        assert stored == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in str([tuple(row) for row in db.execute("SELECT * FROM api_tokens")])
        token = tokens.authenticate(db, secret)
        assert token is not None and token.role == "admin" and token.areas == frozenset()
    finally:
        db.close()


def test_tokens_add_an_editor_list_and_revoke(site: Site) -> None:
    site.recipe("jyderup", 'name = "Jyderup"\n')
    result = run(
        "tokens", "add", "--name", "Foreningen", "--area", "morkov", "--area", "jyderup",
        *site_flags(site),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "token 1 'Foreningen': editor in jyderup, morkov" in result.stderr
    run("tokens", "add", "--name", "Kommunen", "--role", "admin", *site_flags(site))
    listing = run("tokens", "list", *site_flags(site))
    assert listing.stdout == (
        "1\tForeningen\teditor\tjyderup,morkov\tnever\n2\tKommunen\tadmin\t-\tnever\n"
    )
    assert "api_" not in listing.stdout
    revoked = run("tokens", "revoke", "1", *site_flags(site))
    assert revoked.returncode == 0 and "token 1 revoked" in revoked.stderr
    assert run("tokens", "list", *site_flags(site)).stdout.startswith("2\tKommunen")
    again = run("tokens", "revoke", "1", *site_flags(site))
    assert again.returncode == 1 and "no active token 1" in again.stderr
    missing = run("tokens", "revoke", "9", *site_flags(site))
    assert missing.returncode == 1 and "no active token 9" in missing.stderr


def test_tokens_add_refuses_bad_input(site: Site) -> None:
    cases = [
        (["--name", "x"], "give --role admin"),
        (["--name", "x", "--role", "editor"], "an editor needs at least one --area"),
        (["--name", "x", "--area", "morkv"], "unknown area 'morkv'"),
        (["--name", "x", "--role", "admin", "--area", "morkov"], "give no --area"),
        (["--name", "  ", "--role", "admin"], "--name must not be empty"),
        (["--name", "x" * 101, "--role", "admin"], "at most 100 characters"),
        (["--name", "x", "--role", "chef"], "invalid choice: 'chef'"),
        (["--role", "admin"], "the following arguments are required: --name"),
    ]
    for flags, message in cases:
        result = run("tokens", "add", *flags, *site_flags(site))
        assert result.returncode == 2 and message in result.stderr, (flags, result.stderr)
        assert result.stdout == ""
    assert run("tokens", "list", *site_flags(site)).stdout == ""


@pytest.fixture
def db(site: Site) -> Iterator[sqlite3.Connection]:
    connection = store.connect(site.settings.database)
    yield connection
    connection.close()


def test_last_used_is_written_at_most_once_a_minute(db: sqlite3.Connection) -> None:
    token, secret = tokens.add(db, "Intranettet", "editor", ["morkov"])
    assert token.last_used is None
    assert tokens.authenticate(db, secret, now=1000.0) is not None
    assert tokens.authenticate(db, secret, now=1030.0) is not None
    assert tokens.all_tokens(db)[0].last_used == 1000.0
    tokens.authenticate(db, secret, now=1060.0)
    assert tokens.all_tokens(db)[0].last_used == 1060.0


def test_unknown_revoked_and_other_kinds_of_token_are_refused(
    db: sqlite3.Connection, site: Site
) -> None:
    token, secret = tokens.add(db, "Intranettet", "admin")
    assert tokens.authenticate(db, secret + "x") is None
    assert tokens.authenticate(db, "") is None
    assert tokens.authenticate(db, site.screen()) is None  # a screen's token is no API token
    assert tokens.revoke(db, token.id)
    assert not tokens.revoke(db, token.id)
    assert tokens.authenticate(db, secret) is None
    gone = tokens.get(db, token.id)
    assert gone is not None and gone.revoked_at is not None
    assert tokens.all_tokens(db) == [] and tokens.all_tokens(db, revoked=True) == [gone]
    assert tokens.get(db, 99) is None


def test_a_tokens_principal_acts_like_a_user_of_its_role(db: sqlite3.Connection) -> None:
    editor = tokens.add(db, "Foreningen", "editor", ["morkov"])[0]
    principal = Principal.of_token(editor)
    assert principal.kind is Kind.TOKEN and principal.token_id == editor.id
    assert can(principal, Action.EDIT_SLIDES, "morkov")
    assert not can(principal, Action.EDIT_SLIDES, "jyderup")
    assert not principal.is_admin and not principal.logged_in
    admin = Principal.of_token(tokens.add(db, "Kommunen", "admin")[0])
    assert admin.is_admin and can(admin, Action.MANAGE_SCREENS)


def test_two_tokens_are_never_the_same(db: sqlite3.Connection) -> None:
    secrets = {tokens.add(db, "x", "admin")[1] for _ in range(20)}
    assert len(secrets) == 20
