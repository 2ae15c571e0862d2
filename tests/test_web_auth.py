"""Logging in to the web UI, against a real server on loopback: sessions, CSRF, the login
limit, changing passwords, redirects, and which principal may open which page."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import httpx
import pytest

from signage_server import store, users
from signage_server.web import secret
from signage_server.web.auth import safe_next
from signage_server.web.ratelimit import LoginLimiter

from .logins import (
    PASSWORD,
    MatrixRow,
    add_user,
    check_route_matrix,
    csrf_of,
    log_in,
    matrix_people,
)
from .support import RunningServer, Site

JYDERUP = 'name = "Jyderup"\nsources = ["jyderup"]\n'


def client(server: RunningServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url)


def password_works(site: Site, email: str, password: str) -> bool:
    db = store.connect(site.settings.database)
    try:
        return users.authenticate(db, email, password) is not None
    finally:
        db.close()


async def test_log_in_see_the_overview_and_log_out(site: Site, server: RunningServer) -> None:
    add_user(site.settings)
    async with client(server) as http:
        first = await http.get("/")
        assert first.status_code == 303 and first.headers["location"] == "/login?next=%2F"
        form = await http.get("/login")
        assert form.status_code == 200 and "Log ind" in form.text
        assert 'autocomplete="current-password"' in form.text
        assert "default-src 'self'" in form.headers["content-security-policy"]
        assert "<script" not in form.text and "style=" not in form.text
        cookie = form.headers["set-cookie"]
        assert cookie.startswith("lokalskaerm_session=")
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=lax", "path=/"} <= flags and "secure" not in flags
        response = await http.post(
            "/login",
            data={
                "email": "ADMIN@holbaek.dk",
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
            },
        )
        assert response.status_code == 303 and response.headers["location"] == "/"
        overview = await http.get("/")
        assert overview.status_code == 200 and "Mørkøv" in overview.text
        assert overview.headers["cache-control"] == "no-store"
        logout = await http.post("/logout", data={"csrf_token": csrf_of(overview.text)})
        assert logout.status_code == 303 and logout.headers["location"] == "/login"
        assert (await http.get("/")).status_code == 303


async def test_a_wrong_password_is_refused_in_danish_or_english(
    site: Site, server: RunningServer
) -> None:
    add_user(site.settings)
    async with client(server) as http:
        for email in ("admin@holbaek.dk", "ukendt@holbaek.dk"):
            wrong = await log_in(http, email, "forkert kodeord")
            assert wrong.status_code == 400
            assert "Forkert e-mailadresse eller adgangskode." in wrong.text
            assert 'aria-describedby="login-error"' in wrong.text
            assert f'value="{email}"' in wrong.text
        assert (await http.get("/")).status_code == 303
        english = await http.get("/login?lang=en")
        assert english.cookies.get("lang") == "en" and 'lang="en"' in english.text
        wrong = await log_in(http, "admin@holbaek.dk", "forkert kodeord")
        assert "Wrong e-mail address or password." in wrong.text and "Dansk" in wrong.text


async def test_failed_logins_make_the_next_wait(site: Site, server: RunningServer) -> None:
    add_user(site.settings)
    now = [1000.0]
    server.app_state.login_limiter.clock = lambda: now[0]
    async with client(server) as http:
        for _ in range(5):
            assert (await log_in(http, password="forkert kodeord")).status_code == 400
        blocked = await log_in(http)  # the right password, but too soon
        assert blocked.status_code == 429 and blocked.headers["retry-after"] == "30"
        assert "For mange forkerte forsøg. Prøv igen om 1 minut." in blocked.text
        assert (await http.get("/")).status_code == 303
        now[0] += 31
        assert (await log_in(http, password="forkert kodeord")).status_code == 400
        longer = await log_in(http)
        assert longer.status_code == 429 and longer.headers["retry-after"] == "60"
        now[0] += 61
        assert (await log_in(http)).status_code == 303
        assert (await http.get("/")).status_code == 200


def test_the_limiter_counts_per_address_and_per_client() -> None:
    now = [0.0]
    limiter = LoginLimiter(clock=lambda: now[0], free_per_email=5, free_per_client=20)
    for _ in range(5):
        assert limiter.wait("a@x.dk", "10.0.0.1") == 0
        limiter.failed("a@x.dk", "10.0.0.1")
    assert limiter.wait("a@x.dk", "10.0.0.2") == 30  # the address, from anywhere
    assert limiter.wait("b@x.dk", "10.0.0.1") == 0  # the client may try other addresses
    for n in range(15):
        limiter.failed(f"u{n}@x.dk", "10.0.0.1")
    assert limiter.wait("c@x.dk", "10.0.0.1") == 30  # until it has failed 20 times
    assert limiter.wait("c@x.dk", "10.0.0.3") == 0
    limiter.succeeded("a@x.dk")
    assert limiter.wait("a@x.dk", "10.0.0.2") == 0
    now[0] += 2 * 60 * 60  # forgotten after an hour
    assert limiter.wait("c@x.dk", "10.0.0.1") == 0
    for _ in range(30):
        limiter.failed("d@x.dk", "10.0.0.4")
    assert limiter.wait("d@x.dk", "10.0.0.5") == 15 * 60  # capped


async def test_a_post_without_the_sessions_csrf_token_is_refused(
    site: Site, server: RunningServer
) -> None:
    add_user(site.settings)
    async with client(server) as http, client(server) as other:
        form = await http.get("/login")
        data = {"email": "admin@holbaek.dk", "password": PASSWORD}
        missing = await http.post("/login", data=data)
        assert missing.status_code == 403 and "Formularen var forældet" in missing.text
        forged = await http.post("/login", data={**data, "csrf_token": "x" * 43})
        assert forged.status_code == 403
        # Thousands of fields: refused like a missing token, not a server error.
        flood = "&".join(f"f{n}=1" for n in range(500)) + "&csrf_token=" + csrf_of(form.text)
        crowded = await http.post(
            "/login",
            content=flood,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert crowded.status_code == 403
        theirs = csrf_of((await other.get("/login")).text)  # another session's token
        assert (await http.post("/login", data={**data, "csrf_token": theirs})).status_code == 403
        assert (await http.get("/")).status_code == 303  # nobody was logged in
        token = csrf_of(form.text)
        assert (await log_in(http)).status_code == 303
        # The login made a new token; the old one is worthless now.
        page = await http.get("/account/password")
        new = {"current": PASSWORD, "new": "et helt nyt kodeord", "repeat": "et helt nyt kodeord"}
        stale = await http.post("/account/password", data={**new, "csrf_token": token})
        assert stale.status_code == 403
        assert (await http.post("/account/password", data=new)).status_code == 403
        assert (await http.post("/logout")).status_code == 403
        assert (await http.delete("/account/password")).status_code == 403
        assert password_works(site, "admin@holbaek.dk", PASSWORD)
        assert (await http.get("/")).status_code == 200  # still logged in
        # The header does as well as the field.
        header = await http.post(
            "/account/password", data=new, headers={"X-CSRF-Token": csrf_of(page.text)}
        )
        assert header.status_code == 200
        assert password_works(site, "admin@holbaek.dk", "et helt nyt kodeord")


@pytest.mark.parametrize(
    "target",
    [
        "https://ond.example/",
        "//ond.example/",
        "/\\ond.example/",
        "\\\\ond.example",
        "javascript:alert(1)",
        "http:/ond.example",
        "/\tond",
        "",
    ],
)
def test_safe_next_refuses_anything_but_a_local_path(target: str) -> None:
    assert safe_next(target) == "/"


def test_safe_next_keeps_a_local_path() -> None:
    assert safe_next("/account/password?lang=en") == "/account/password?lang=en"


async def test_next_leads_back_but_never_away(site: Site, server: RunningServer) -> None:
    add_user(site.settings)
    async with client(server) as http:
        to_password = await http.get("/account/password")
        assert to_password.headers["location"] == "/login?next=%2Faccount%2Fpassword"
        form = await http.get(to_password.headers["location"])
        assert 'name="next" value="/account/password"' in form.text
        data = {"email": "admin@holbaek.dk", "password": PASSWORD}
        away = await http.post(
            "/login", data={**data, "next": "//ond.example/", "csrf_token": csrf_of(form.text)}
        )
        assert away.status_code == 303 and away.headers["location"] == "/"
        back = await http.get("/login?next=/account/password")  # logged in: straight there
        assert back.status_code == 303 and back.headers["location"] == "/account/password"
        assert (await http.get("/login?next=https://ond.example")).headers["location"] == "/"


async def test_changing_the_password_ends_the_other_sessions(
    site: Site, server: RunningServer
) -> None:
    add_user(site.settings)
    async with client(server) as http, client(server) as phone:
        assert (await log_in(http)).status_code == 303
        assert (await log_in(phone)).status_code == 303
        page = await http.get("/account/password")
        assert page.status_code == 200
        assert 'aria-describedby="new-hint"' in page.text and "Mindst 10 tegn." in page.text
        token = csrf_of(page.text)

        async def change(current: str, new: str, repeat: str) -> httpx.Response:
            data = {"current": current, "new": new, "repeat": repeat, "csrf_token": token}
            return await http.post("/account/password", data=data)

        wrong = await change("forkert kodeord", "et helt nyt kodeord", "et helt nyt kodeord")
        assert wrong.status_code == 400 and "Det er ikke din nuværende adgangskode." in wrong.text
        assert 'aria-describedby="current-error"' in wrong.text
        short = await change(PASSWORD, "kort", "kort")
        assert short.status_code == 400 and "mindst 10 tegn" in short.text
        assert 'aria-describedby="new-hint new-error"' in short.text
        differ = await change(PASSWORD, "et helt nyt kodeord", "et andet nyt kodeord")
        assert differ.status_code == 400 and "ikke ens" in differ.text
        assert password_works(site, "admin@holbaek.dk", PASSWORD)
        done = await change(PASSWORD, "et helt nyt kodeord", "et helt nyt kodeord")
        assert done.status_code == 200 and "Din adgangskode er skiftet." in done.text
        assert (await http.get("/")).status_code == 200  # this session goes on
        assert (await phone.get("/")).status_code == 303  # the other one ended
        assert (await log_in(phone)).status_code == 400
        assert (await log_in(phone, password="et helt nyt kodeord")).status_code == 303


async def test_the_cookie_is_secure_when_set(site: Site) -> None:
    server = RunningServer(dataclasses.replace(site.settings, secure_cookies=True))
    await server.start()
    try:
        async with client(server) as http:
            response = await http.get("/login?lang=en")
    finally:
        await server.stop()
    cookies = response.headers.get_list("set-cookie")
    assert all("secure" in cookie.lower() for cookie in cookies) and len(cookies) == 2


def test_the_session_secret_is_made_once_and_private(tmp_path: Path) -> None:
    first = secret.load_or_create(tmp_path / "data")
    path = tmp_path / "data" / secret.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) >= 32
    assert secret.load_or_create(tmp_path / "data") == first
    assert [p.name for p in path.parent.iterdir()] == [secret.SECRET_FILE]
    path.write_text("kort")
    with pytest.raises(RuntimeError, match="too short"):
        secret.load_or_create(tmp_path / "data")


async def test_the_stylesheet_is_served(server: RunningServer) -> None:
    async with client(server) as http:
        css = await http.get("/static/web.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text


# Each route × principal: (method, path, anonymous, editor here, editor elsewhere, admin, screen)
ROUTES: list[MatrixRow] = [
    ("GET", "/", 303, 200, 200, 200, 303),
    ("GET", "/login", 200, 303, 303, 303, 200),
    ("GET", "/account/password", 303, 200, 200, 200, 303),
    ("POST", "/account/password", 303, 400, 400, 400, 303),
    ("POST", "/logout", 303, 303, 303, 303, 303),
]


async def test_route_matrix(site: Site, server: RunningServer) -> None:
    answers = await check_route_matrix(server.url, matrix_people(site), ROUTES)
    for who, names in {
        "editor here": {"Mørkøv"},
        "editor elsewhere": {"Jyderup"},
        "admin": {"Mørkøv", "Jyderup"},
    }.items():
        page = answers[("GET", "/", who)].text
        assert {name for name in ("Mørkøv", "Jyderup") if name in page} == names
