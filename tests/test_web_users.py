"""The admins' users page against a real server on loopback: adding a user with a password
shown once, who then logs in and sees only their areas; changing role and areas; a new
password and disabling end the user's sessions; an admin keeps their own rights and the last
admin stays; bad input is refused in Danish with nothing saved; who may do any of it. And the
functions of signage_server/users.py the page stands on, against a real SQLite file."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from signage_server import store, users

from .logins import (
    EMAILS,
    JYDERUP,
    PASSWORD,
    add_user,
    admin_client,
    check_route_matrix,
    csrf_of,
    log_in,
    matrix_people,
)
from .support import RunningServer, Site

SHOWN_RE = re.compile(r'<code id="new-password" translate="no">([^<]+)</code>')
MADE_PASSWORD_RE = re.compile(r"^[a-km-np-z2-9]{4}(-[a-km-np-z2-9]{4}){3}$")


def shown_password(page: httpx.Response) -> str:
    """The password a page shows once; checks that it is there once and looks made."""
    assert page.status_code == 200, page.text[:2000]
    found = SHOWN_RE.findall(page.text)
    assert len(found) == 1, "expected the password once on the page"
    assert MADE_PASSWORD_RE.match(found[0]), found[0]
    assert page.text.count(found[0]) == 1
    assert page.headers["cache-control"] == "no-store"
    return str(found[0])


def user_id(server: RunningServer, email: str) -> int:
    db: sqlite3.Connection = server.app_state.db
    row = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    assert row is not None, email
    return int(row["id"])


def account_of(server: RunningServer, email: str) -> users.Account:
    found = users.account(server.app_state.db, user_id(server, email))
    assert found is not None
    return found


async def post_form(
    http: httpx.AsyncClient, page: str, action: str, data: Mapping[str, object] | None = None
) -> httpx.Response:
    """POST ``data`` to ``action`` with the CSRF token of ``page``, as its form does."""
    token = csrf_of((await http.get(page)).text)
    return await http.post(action, data={"csrf_token": token, **(data or {})})


async def add_editor(
    http: httpx.AsyncClient, email: str = "mette@morkov.dk", areas: tuple[str, ...] = ("morkov",)
) -> str:
    """Add an editor on the users page; returns the password it shows."""
    page = await post_form(
        http, "/users", "/users", {"email": email, "role": "editor", "area": list(areas)}
    )
    return shown_password(page)


def logged_out(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


# --- through the web -------------------------------------------------------------------


async def test_an_added_editor_logs_in_with_the_shown_password_and_sees_only_their_areas(
    site: Site, server: RunningServer
) -> None:
    site.recipe("jyderup", JYDERUP)
    async with admin_client(site.settings, server.url) as http:
        form = await http.get("/users")
        assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
        assert 'href="/users"' in form.text  # the menu's link, for an admin
        assert 'name="area" value="jyderup"' in form.text and "Jyderup" in form.text
        assert 'name="area" value="morkov"' in form.text and "Mørkøv" in form.text
        added = await post_form(
            http,
            "/users",
            "/users",
            {"email": " Mette@Morkov.DK ", "role": "editor", "area": "morkov"},
        )
        password = shown_password(added)
        assert "Brugeren er tilføjet" in added.text
        assert "mette@morkov.dk kan logge ind nu." in added.text
        assert f"{server.url}/login" in added.text and "»Skift adgangskode«" in added.text
        listing = (await http.get("/users")).text
        row = listing[listing.index(">mette@morkov.dk") :]
        row = row[: row.index("</tr>")]
        assert "Redaktør" in row and "Mørkøv" in row and "Jyderup" not in row
        assert "Aktiv" in row and "<time datetime=" in row
        assert password not in listing  # shown once, never again
    mette = account_of(server, "mette@morkov.dk")
    assert mette.active and mette.user.role == "editor" and mette.user.areas == {"morkov"}
    async with httpx.AsyncClient(base_url=server.url) as editor:
        assert (await log_in(editor, "mette@morkov.dk", password)).status_code == 303
        overview = await editor.get("/")
        assert overview.status_code == 200
        assert "/areas/morkov/slides" in overview.text
        assert "/areas/jyderup/slides" not in overview.text
        assert 'href="/users"' not in overview.text  # no menu link for an editor
        assert (await editor.get("/areas/morkov/slides")).status_code == 200
        assert (await editor.get("/areas/jyderup/slides")).status_code == 403
        assert (await editor.get("/users")).status_code == 403


async def test_an_admin_added_with_areas_ticked_gets_every_area(
    site: Site, server: RunningServer
) -> None:
    async with admin_client(site.settings, server.url) as http:
        added = await post_form(
            http, "/users", "/users", {"email": "it@holbaek.dk", "role": "admin", "area": "morkov"}
        )
        shown_password(added)
    it = account_of(server, "it@holbaek.dk").user
    assert it.role == "admin" and it.areas == frozenset()


async def test_changing_role_and_areas_holds_from_the_next_click(
    site: Site, server: RunningServer
) -> None:
    site.recipe("jyderup", JYDERUP)
    async with admin_client(site.settings, server.url) as http:
        password = await add_editor(http)
        mette = user_id(server, "mette@morkov.dk")
        async with httpx.AsyncClient(base_url=server.url) as editor:
            assert (await log_in(editor, "mette@morkov.dk", password)).status_code == 303
            page = f"/users/{mette}/edit"
            edit = await http.get(page)
            assert edit.status_code == 200 and "mette@morkov.dk" in edit.text
            assert 'value="morkov" checked' in edit.text
            assert 'value="jyderup">' in edit.text
            saved = await post_form(http, page, page, {"role": "editor", "area": "jyderup"})
            assert saved.status_code == 303 and saved.headers["location"] == f"{page}?done=saved"
            assert "Gemt." in (await http.get(saved.headers["location"])).text
            assert (await editor.get("/areas/jyderup/slides")).status_code == 200
            assert (await editor.get("/areas/morkov/slides")).status_code == 403
            promoted = await post_form(http, page, page, {"role": "admin"})
            assert promoted.status_code == 303
            assert (await editor.get("/users")).status_code == 200
            assert account_of(server, "mette@morkov.dk").user.areas == frozenset()
            both = await post_form(
                http, page, page, {"role": "editor", "area": ["morkov", "jyderup"]}
            )
            assert both.status_code == 303
            assert (await editor.get("/users")).status_code == 403
            assert account_of(server, "mette@morkov.dk").user.areas == {"morkov", "jyderup"}
            assert (await editor.get("/")).status_code == 200  # the session went on throughout


async def test_an_area_whose_recipe_is_gone_stays_until_unticked(
    site: Site, server: RunningServer
) -> None:
    add_user(site.settings, "gammel@holbaek.dk", "editor", ("morkov", "nedlagt"))
    async with admin_client(site.settings, server.url) as http:
        page = f"/users/{user_id(server, 'gammel@holbaek.dk')}/edit"
        edit = await http.get(page)
        assert 'value="nedlagt" checked' in edit.text and "ingen opskrift" in edit.text
        kept = await post_form(http, page, page, {"role": "editor", "area": ["morkov", "nedlagt"]})
        assert kept.status_code == 303
        assert account_of(server, "gammel@holbaek.dk").user.areas == {"morkov", "nedlagt"}


async def test_a_new_password_ends_the_users_sessions(site: Site, server: RunningServer) -> None:
    async with admin_client(site.settings, server.url) as http:
        old = await add_editor(http)
        mette = user_id(server, "mette@morkov.dk")
        async with httpx.AsyncClient(base_url=server.url) as editor:
            assert (await log_in(editor, "mette@morkov.dk", old)).status_code == 303
            assert (await editor.get("/")).status_code == 200
            edit = await http.get(f"/users/{mette}/edit")
            assert f'action="/users/{mette}/password"' in edit.text and "<details" in edit.text
            reset = await post_form(http, f"/users/{mette}/edit", f"/users/{mette}/password")
            new = shown_password(reset)
            assert new != old and "virker ikke længere" in reset.text
            assert logged_out(await editor.get("/"))
            assert (await log_in(editor, "mette@morkov.dk", old)).status_code == 400
            assert (await log_in(editor, "mette@morkov.dk", new)).status_code == 303
            assert (await editor.get("/")).status_code == 200
        assert (await http.get("/users")).status_code == 200  # the admin's session goes on


async def test_disabling_ends_the_sessions_and_blocks_the_login_until_enabled(
    site: Site, server: RunningServer
) -> None:
    async with admin_client(site.settings, server.url) as http:
        old = await add_editor(http)
        mette = user_id(server, "mette@morkov.dk")
        page = f"/users/{mette}/edit"
        async with httpx.AsyncClient(base_url=server.url) as editor:
            assert (await log_in(editor, "mette@morkov.dk", old)).status_code == 303
            disabled = await post_form(http, page, f"/users/{mette}/disable")
            assert disabled.status_code == 303
            assert disabled.headers["location"] == f"{page}?done=disabled"
            shown = await http.get(disabled.headers["location"])
            assert "Brugeren er deaktiveret" in shown.text and "Deaktiveret" in shown.text
            assert f'action="/users/{mette}/enable"' in shown.text
            assert f'action="/users/{mette}/password"' not in shown.text
            assert logged_out(await editor.get("/"))
            assert (await log_in(editor, "mette@morkov.dk", old)).status_code == 400
            listing = (await http.get("/users")).text
            assert 'class="disabled"' in listing and "mette@morkov.dk" in listing
            # Asked again: the same answer, and the moment it was disabled stays.
            when = account_of(server, "mette@morkov.dk").disabled_at
            again = await post_form(http, page, f"/users/{mette}/disable")
            assert again.status_code == 303
            assert account_of(server, "mette@morkov.dk").disabled_at == when
            # No new password for a disabled user: enable them instead.
            refused = await post_form(http, page, f"/users/{mette}/password")
            assert refused.status_code == 400 and "Aktivér brugeren" in refused.text
            # Enabled with a new password; the old password and the old session stay dead.
            enabled = await post_form(http, page, f"/users/{mette}/enable")
            new = shown_password(enabled)
            assert "kan logge ind igen" in enabled.text
            assert logged_out(await editor.get("/"))
            assert (await log_in(editor, "mette@morkov.dk", old)).status_code == 400
            assert (await log_in(editor, "mette@morkov.dk", new)).status_code == 303
            twice = await post_form(http, page, f"/users/{mette}/enable")
            assert twice.status_code == 400 and "allerede aktiv" in twice.text
        assert account_of(server, "mette@morkov.dk").active


async def test_an_admin_cannot_demote_or_disable_themselves(
    site: Site, server: RunningServer
) -> None:
    async with admin_client(site.settings, server.url) as http:
        me = user_id(server, "admin@holbaek.dk")
        page = f"/users/{me}/edit"
        own = await http.get(page)
        assert "Det er dig." in own.text
        for action in ("edit", "password", "disable"):
            assert f'action="/users/{me}/{action}"' not in own.text  # no such buttons
        demote = await post_form(http, page, page, {"role": "editor", "area": "morkov"})
        assert demote.status_code == 400
        assert "Du kan ikke fjerne dine egne administratorrettigheder." in demote.text
        disable = await post_form(http, page, f"/users/{me}/disable")
        assert disable.status_code == 400 and "Du kan ikke deaktivere dig selv." in disable.text
        reset = await post_form(http, page, f"/users/{me}/password")
        assert reset.status_code == 400 and "»Skift adgangskode«" in reset.text
        same = await post_form(http, page, page, {"role": "admin"})
        assert same.status_code == 303  # nothing to refuse: an admin stays an admin
        assert (await http.get("/users")).status_code == 200
    admin = account_of(server, "admin@holbaek.dk")
    assert admin.active and admin.user.role == "admin"
    assert users.authenticate(server.app_state.db, "admin@holbaek.dk", PASSWORD) is not None


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    site: Site, server: RunningServer
) -> None:
    add_user(site.settings, "a@holbaek.dk", "admin")
    add_user(site.settings, "b@holbaek.dk", "admin")
    a, b = user_id(server, "a@holbaek.dk"), user_id(server, "b@holbaek.dk")
    async with (
        httpx.AsyncClient(base_url=server.url) as first,
        httpx.AsyncClient(base_url=server.url) as second,
    ):
        assert (await log_in(first, "a@holbaek.dk")).status_code == 303
        assert (await log_in(second, "b@holbaek.dk")).status_code == 303
        first_token = csrf_of((await first.get(f"/users/{b}/edit")).text)
        second_token = csrf_of((await second.get(f"/users/{a}/edit")).text)
        answers = await asyncio.gather(
            first.post(
                f"/users/{b}/edit",
                data={"csrf_token": first_token, "role": "editor", "area": "morkov"},
            ),
            second.post(
                f"/users/{a}/edit",
                data={"csrf_token": second_token, "role": "editor", "area": "morkov"},
            ),
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses in ([303, 400], [303, 403]), statuses
    refused = next(answer for answer in answers if answer.status_code != 303)
    if refused.status_code == 400:
        assert "mindst én aktiv administrator" in refused.text
    admins = [
        account.user.email
        for account in users.accounts(server.app_state.db)
        if account.user.role == "admin" and account.active
    ]
    assert len(admins) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "ikke en adresse"}, "email", "Det er ikke en e-mailadresse."),
        ({"email": "x" * 10_000 + "@holbaek.dk"}, "email", "Det er ikke en e-mailadresse."),
        (
            {"email": "<script>alert(1)</script>@holbaek.dk"},
            "email",
            "Det er ikke en e-mailadresse.",
        ),
        ({"email": "ADMIN@Holbaek.dk"}, "email", "Der er allerede en bruger med denne"),
        ({"email": "gone@holbaek.dk"}, "email", "Der er allerede en bruger med denne"),
        ({"area": []}, "areas", "En redaktør skal have mindst ét område."),
        ({"area": ["morkov", "<b>nord</b>"]}, "areas", "Der er intet område »&lt;b&gt;nord"),
        ({"area": "n" * 10_000}, "areas", "Der er intet område »" + "n" * 60 + "«"),
        ({"role": "chef"}, "role", "Vælg en rolle: redaktør eller administrator."),
        ({"role": "<i>" * 3_000}, "role", "Vælg en rolle"),
    ],
)
async def test_bad_input_is_refused_in_danish_and_nothing_is_added(
    site: Site, server: RunningServer, fields: dict[str, object], field: str, message: str
) -> None:
    add_user(site.settings, "gone@holbaek.dk", "editor", ("morkov",))
    users.disable(server.app_state.db, user_id(server, "gone@holbaek.dk"))
    async with admin_client(site.settings, server.url) as http:
        data = {"email": "ny@holbaek.dk", "role": "editor", "area": "morkov", **fields}
        answer = await post_form(http, "/users", "/users", data)
    assert answer.status_code == 400
    assert "Ingen blev tilføjet. Se nedenfor." in answer.text
    assert f'id="{field}-error"' in answer.text and message in answer.text
    assert "<script>alert" not in answer.text and "<b>nord" not in answer.text
    assert "<i><i>" not in answer.text
    assert "x" * 300 not in answer.text and "n" * 100 not in answer.text  # not echoed whole
    assert not SHOWN_RE.search(answer.text)
    assert len(users.accounts(server.app_state.db)) == 2  # the admin and the disabled one


async def test_a_refused_change_saves_nothing(site: Site, server: RunningServer) -> None:
    site.recipe("jyderup", JYDERUP)
    add_user(site.settings, "mette@morkov.dk", "editor", ("morkov",))
    async with admin_client(site.settings, server.url) as http:
        page = f"/users/{user_id(server, 'mette@morkov.dk')}/edit"
        for fields, message in (
            ({"role": "editor"}, "En redaktør skal have mindst ét område."),
            ({"role": "editor", "area": ["jyderup", "ukendt"]}, "Der er intet område »ukendt«"),
            ({"role": "chef", "area": "jyderup"}, "Vælg en rolle"),
        ):
            answer = await post_form(http, page, page, fields)
            assert answer.status_code == 400 and message in answer.text, fields
            assert "Intet blev gemt. Se nedenfor." in answer.text
        missing = await post_form(http, page, "/users/9999/edit", {"role": "admin"})
        assert missing.status_code == 404 and "Findes ikke" in missing.text
        assert (await http.get("/users/9999/edit")).status_code == 404
    mette = account_of(server, "mette@morkov.dk").user
    assert mette.role == "editor" and mette.areas == {"morkov"}


async def test_posts_need_the_csrf_token_and_a_form_of_ours(
    site: Site, server: RunningServer
) -> None:
    add_user(site.settings, "mette@morkov.dk", "editor", ("morkov",))
    mette = user_id(server, "mette@morkov.dk")
    async with admin_client(site.settings, server.url) as http:
        data = {"email": "ny@holbaek.dk", "role": "editor", "area": "morkov"}
        assert (await http.post("/users", data=data)).status_code == 403
        forged = await http.post("/users", data={**data, "csrf_token": "x" * 43})
        assert forged.status_code == 403 and "Formularen var forældet" in forged.text
        for action in ("edit", "password", "disable"):
            answer = await http.post(f"/users/{mette}/{action}", data={"role": "admin"})
            assert answer.status_code == 403, action
        token = csrf_of((await http.get("/users")).text)
        crowded = await http.post(  # the token in the header: the form reaches the page
            "/users", data={**data, "area": ["morkov"] * 300}, headers={"X-CSRF-Token": token}
        )
        assert crowded.status_code == 400
    assert [account.user.email for account in users.accounts(server.app_state.db)] == [
        "admin@holbaek.dk",
        "mette@morkov.dk",
    ]
    assert account_of(server, "mette@morkov.dk").user.role == "editor"


async def test_the_page_in_english(site: Site, server: RunningServer) -> None:
    add_user(site.settings, "mette@morkov.dk", "editor", ("morkov",))
    async with admin_client(site.settings, server.url) as http:
        page = await http.get("/users?lang=en")
    assert "<h1>Users</h1>" in page.text and "Editor" in page.text
    assert "Add user" in page.text and "Administrator" in page.text


async def test_who_may_manage_users(site: Site, server: RunningServer) -> None:
    screen_token = matrix_people(site)
    add_user(site.settings, "offer@holbaek.dk", "editor", ("jyderup",))
    victim = user_id(server, "offer@holbaek.dk")
    new = {"email": "ny@holbaek.dk", "role": "editor", "area": "morkov"}
    answers = await check_route_matrix(
        server.url,
        screen_token,
        [
            ("GET", "/users", 303, 403, 403, 200, 303),
            ("POST", "/users", 303, 403, 403, 200, 303, new),
            ("GET", f"/users/{victim}/edit", 303, 403, 403, 200, 303),
            ("GET", "/users/9999/edit", 303, 403, 403, 404, 303),
            ("POST", f"/users/{victim}/edit", 303, 403, 403, 303, 303, {"role": "admin"}),
            ("POST", f"/users/{victim}/password", 303, 403, 403, 200, 303),
            ("POST", f"/users/{victim}/disable", 303, 403, 403, 303, 303),
            ("POST", f"/users/{victim}/enable", 303, 403, 403, 200, 303),
        ],
    )
    assert answers[("GET", "/users", "anonymous")].headers["location"].startswith("/login")
    listing = answers[("GET", "/users", "admin")].text
    for email in (*EMAILS.values(), "offer@holbaek.dk"):
        assert email in listing
    shown_password(answers[("POST", "/users", "admin")])
    # Only the admin's requests did anything: one user added, the victim an admin again.
    assert account_of(server, "ny@holbaek.dk").user.areas == {"morkov"}
    assert len(users.accounts(server.app_state.db)) == 5
    offer = account_of(server, "offer@holbaek.dk")
    assert offer.active and offer.user.role == "admin"


# --- signage_server/users.py -----------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = store.connect(tmp_path / "signage.db")
    yield connection
    connection.close()


def test_made_passwords_are_readable_long_and_different() -> None:
    made = {users.new_password() for _ in range(200)}
    assert len(made) == 200
    for password in made:
        assert MADE_PASSWORD_RE.match(password), password
        users.check_password(password)
    assert not set("".join(made)) & set("0O1lI")


def test_accounts_lists_the_disabled_too(db: sqlite3.Connection) -> None:
    admin = users.add(db, "a@holbaek.dk", PASSWORD, "admin")
    editor = users.add(db, "b@holbaek.dk", PASSWORD, "editor", ["morkov"])
    users.disable(db, editor.id, now=1234.0)
    assert users.accounts(db) == [
        users.Account(admin, None),
        users.Account(editor, 1234.0),
    ]
    assert users.account(db, editor.id) == users.Account(editor, 1234.0)
    assert users.account(db, 99) is None
    assert users.all_users(db) == [admin]
    assert users.email_taken(db, " B@Holbaek.DK") and not users.email_taken(db, "c@holbaek.dk")


def test_add_hashed_stores_the_hash_it_is_given(db: sqlite3.Connection) -> None:
    password_hash = users.hash_password(PASSWORD)
    user = users.add_hashed(db, "Ny@Holbaek.dk", password_hash, "editor", ["morkov"])
    assert user.email == "ny@holbaek.dk" and user.areas == {"morkov"}
    assert users.authenticate(db, "ny@holbaek.dk", PASSWORD) == user
    with pytest.raises(users.UserError, match="already a user"):
        users.add_hashed(db, "NY@holbaek.dk", password_hash, "admin")
    with pytest.raises(users.UserError, match="at least one --area"):
        users.add_hashed(db, "to@holbaek.dk", password_hash, "editor")
    assert len(users.accounts(db)) == 1


def test_set_role_and_areas_is_all_or_nothing(db: sqlite3.Connection) -> None:
    users.add(db, "a@holbaek.dk", PASSWORD, "admin")
    editor = users.add(db, "b@holbaek.dk", PASSWORD, "editor", ["morkov"])
    changed = users.set_role_and_areas(db, editor.id, "editor", ["jyderup", "tollose"])
    assert changed.user.areas == {"jyderup", "tollose"} and changed.user.stamp == editor.stamp
    for role, areas, message in (
        ("editor", [], "at least one --area"),
        ("admin", ["morkov"], "give no --area"),
        ("chef", [], "role: expected one of"),
    ):
        with pytest.raises(users.UserError, match=message):
            users.set_role_and_areas(db, editor.id, role, areas)
    assert users.get(db, editor.id) == changed.user
    with pytest.raises(users.UserError, match="no user 99"):
        users.set_role_and_areas(db, 99, "admin")


def test_the_last_active_admin_is_never_demoted_or_disabled(db: sqlite3.Connection) -> None:
    first = users.add(db, "a@holbaek.dk", PASSWORD, "admin")
    second = users.add(db, "b@holbaek.dk", PASSWORD, "admin")
    users.set_role_and_areas(db, second.id, "editor", ["morkov"])
    with pytest.raises(users.LastAdminError):
        users.set_role_and_areas(db, first.id, "editor", ["morkov"])
    with pytest.raises(users.LastAdminError):
        users.disable(db, first.id)
    users.set_role_and_areas(db, second.id, "admin")
    users.disable(db, second.id)  # two admins: one may go
    with pytest.raises(users.LastAdminError):
        users.disable(db, first.id)
    # A disabled admin is no admin to keep: it may be demoted, and the last one stays.
    users.set_role_and_areas(db, second.id, "editor", ["morkov"])
    assert users.get(db, first.id) == first
    assert users.LastAdminError.__mro__[1] is users.UserError


def test_enable_takes_a_new_password(db: sqlite3.Connection) -> None:
    users.add(db, "a@holbaek.dk", PASSWORD, "admin")
    editor = users.add(db, "b@holbaek.dk", PASSWORD, "editor", ["morkov"])
    with pytest.raises(users.UserError, match="no disabled user"):
        users.enable(db, editor.id, users.hash_password("et nyt kodeord"))
    users.disable(db, editor.id)
    assert users.authenticate(db, "b@holbaek.dk", PASSWORD) is None
    enabled = users.enable(db, editor.id, users.hash_password("et nyt kodeord"))
    assert enabled.stamp != editor.stamp  # a session from before stays ended
    assert users.authenticate(db, "b@holbaek.dk", PASSWORD) is None
    assert users.authenticate(db, "b@holbaek.dk", "et nyt kodeord") == enabled
    with pytest.raises(users.UserError, match="no disabled user 99"):
        users.enable(db, 99, users.hash_password("et nyt kodeord"))
