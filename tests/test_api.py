"""The JSON API under /api/v1 against a real server on loopback: each endpoint, the errors in
their one shape, who may do what (bearer tokens only: a screen's token or a login cookie is
no API token), idempotent uploads, and changes on the screens when the answer comes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from signage_server import arrangement, screens, store, tokens

from .logins import EMAILS, add_user, csrf_of, log_in
from .support import RunningServer, Site, eventually, jpeg, timeout
from .test_web_slides import pdf, snapshot_ids

API = "/api/v1"
SLIDES = f"{API}/areas/morkov/slides"
JYDERUP = 'name = "Jyderup"\nsources = ["jyderup"]\n'


def api_token(
    site: Site, role: str = "admin", areas: tuple[str, ...] = (), name: str = "Intranettet"
) -> str:
    db = store.connect(site.settings.database)
    try:
        return tokens.add(db, name, role, areas)[1]
    finally:
        db.close()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def assert_error(response: httpx.Response, status: int, field: str | None = None) -> str:
    """The answer is the fixed error shape with this status (and field); returns the
    message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(response.json()) == {"error"}
    assert error["status"] == status and isinstance(error["message"], str) and error["message"]
    assert error.get("field") == field, error
    assert set(error) <= {"status", "message", "field"}
    message: str = error["message"]
    return message


def slide_path(key: str, area: str = "morkov") -> str:
    return f"{API}/areas/{area}/slides/{key.replace('/', '%2F')}"


@pytest.fixture
async def admin(site: Site, server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=server.url, headers=bearer(api_token(site)), timeout=30
    ) as client:
        yield client


@pytest.fixture
async def editor(site: Site, server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    secret = api_token(site, "editor", ("morkov",), "Foreningen")
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(secret), timeout=30) as client:
        yield client


async def upload(
    client: httpx.AsyncClient,
    data: bytes,
    name: str = "plakat.jpg",
    area: str = "morkov",
    headers: dict[str, str] | None = None,
    **fields: str,
) -> httpx.Response:
    return await post_form(client, data, name, fields, headers, area)


async def post_form(
    client: httpx.AsyncClient,
    data: bytes,
    name: str,
    fields: dict[str, str],
    headers: dict[str, str] | None = None,
    area: str = "morkov",
) -> httpx.Response:
    return await client.post(
        f"{API}/areas/{area}/slides", data=fields, files={"file": (name, data)}, headers=headers
    )


# --- reading -----------------------------------------------------------------------------


async def test_areas_screens_slides_and_feeds(
    site: Site, server: RunningServer, admin: httpx.AsyncClient
) -> None:
    site.screen(name="Forsamlingshuset")
    areas = (await admin.get(f"{API}/areas")).json()
    published = server.app_state.hub.current("morkov").snapshot
    expected = {
        "id": "morkov",
        "name": "Mørkøv",
        "layout": "landscape",
        "timezone": "Europe/Copenhagen",
        "version": published.version,
        "items": 2,
        "screens_connected": 0,
    }
    assert areas == {"areas": [expected]}
    assert (await admin.get(f"{API}/areas/morkov")).json() == expected

    listed = (await admin.get(f"{API}/screens")).json()["screens"]
    assert [(s["id"], s["name"], s["area"], s["online"], s["revoked"]) for s in listed] == [
        (1, "Forsamlingshuset", "morkov", False, False)
    ]
    assert set(listed[0]) == {
        "id", "name", "area", "online", "connected_at", "disconnected_at", "last_seen",
        "item", "version", "software", "revoked", "revoked_at", "health", "health_at",
    }  # fmt: skip
    assert listed[0]["health"] is None and listed[0]["health_at"] is None  # no report yet

    slides = (await admin.get(SLIDES)).json()
    assert slides["area"] == "morkov"
    assert [s["key"] for s in slides["slides"]] == ["morkov/01-plakat.jpg", "morkov/02-plakat.jpg"]
    first = slides["slides"][0]
    assert first == {
        "key": "morkov/01-plakat.jpg",
        "folder": "morkov",
        "file": "01-plakat.jpg",
        "title": "01 plakat",
        "kind": "image",
        "pages": 1,
        "schedule": {
            "from": None,
            "until": None,
            "weekdays": None,
            "hours": None,
            "duration": None,
        },
        "paused": False,
        "state": "playing",
        "editable": True,
        "from_recipe": False,
        "thumbnail": first["thumbnail"],
    }
    assert (await admin.get(first["thumbnail"])).headers["content-type"] == "image/jpeg"

    feeds = (await admin.get(f"{API}/feeds")).json()
    assert feeds == {"feeds": [], "error": None}


async def test_a_recipe_rule_shows_as_the_schedule_with_offsets(
    site: Site, server: RunningServer, admin: httpx.AsyncClient
) -> None:
    site.recipe(
        "morkov",
        'name = "Mørkøv"\nsources = ["morkov", "all"]\n'
        '[slides."01-plakat.jpg"]\nuntil = 2099-06-30\nweekdays = ["lør", "søn"]\n'
        'hours = "10:00-15:00"\nduration = 12\n',
    )

    async def scheduled() -> dict[str, Any]:
        slide: dict[str, Any] = (await admin.get(SLIDES)).json()["slides"][0]
        return slide if slide["schedule"]["duration"] == 12 else {}

    slide: dict[str, Any] = await eventually(scheduled)
    assert slide["from_recipe"] is True
    assert slide["schedule"] == {
        "from": None,
        "until": "2099-07-01T00:00:00+02:00",  # to the end of the last day, in summer time
        "weekdays": ["sat", "sun"],
        "hours": "10:00-15:00",
        "duration": 12.0,
    }


async def test_screens_as_an_editor_sees_them(site: Site, server: RunningServer) -> None:
    site.recipe("jyderup", JYDERUP)
    site.screen("morkov", "Forsamlingshuset")
    site.screen("jyderup", "Hallen")
    db = store.connect(site.settings.database)
    try:
        gone = screens.add(db, "morkov", "Gammel")[0]
        screens.revoke(db, gone.id)
    finally:
        db.close()
    secret = api_token(site, "editor", ("morkov",))
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(secret)) as client:
        listed = (await client.get(f"{API}/screens")).json()["screens"]
    assert [(s["name"], s["revoked"]) for s in listed] == [
        ("Forsamlingshuset", False),
        ("Gammel", True),
    ]
    assert listed[1]["revoked_at"].endswith(("+01:00", "+02:00"))


async def test_feeds_as_each_token_sees_them(site: Site, server: RunningServer) -> None:
    site.recipe("jyderup", JYDERUP)
    site.recipe(
        "feeds",
        '[[feed]]\nid = "kommunen"\nurl = "http://127.0.0.1:9/nyheder.xml"\nkind = "news"\n'
        'areas = "all"\n\n'
        '[[feed]]\nid = "hallen"\nurl = "http://127.0.0.1:9/hallen.ics"\nkind = "events"\n'
        'areas = ["jyderup"]\n',
    )
    content = server.app_state.content
    await eventually(lambda: len(content.feeds) == 2)
    editor_secret = api_token(site, "editor", ("morkov",))
    async with httpx.AsyncClient(base_url=server.url) as client:
        every = (await client.get(f"{API}/feeds", headers=bearer(api_token(site)))).json()
        theirs = (await client.get(f"{API}/feeds", headers=bearer(editor_secret))).json()
    assert [feed["id"] for feed in every["feeds"]] == ["kommunen", "hallen"]
    assert [feed["id"] for feed in theirs["feeds"]] == ["kommunen"]
    feed = every["feeds"][1]
    assert feed["kind"] == "events" and feed["areas"] == ["jyderup"]
    assert feed["state"] in ("waiting", "failing") and isinstance(feed["failures"], int)
    for name in ("last_success", "last_attempt", "last_change", "next_poll"):
        assert feed[name] is None or feed[name].endswith("+00:00")


# --- changing ----------------------------------------------------------------------------


async def test_an_upload_is_on_the_screens_when_the_answer_comes(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    answer = await upload(
        editor,
        jpeg((10, 10, 200), (1200, 900)),
        "Julemarked 2026.JPG",
        until="2099-12-06",
        weekdays="sat,sun",
        hours="10:00-15:00",
        duration="20",
        title="Julemarked <b>i hallen</b>",
    )
    assert answer.status_code == 201, answer.text
    key = "morkov/Julemarked 2026.jpg"
    assert answer.headers["location"] == f"{API}/areas/morkov/slides/morkov%2FJulemarked%202026.jpg"
    slide = answer.json()
    assert slide["key"] == key and slide["kind"] == "image" and slide["editable"]
    assert slide["title"] == "Julemarked <b>i hallen</b>"  # HTML is text, kept as typed
    assert slide["schedule"] == {
        "from": None,
        "until": "2099-12-07T00:00:00+01:00",
        "weekdays": ["sat", "sun"],
        "hours": "10:00-15:00",
        "duration": 20.0,
    }
    assert key in snapshot_ids(server)
    item = next(i for i in server.app_state.hub.current("morkov").snapshot.items if i.id == key)
    assert item.duration == 20 and item.title == "Julemarked <b>i hallen</b>" and item.windows
    assert (site.assets / "morkov" / "Julemarked 2026.jpg").is_file()
    assert (await editor.get(answer.headers["location"])).status_code == 405  # no GET of one
    # Into the shared folder: the admins' only.
    refused = await upload(editor, jpeg(), "alle.jpg", target="all")
    assert_error(refused, 403)
    assert_error(await upload(editor, jpeg(), "x.jpg", target="jyderup"), 422, "target")
    assert not list(site.assets.rglob("alle.jpg")) and not list(site.assets.rglob("x.jpg"))


async def test_a_pdf_gives_a_slide_a_page_and_the_admin_may_use_the_shared_folder(
    site: Site, server: RunningServer, admin: httpx.AsyncClient
) -> None:
    answer = await upload(admin, pdf(3), "program.pdf", target="all")
    assert answer.status_code == 201, answer.text
    assert answer.json()["pages"] == 3 and answer.json()["kind"] == "pdf"
    assert [i for i in snapshot_ids(server) if "program" in i] == [
        "all/program.pdf#1",
        "all/program.pdf#2",
        "all/program.pdf#3",
    ]


@pytest.mark.parametrize(
    ("name", "data", "fields", "field", "english", "danish"),
    [
        ("a.jpg", b"", {}, "file", "Choose a picture or a PDF file", "Vælg et billede"),
        ("a.jpg", b"hello, not a picture" * 10, {}, "file", "not an image", "ikke et billede"),
        ("a.png", jpeg()[:400], {}, "file", "damaged", "beskadiget"),
        ("a.jpg", jpeg(), {"title": "x" * 10_000}, "title", "too long", "for lang"),
        ("a.jpg", jpeg(), {"until": "2026-13-45"}, "until", "ISO 8601", "2026-12-06"),
        ("a.jpg", jpeg(), {"from": "2026-12-06", "until": "2026-12-01"}, "until", "after", "efter"),
        ("a.jpg", jpeg(), {"until": "2026-12-06T18:00"}, "until", "offset", "+01:00"),
        ("a.jpg", jpeg(), {"until": "1999-12-06"}, "until", "out of range", "uden for"),
        ("a.jpg", jpeg(), {"duration": "-5"}, "duration", "3 to 600", "3 til 600"),
        ("a.jpg", jpeg(), {"duration": "lang"}, "duration", "3 to 600", "3 til 600"),
        ("a.jpg", jpeg(), {"hours": "10-15"}, "hours", "08:00", "08:00"),
        ("a.jpg", jpeg(), {"hours": "10:00-10:00"}, "hours", "same", "ens"),
        ("a.jpg", jpeg(), {"weekdays": "mon,someday"}, "weekdays", "weekdays", "ugedage"),
        ("a.jpg", jpeg(), {"colour": "red"}, "colour", "unknown field", "Ukendt felt"),
    ],
)
async def test_bad_uploads_are_422_naming_the_field_with_nothing_saved(
    site: Site,
    server: RunningServer,
    admin: httpx.AsyncClient,
    name: str,
    data: bytes,
    fields: dict[str, str],
    field: str,
    english: str,
    danish: str,
) -> None:
    before = sorted(path.name for path in (site.assets / "morkov").iterdir())
    version = server.app_state.hub.current("morkov").snapshot.version
    assert english in assert_error(await post_form(admin, data, name, fields), 422, field)
    answer = await post_form(admin, data, name, fields, {"Accept-Language": "da"})
    assert danish in assert_error(answer, 422, field)
    assert sorted(path.name for path in (site.assets / "morkov").iterdir()) == before
    assert server.app_state.hub.current("morkov").snapshot.version == version


async def test_bodies_that_cannot_be_read(
    site: Site, server: RunningServer, admin: httpx.AsyncClient
) -> None:
    assert_error(await admin.post(SLIDES, json={"file": "x"}), 415)
    broken = await admin.post(
        SLIDES,
        content=b"--xyz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--xyz--\r\n",
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert_error(broken, 400)
    no_boundary = await admin.post(
        SLIDES, content=b"x", headers={"content-type": "multipart/form-data"}
    )
    assert_error(no_boundary, 400)
    key = slide_path("morkov/01-plakat.jpg")
    assert_error(await admin.patch(key, content=b"{not json", headers=JSON), 400)
    assert_error(await admin.patch(key, content=b"[1, 2]", headers=JSON), 400)
    assert_error(await admin.patch(key, content=b"duration=5"), 415)
    assert_error(await admin.patch(key, content=b" " * 70_000, headers=JSON), 413)


JSON = {"content-type": "application/json"}


async def test_a_200_mb_upload_is_stopped_early_and_the_server_goes_on(
    site: Site, server: RunningServer, admin: httpx.AsyncClient
) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n\r\n'
        chunk = b"\xff" * (1 << 20)
        for _ in range(200):
            sent += len(chunk)
            yield chunk
        yield b"\r\n--xyz--\r\n"

    try:
        answer = await admin.post(
            SLIDES, content=body(), headers={"content-type": "multipart/form-data; boundary=xyz"}
        )
        assert "50 MB" in assert_error(answer, 413)
    except httpx.HTTPError:
        pass  # the server may close the connection before all of it is sent
    assert sent < 200 * (1 << 20)
    # With a declared length it is refused before anything is read.
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        (
            f"POST {SLIDES} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: {admin.headers['authorization']}\r\n"
            "Content-Type: multipart/form-data; boundary=xyz\r\n"
            f"Content-Length: {200 * (1 << 20)}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), timeout(10))  # it closes the connection
    assert raw.startswith(b"HTTP/1.1 413"), raw[:200]
    assert json.loads(raw.partition(b"\r\n\r\n")[2])["error"]["status"] == 413
    writer.close()
    assert (await admin.get(SLIDES)).status_code == 200
    assert not list((site.assets / "morkov").glob("big*"))


async def test_patch_schedules_pauses_and_clears(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    first, second = "morkov/01-plakat.jpg", "morkov/02-plakat.jpg"
    answer = await editor.patch(
        slide_path(first),
        json={
            "from": "2026-12-01T08:00:00+01:00",
            "until": "2099-12-06",
            "weekdays": ["sat"],
            "hours": "10:00-15:00",
            "duration": 20,
            "title": "Loppemarked <script>alert(1)</script>",
        },
    )
    assert answer.status_code == 200, answer.text
    slide = answer.json()
    assert slide["title"] == "Loppemarked <script>alert(1)</script>"
    assert slide["schedule"] == {
        "from": "2026-12-01T08:00:00+01:00",
        "until": "2099-12-07T00:00:00+01:00",
        "weekdays": ["sat"],
        "hours": "10:00-15:00",
        "duration": 20.0,
    }
    item = next(i for i in server.app_state.hub.current("morkov").snapshot.items if i.id == first)
    assert item.duration == 20 and item.title == "Loppemarked <script>alert(1)</script>"
    assert item.windows
    # Only what is given changes; null clears.
    answer = await editor.patch(slide_path(first), json={"hours": None, "title": None})
    assert answer.json()["title"] == "01 plakat"
    assert answer.json()["schedule"]["hours"] is None
    assert answer.json()["schedule"]["weekdays"] == ["sat"]
    # Pause: off the screens, still listed; and back.
    answer = await editor.patch(slide_path(second), json={"paused": True})
    assert answer.json()["paused"] is True and answer.json()["state"] == "paused"
    assert second not in snapshot_ids(server)
    await editor.patch(slide_path(second), json={"paused": False})
    assert second in snapshot_ids(server)
    db = store.connect(site.settings.database)
    try:
        rule = arrangement.load_one(db, "morkov", "01-plakat.jpg")
        assert rule is not None and rule.duration == 20 and rule.hours is None
    finally:
        db.close()


async def test_pausing_keeps_the_recipes_schedule(
    site: Site, server: RunningServer, admin: httpx.AsyncClient
) -> None:
    site.recipe(
        "morkov",
        'name = "Mørkøv"\nsources = ["morkov", "all"]\n[slides."01-plakat.jpg"]\nduration = 12\n',
    )
    content = server.app_state.content
    await eventually(lambda: content.recipes["morkov"].slides)
    answer = await admin.patch(slide_path("morkov/01-plakat.jpg"), json={"paused": True})
    assert answer.json()["schedule"]["duration"] == 12.0 and answer.json()["paused"]


@pytest.mark.parametrize(
    ("body", "field", "english"),
    [
        ({"title": "x" * 10_000}, "title", "The title is too long (at most 120 characters)."),
        ({"title": 5}, "title", "expected text"),
        ({"duration": 1}, "duration", "3 to 600"),
        ({"duration": True}, "duration", "3 to 600"),
        ({"duration": "20"}, "duration", "3 to 600"),
        ({"from": "2099-12-06", "until": "2099-12-01"}, "until", "after"),
        ({"until": "tomorrow"}, "until", "ISO 8601"),
        ({"until": 20991206}, "until", "ISO 8601"),
        ({"weekdays": "sat"}, "weekdays", "weekdays"),
        ({"weekdays": ["lør"]}, "weekdays", "weekdays"),
        ({"hours": "25:00-26:00"}, "hours", "08:00"),
        ({"paused": "yes"}, "paused", "true or false"),
        ({"colour": "red"}, "colour", "unknown field 'colour'"),
    ],
)
async def test_bad_changes_are_422_with_no_side_effect(
    site: Site,
    server: RunningServer,
    admin: httpx.AsyncClient,
    body: dict[str, object],
    field: str,
    english: str,
) -> None:
    version = server.app_state.hub.current("morkov").snapshot.version
    answer = await admin.patch(slide_path("morkov/01-plakat.jpg"), json=body)
    assert english in assert_error(answer, 422, field)
    assert server.app_state.hub.current("morkov").snapshot.version == version
    db = store.connect(site.settings.database)
    try:
        assert arrangement.load_one(db, "morkov", "01-plakat.jpg") is None
    finally:
        db.close()


async def test_delete_takes_the_file_off_the_screens(
    site: Site, server: RunningServer, admin: httpx.AsyncClient
) -> None:
    first = "morkov/01-plakat.jpg"
    await admin.patch(slide_path(first), json={"duration": 30})
    answer = await admin.delete(slide_path(first))
    assert answer.status_code == 204 and answer.content == b""
    assert first not in snapshot_ids(server)
    assert not (site.assets / "morkov" / "01-plakat.jpg").exists()
    db = store.connect(site.settings.database)
    try:
        assert arrangement.load_one(db, "morkov", "01-plakat.jpg") is None
    finally:
        db.close()
    assert_error(await admin.delete(slide_path(first)), 404)
    # An unencoded key works as well.
    answer = await admin.delete(f"{SLIDES}/morkov/02-plakat.jpg")
    assert answer.status_code == 204
    assert snapshot_ids(server) == []
    # A file the library could not use is in no list: nothing to change, but it can go.
    site.drop("morkov", "ødelagt.jpg", jpeg()[:300])
    content = server.app_state.content
    await eventually(lambda: site.assets / "morkov" / "ødelagt.jpg" in content.library.problems)
    assert_error(await admin.patch(slide_path("morkov/ødelagt.jpg"), json={"duration": 9}), 404)
    assert (await admin.delete(slide_path("morkov/ødelagt.jpg"))).status_code == 204
    assert not (site.assets / "morkov" / "ødelagt.jpg").exists()


# --- idempotency -------------------------------------------------------------------------


async def test_the_same_idempotency_key_does_nothing_twice(
    site: Site, server: RunningServer, admin: httpx.AsyncClient
) -> None:
    poster = jpeg((1, 2, 3))
    key = {"Idempotency-Key": "8e0f6c1a-upload-1"}
    first = await upload(admin, poster, "jul.jpg", headers=key, title="Jul")
    again = await upload(admin, poster, "jul.jpg", headers=key, title="Jul")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert [p.name for p in (site.assets / "morkov").glob("jul*")] == ["jul.jpg"]
    # The same key with another request: 409, and nothing done.
    other = await upload(admin, poster, "jul.jpg", headers=key, title="Påske")
    assert "another request" in assert_error(other, 409)
    assert [p.name for p in (site.assets / "morkov").glob("jul*")] == ["jul.jpg"]
    # Another token's keys are its own.
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(api_token(site))) as client:
        theirs = await upload(client, poster, "jul.jpg", headers=key, title="Jul")
    assert theirs.status_code == 201 and theirs.json()["file"] == "jul (2).jpg"
    # Without a key, the same upload twice is two slides.
    await upload(admin, poster, "jul.jpg")
    assert len(list((site.assets / "morkov").glob("jul*"))) == 3
    # A refusal is an answer too: the same again gives it again.
    bad = {"Idempotency-Key": "bad-1"}
    refused = await upload(admin, b"not a picture" * 20, "x.jpg", headers=bad)
    assert assert_error(refused, 422, "file") == assert_error(
        await upload(admin, b"not a picture" * 20, "x.jpg", headers=bad), 422, "file"
    )
    assert_error(
        await upload(admin, poster, headers={"Idempotency-Key": "x" * 300}), 422, "Idempotency-Key"
    )
    assert_error(
        await upload(admin, poster, headers={"Idempotency-Key": "with spaces"}),
        422,
        "Idempotency-Key",
    )


async def test_idempotency_keys_are_forgotten_after_a_day(
    site: Site, server: RunningServer, admin: httpx.AsyncClient
) -> None:
    key = {"Idempotency-Key": "day-old"}
    assert (await upload(admin, jpeg(), "a.jpg", headers=key)).status_code == 201
    db = server.app_state.db
    db.execute("UPDATE idempotency_keys SET created_at = created_at - 86401")
    answer = await upload(admin, jpeg(), "a.jpg", headers=key)
    assert answer.status_code == 201 and "idempotent-replayed" not in answer.headers
    assert answer.json()["file"] == "a (2).jpg"


# --- who may do what ---------------------------------------------------------------------

WHO = ("anonymous", "admin", "editor here", "editor elsewhere", "screen", "web session")
ApiRow = tuple[Any, ...]

ROUTES: list[ApiRow] = [
    # method, path, then the status for each of WHO, then an optional body
    ("GET", f"{API}/areas", 401, 200, 200, 200, 401, 401),
    ("GET", f"{API}/areas/morkov", 401, 200, 200, 403, 401, 401),
    ("GET", f"{API}/areas/nowhere", 401, 404, 404, 404, 401, 401),
    ("GET", f"{API}/screens", 401, 200, 200, 200, 401, 401),
    ("GET", SLIDES, 401, 200, 200, 403, 401, 401),
    ("GET", f"{API}/feeds", 401, 200, 200, 200, 401, 401),
    ("GET", f"{API}/openapi.json", 200, 200, 200, 200, 200, 200),
    ("GET", f"{API}/nowhere", 404, 404, 404, 404, 404, 404),
    ("PUT", f"{API}/areas", 405, 405, 405, 405, 405, 405),
    ("PATCH", slide_path("morkov/02-plakat.jpg"), 401, 200, 200, 403, 401, 401, {"duration": 9}),
    ("PATCH", slide_path("all/kommune.jpg"), 401, 200, 403, 403, 401, 401, {"duration": 9}),
    ("PATCH", slide_path("morkov/missing.jpg"), 401, 404, 404, 403, 401, 401, {"duration": 9}),
    ("PATCH", slide_path("jyderup/hal.jpg"), 401, 404, 404, 403, 401, 401, {"duration": 9}),
    ("PATCH", slide_path("jyderup/hal.jpg", "jyderup"), 401, 200, 403, 200, 401, 401, {}),
    ("DELETE", slide_path("morkov/../../playlists/morkov.toml"), 401, 404, 404, 403, 401, 401),
    ("DELETE", slide_path("morkov/..\\..\\playlists\\morkov.toml"), 401, 404, 404, 403, 401, 401),
    ("DELETE", slide_path("morkov/.hidden"), 401, 404, 404, 403, 401, 401),
    ("DELETE", slide_path("morkov/billeder"), 401, 404, 404, 403, 401, 401),
    ("POST", SLIDES, 401, 201, 201, 403, 401, 401, "upload"),
    ("POST", f"{API}/areas/jyderup/slides", 401, 201, 403, 201, 401, 401, "upload"),
    ("DELETE", slide_path("morkov/01-plakat.jpg"), 401, 204, 404, 403, 401, 401),
]  # fmt: skip


async def test_route_matrix(site: Site, server: RunningServer) -> None:
    site.recipe("jyderup", JYDERUP)
    site.drop("jyderup", "hal.jpg", jpeg((4, 4, 4)))
    site.drop("all", "kommune.jpg", jpeg((9, 9, 9)))
    (site.assets / "morkov" / ".hidden").write_bytes(b"x")
    (site.assets / "morkov" / "billeder").mkdir()
    await eventually(lambda: "all/kommune.jpg" in snapshot_ids(server))
    await eventually(lambda: server.app_state.hub.current("jyderup"))
    secrets = {
        "admin": api_token(site),
        "editor here": api_token(site, "editor", ("morkov",)),
        "editor elsewhere": api_token(site, "editor", ("jyderup",)),
        "screen": site.screen(),
    }
    add_user(site.settings, EMAILS["admin"], "admin")
    async with httpx.AsyncClient(base_url=server.url) as web:
        assert (await log_in(web, EMAILS["admin"])).status_code == 303
        csrf = csrf_of((await web.get("/account/password")).text)
        for row in ROUTES:
            method, path, *rest = row
            expected, body = rest[: len(WHO)], (rest[len(WHO)] if len(rest) > len(WHO) else None)
            for who, status in zip(WHO, expected, strict=True):
                headers = bearer(secrets[who]) if who in secrets else {}
                client = web if who == "web session" else None
                if who == "web session":
                    # The login cookie and its CSRF token: still no authority here.
                    headers = {"X-CSRF-Token": csrf}
                kwargs: dict[str, Any] = {"headers": headers}
                if body == "upload":
                    kwargs["files"] = {"file": (f"{who}.jpg", jpeg((7, 7, 7)))}
                elif body is not None:
                    kwargs["json"] = body
                if client is None:
                    async with httpx.AsyncClient(base_url=server.url, timeout=30) as fresh:
                        answer = await fresh.request(method, path, **kwargs)
                else:
                    answer = await client.request(method, path, **kwargs)
                assert answer.status_code == status, (method, path, who, answer.text[:500])
                if status >= 400:
                    assert_error(answer, status)
                if status == 401:
                    assert answer.headers["www-authenticate"].startswith("Bearer")
    # Nothing left the folders, and the refused uploads left nothing.
    assert (site.playlists / "morkov.toml").is_file()
    assert (site.assets / "morkov" / ".hidden").is_file()
    uploaded = sorted(path.name for path in site.assets.rglob("*.jpg") if "editor" in path.name)
    assert uploaded == ["editor elsewhere.jpg", "editor here.jpg"]


async def test_tokens_revoked_unknown_and_malformed(site: Site, server: RunningServer) -> None:
    secret = api_token(site)
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get(f"{API}/areas", headers=bearer(secret))).status_code == 200
        for header in (
            "Bearer api_not-a-token",
            f"Basic {secret}",
            "Bearer",
            f"bearer  {secret}x",
            secret,
        ):
            answer = await client.get(f"{API}/areas", headers={"Authorization": header})
            assert_error(answer, 401)
            assert 'error="invalid_token"' in answer.headers["www-authenticate"]
        db = store.connect(site.settings.database)
        try:
            assert tokens.revoke(db, 1)
        finally:
            db.close()
        assert_error(await client.get(f"{API}/areas", headers=bearer(secret)), 401)


async def test_an_error_in_the_server_is_a_500_in_the_shape(
    site: Site, server: RunningServer, admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> list[dict[str, Any]]:
        raise RuntimeError("a bug")

    monkeypatch.setattr("signage_server.feeds.report.rows", broken)
    assert "error in the server" in assert_error(await admin.get(f"{API}/feeds"), 500)
    assert (await admin.get(f"{API}/areas")).status_code == 200


async def test_the_web_ui_is_as_before(site: Site, server: RunningServer) -> None:
    """The gate sends only /api/v1 to the API: the web UI keeps its pages and its CSRF."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get("/areas/morkov/slides")).status_code == 303
        assert (await client.get("/api")).status_code == 404
        assert "text/html" in (await client.get("/api")).headers["content-type"]
        refused = await client.post(
            "/areas/morkov/slides/new", headers=bearer(api_token(site)), files={"file": ("a", b"")}
        )
        assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
