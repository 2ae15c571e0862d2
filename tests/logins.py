"""Helpers for tests of the web UI: users in the site's database, and logging in the way a
browser does (GET the form for the session and its CSRF token, then POST it)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import httpx

from signage_server import store, users
from signage_server.settings import Settings

PASSWORD = "korrekt hest batteri"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_user(
    settings: Settings,
    email: str = "admin@holbaek.dk",
    role: str = "admin",
    areas: tuple[str, ...] = (),
    password: str = PASSWORD,
) -> users.User:
    db = store.connect(settings.database)
    try:
        return users.add(db, email, password, role, areas)
    finally:
        db.close()


def csrf_of(page: str) -> str:
    match = CSRF_RE.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def log_in(
    client: httpx.AsyncClient, email: str = "admin@holbaek.dk", password: str = PASSWORD
) -> httpx.Response:
    """Log ``client`` (with a base_url) in; returns the answer to the POST."""
    form = await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
    )


@contextlib.asynccontextmanager
async def admin_client(settings: Settings, url: str) -> AsyncIterator[httpx.AsyncClient]:
    """``async with admin_client(...) as http``: a client logged in as a new admin."""
    add_user(settings)
    async with httpx.AsyncClient(base_url=url) as client:
        response = await log_in(client)
        assert response.status_code == 303, response.text
        yield client
