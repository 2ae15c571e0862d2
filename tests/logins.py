"""Helpers for tests of the web UI: users in the site's database, and logging in the way a
browser does (GET the form for the session and its CSRF token, then POST it)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

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


#: The principals of a route matrix, in the order of a row's expected statuses.
WHO = ("anonymous", "editor here", "editor elsewhere", "admin", "screen")
EMAILS = {
    "editor here": "here@holbaek.dk",
    "editor elsewhere": "elsewhere@holbaek.dk",
    "admin": "admin@holbaek.dk",
}
JYDERUP = 'name = "Jyderup"\nsources = ["jyderup"]\n'

#: One row: method, path, then the status each of WHO gets; a POST sends the session's CSRF
#: token and the row's optional form fields (a dict as a seventh element).
MatrixRow = tuple[object, ...]


def matrix_people(site: Any) -> str:
    """The users of a route matrix (editors of morkov and of jyderup, an admin) and the
    jyderup area; returns a screen token of morkov."""
    site.recipe("jyderup", JYDERUP)
    add_user(site.settings, EMAILS["editor here"], "editor", ("morkov",))
    add_user(site.settings, EMAILS["editor elsewhere"], "editor", ("jyderup",))
    add_user(site.settings, EMAILS["admin"], "admin")
    return str(site.screen())


async def check_route_matrix(
    url: str, screen_token: str, rows: list[MatrixRow]
) -> dict[tuple[str, str, str], httpx.Response]:
    """Ask each route as each principal and check the status; returns the answers by
    (method, path, who) for checks of their content."""
    answers: dict[tuple[str, str, str], httpx.Response] = {}
    for row in rows:
        method, path, *rest = row
        expected, fields = rest[: len(WHO)], (rest[len(WHO)] if len(rest) > len(WHO) else {})
        assert isinstance(method, str) and isinstance(path, str) and isinstance(fields, dict)
        for who, status in zip(WHO, expected, strict=True):
            headers = {"Authorization": f"Bearer {screen_token}"} if who == "screen" else {}
            async with httpx.AsyncClient(base_url=url, headers=headers) as http:
                if who in EMAILS:
                    assert (await log_in(http, EMAILS[who])).status_code == 303
                    token = csrf_of((await http.get("/account/password")).text)
                else:
                    token = csrf_of((await http.get("/login")).text)
                response = await http.request(
                    method, path, data={"csrf_token": token, **fields} if method == "POST" else None
                )
                assert response.status_code == status, (method, path, who, response.text[:2000])
                answers[(method, path, who)] = response
    return answers
