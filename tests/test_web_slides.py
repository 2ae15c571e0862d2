"""An area's slides in the web UI, against a real server on loopback: uploads (pictures,
PDFs, bad files, too big), text slides, schedules, pause, reorder, delete, and who may do
which, each change reaching the area's snapshot before the answer comes back."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from signage_server import arrangement, store

from .logins import MatrixRow, add_user, check_route_matrix, csrf_of, log_in, matrix_people
from .support import RunningServer, Site, eventually, jpeg, timeout
from .test_images_refusals import png_header

SLIDES = "/areas/morkov/slides"
#: A PNG whose header claims 100,000 × 100,000 pixels.
BOMB = png_header(100_000, 100_000)


def snapshot_ids(server: RunningServer, area: str = "morkov") -> list[str]:
    published = server.app_state.hub.current(area)
    return [item.id for item in published.snapshot.items] if published else []


def pdf(pages: int) -> bytes:
    images = [Image.new("RGB", (595, 842), (20 * i % 255, 90, 160)) for i in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


async def logged_in(
    server: RunningServer, site: Site, email: str, role: str = "admin", areas: tuple[str, ...] = ()
) -> httpx.AsyncClient:
    add_user(site.settings, email, role, areas)
    client = httpx.AsyncClient(base_url=server.url, timeout=30)
    assert (await log_in(client, email)).status_code == 303
    return client


@pytest.fixture
async def editor(site: Site, server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    client = await logged_in(server, site, "editor@morkov.dk", "editor", ("morkov",))
    yield client
    await client.aclose()


async def token(client: httpx.AsyncClient, path: str = SLIDES) -> str:
    return csrf_of((await client.get(path)).text)


async def upload(
    client: httpx.AsyncClient, data: bytes, name: str = "plakat.jpg", **fields: str
) -> httpx.Response:
    form = {"csrf_token": await token(client), **fields}
    return await client.post(f"{SLIDES}/new", data=form, files={"file": (name, data)})


async def post(client: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    return await client.post(path, data={"csrf_token": await token(client), **fields})


async def test_an_uploaded_photo_is_on_the_screen_when_the_answer_comes(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    answer = await upload(editor, jpeg((10, 10, 200), (1200, 900)), "Julemarked 2026.JPG")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(SLIDES + "?done=added")
    assert "morkov/Julemarked 2026.jpg" in snapshot_ids(server)
    assert (site.assets / "morkov" / "Julemarked 2026.jpg").is_file()
    page = await editor.get(answer.headers["location"])
    assert "Julemarked 2026" in page.text and "Tilføjet" in page.text
    # The same name again does not overwrite the first.
    await upload(editor, jpeg((200, 10, 10)), "Julemarked 2026.jpg")
    assert "morkov/Julemarked 2026 (2).jpg" in snapshot_ids(server)


async def test_a_pdf_becomes_a_slide_a_page_and_its_until_date_holds(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    answer = await upload(editor, pdf(3), "program.pdf", until="2099-12-06")
    assert answer.status_code == 303, answer.text
    ids = snapshot_ids(server)
    assert [i for i in ids if "program" in i] == [
        "morkov/program.pdf#1",
        "morkov/program.pdf#2",
        "morkov/program.pdf#3",
    ]
    published = server.app_state.hub.current("morkov").snapshot
    item = next(item for item in published.items if item.id == "morkov/program.pdf#2")
    assert item.windows and item.windows[0][1] is not None
    page = await editor.get(SLIDES)
    assert "3 sider" in page.text and "til 6. december" in page.text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plakat.jpg", b"", "Vælg et billede eller en PDF-fil"),
        ("plakat.jpg", b"hello, not a picture at all" * 10, "ikke et billede"),
        ("plakat.png", jpeg()[:400], "beskadiget"),
        ("virus.exe", b"MZ\x90\x00" + b"\x00" * 500, "ikke et billede"),
        ("brev.jpg", b"PK\x03\x04" + b"word/document.xml" + b"\x00" * 200, "Word-dokument"),
        ("bombe.png", BOMB, "for mange pixels"),
    ],
)
async def test_bad_files_are_refused_in_danish_with_nothing_saved(
    site: Site,
    server: RunningServer,
    editor: httpx.AsyncClient,
    name: str,
    data: bytes,
    message: str,
) -> None:
    before = sorted(path.name for path in (site.assets / "morkov").iterdir())
    answer = await upload(editor, data, name, title="Forsøg")
    assert answer.status_code == 400
    assert message in answer.text
    assert 'value="Forsøg"' in answer.text  # what was typed is kept
    assert sorted(path.name for path in (site.assets / "morkov").iterdir()) == before


async def test_a_pdf_with_too_many_pages_is_refused(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    answer = await upload(editor, pdf(31), "katalog.pdf")
    assert answer.status_code == 400 and "31 sider" in answer.text
    assert not (site.assets / "morkov" / "katalog.pdf").exists()


async def test_a_200_mb_upload_is_stopped_early_and_the_server_goes_on(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    csrf = await token(editor)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        boundary = b"--xyz\r\n"
        yield (
            boundary
            + f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'.encode()
        )
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="big.jpg"\r\n\r\n'
        chunk = b"\xff" * (1 << 20)
        for _ in range(200):
            sent += len(chunk)
            yield chunk
        yield b"\r\n--xyz--\r\n"

    try:
        answer = await editor.post(
            f"{SLIDES}/new",
            content=body(),
            headers={"content-type": "multipart/form-data; boundary=xyz"},
        )
        assert answer.status_code == 413
        assert "for stor" in answer.text
    except httpx.HTTPError:
        pass  # the server may close the connection before all of it is sent
    assert sent < 200 * (1 << 20)
    # With a declared length it is refused before anything is read (a raw request: an HTTP
    # client will not send a length it does not keep).
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    cookie = "; ".join(f"{name}={value}" for name, value in editor.cookies.items())
    writer.write(
        (
            f"POST {SLIDES}/new HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
            "Content-Type: multipart/form-data; boundary=xyz\r\n"
            f"Content-Length: {200 * (1 << 20)}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), timeout(10))
    assert status.startswith(b"HTTP/1.1 413"), status
    writer.close()
    assert (await editor.get(SLIDES)).status_code == 200
    assert not list((site.assets / "morkov").glob("big*"))


async def test_an_upload_without_the_csrf_token_is_refused(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    answer = await editor.post(f"{SLIDES}/new", files={"file": ("a.jpg", jpeg())})
    assert answer.status_code == 403
    forged = await editor.post(
        f"{SLIDES}/new", data={"csrf_token": "forged"}, files={"file": ("a.jpg", jpeg())}
    )
    assert forged.status_code == 403
    assert not (site.assets / "morkov" / "a.jpg").exists()


async def test_an_editor_cannot_post_to_another_areas_url_or_folder(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    site.recipe("jyderup", 'name = "Jyderup"\nsources = ["jyderup"]\n')
    await eventually(lambda: server.app_state.content.recipes.get("jyderup"))
    csrf = await token(editor)
    other = await editor.post(
        "/areas/jyderup/slides/new",
        data={"csrf_token": csrf},
        files={"file": ("a.jpg", jpeg())},
    )
    assert other.status_code == 403
    # The right URL, but a folder that is not theirs: the shared one, another area's.
    for target in ("all", "jyderup", "../etc"):
        answer = await upload(editor, jpeg(), "a.jpg", target=target)
        assert answer.status_code in (400, 403), target
    assert not list(site.assets.rglob("a.jpg"))


async def test_text_slide_with_picture_link_and_live_preview(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    preview = await editor.get(
        f"{SLIDES}/text/preview",
        params={
            "title": "Julemarked <script>alert(1)</script>",
            "text": "Gløgg",
            "link": "https://morkov.dk",
        },
    )
    assert preview.status_code == 200
    assert "&lt;script&gt;" in preview.text and "<script>" not in preview.text
    assert preview.headers["content-security-policy"].startswith("sandbox")
    assert "<svg" in preview.text  # the QR code of the link

    form = {
        "csrf_token": await token(editor, f"{SLIDES}/text"),
        "title": "Julemarked i forsamlingshuset",
        "text": "Lørdag kl. 10-15.\nGløgg og æbleskiver.",
        "link": "https://morkov.dk/jul",
    }
    answer = await editor.post(
        f"{SLIDES}/text", data=form, files={"picture": ("jul.jpg", jpeg((0, 120, 0)))}
    )
    assert answer.status_code == 303, answer.text
    files = sorted(path.name for path in (site.assets / "morkov").iterdir())
    assert "Julemarked i forsamlingshuset.toml" in files
    published = server.app_state.hub.current("morkov").snapshot
    item = next(i for i in published.items if i.id.endswith(".toml"))
    assert item.kind == "page"
    assert len(published.assets) == 4  # two posters, the page, its picture
    page = (await editor.get(f"/assets/{item.asset}")).text
    assert "Julemarked i forsamlingshuset" in page and "Gløgg og æbleskiver" in page

    # Edit it: the same file, new text; the picture stays.
    key = "morkov/Julemarked i forsamlingshuset.toml"
    edit = await editor.get(f"{SLIDES}/edit", params={"slide": key}, follow_redirects=True)
    assert "Lørdag kl. 10-15." in edit.text
    form = {"csrf_token": csrf_of(edit.text), "slide": key, "title": "Julemarked", "text": "Kom!"}
    empty = {"picture": ("", b"", "application/octet-stream")}
    assert (await editor.post(f"{SLIDES}/text", data=form, files=empty)).status_code == 303
    published = server.app_state.hub.current("morkov").snapshot
    item = next(i for i in published.items if i.id == key)
    page = (await editor.get(f"/assets/{item.asset}")).text
    assert "Kom!" in page and "/assets/" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Skriv en overskrift"),
        ({"title": "x" * 10_000}, "Overskriften er for lang"),
        ({"title": "Ok", "text": "y" * 10_000}, "Teksten er for lang"),
        ({"title": "Ok", "link": "javascript:alert(1)"}, "webadresse"),
        ({"title": "Ok", "until": "2026-13-45"}, "Skriv datoen"),
        ({"title": "Ok", "from": "2026-12-06", "until": "2026-12-01"}, "sidste dag"),
        ({"title": "Ok", "duration": "-5"}, "antal sekunder"),
    ],
)
async def test_bad_text_slides_are_refused_with_nothing_saved(
    site: Site,
    server: RunningServer,
    editor: httpx.AsyncClient,
    fields: dict[str, str],
    message: str,
) -> None:
    form = {"csrf_token": await token(editor, f"{SLIDES}/text"), **fields}
    answer = await editor.post(f"{SLIDES}/text", data=form, files={"picture": ("", b"")})
    assert answer.status_code == 400
    assert message in answer.text
    assert not list((site.assets / "morkov").glob("*.toml"))


async def test_schedule_pause_move_and_delete(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    first, second = "morkov/01-plakat.jpg", "morkov/02-plakat.jpg"
    assert snapshot_ids(server)[:2] == [first, second]
    # Move the second up: the screens get the new order.
    assert (await post(editor, f"{SLIDES}/move", slide=second, direction="up")).status_code == 303
    assert snapshot_ids(server)[:2] == [second, first]
    # Pause: off the screens, still in the list, marked.
    assert (await post(editor, f"{SLIDES}/pause", slide=first)).status_code == 303
    assert first not in snapshot_ids(server)
    assert "På pause" in (await editor.get(SLIDES)).text
    assert (await post(editor, f"{SLIDES}/resume", slide=first)).status_code == 303
    assert first in snapshot_ids(server)
    # A schedule: Saturdays only, 10-15, 20 seconds.
    answer = await post(
        editor,
        f"{SLIDES}/edit",
        slide=first,
        day_lor="1",
        hours_from="10:00",
        hours_to="15:00",
        duration="20",
        title="Loppemarked",
    )
    assert answer.status_code == 303, answer.text
    published = server.app_state.hub.current("morkov").snapshot
    item = next(i for i in published.items if i.id == first)
    assert item.duration == 20 and item.title == "Loppemarked" and item.windows
    edit = await editor.get(f"{SLIDES}/edit", params={"slide": first})
    assert 'value="10:00"' in edit.text and 'name="day_lor" value="1" checked' in edit.text
    # The whole order at once, as the drag script sends it.
    order = f"{first}\n{second}"
    answer = await post(editor, f"{SLIDES}/order", order=order)
    assert snapshot_ids(server)[:2] == [first, second]
    # Delete: the file goes, and what was set on it.
    confirm = await editor.get(f"{SLIDES}/delete", params={"slide": first})
    assert confirm.status_code == 200 and "01-plakat.jpg" in confirm.text
    assert (await post(editor, f"{SLIDES}/delete", slide=first)).status_code == 303
    assert first not in snapshot_ids(server)
    assert not (site.assets / "morkov" / "01-plakat.jpg").exists()
    db = store.connect(site.settings.database)
    try:
        assert arrangement.load_one(db, "morkov", "01-plakat.jpg") is None
    finally:
        db.close()


async def test_a_drop_folder_file_and_an_upload_are_one_list(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    await upload(editor, jpeg((1, 2, 3)), "fra-nettet.jpg")
    site.drop("morkov", "fra-mappen.jpg", jpeg((3, 2, 1)))
    await eventually(lambda: "morkov/fra-mappen.jpg" in snapshot_ids(server))
    page = (await editor.get(SLIDES)).text
    for name in ("fra nettet", "fra mappen", "01 plakat"):
        assert name in page
    # The dropped file is managed like the uploaded one.
    answer = await post(editor, f"{SLIDES}/pause", slide="morkov/fra-mappen.jpg")
    assert answer.status_code == 303
    assert "morkov/fra-mappen.jpg" not in snapshot_ids(server)


async def test_an_editor_may_not_change_the_shared_folders_slides(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    site.drop("all", "kommune.jpg", jpeg((9, 9, 9)))
    await eventually(lambda: "all/kommune.jpg" in snapshot_ids(server))
    page = (await editor.get(SLIDES)).text
    assert "alle områder" in page
    for path in ("pause", "delete", "edit"):
        answer = await post(editor, f"{SLIDES}/{path}", slide="all/kommune.jpg")
        assert answer.status_code == 403, path
    assert "all/kommune.jpg" in snapshot_ids(server)
    # But the area's order is theirs, the shared slide included.
    answer = await post(editor, f"{SLIDES}/move", slide="all/kommune.jpg", direction="up")
    assert answer.status_code == 303
    assert snapshot_ids(server)[-2] == "all/kommune.jpg"


async def test_an_admin_uploads_to_every_area(site: Site, server: RunningServer) -> None:
    admin = await logged_in(server, site, "admin@holbaek.dk")
    try:
        page = await admin.get(f"{SLIDES}/new")
        assert '<option value="all"' in page.text
        answer = await upload(admin, jpeg((5, 5, 5)), "valg.jpg", target="all")
        assert answer.status_code == 303, answer.text
        assert "all/valg.jpg" in snapshot_ids(server)
    finally:
        await admin.aclose()


ROUTES: list[MatrixRow] = [
    # method, path, anonymous, editor here, editor elsewhere, admin, screen
    ("GET", SLIDES, 303, 200, 403, 200, 303),
    ("GET", f"{SLIDES}/new", 303, 200, 403, 200, 303),
    ("GET", f"{SLIDES}/text", 303, 200, 403, 200, 303),
    ("GET", f"{SLIDES}/text/preview?title=x", 303, 200, 403, 200, 303),
    ("GET", f"{SLIDES}/edit?slide=morkov/01-plakat.jpg", 303, 200, 403, 200, 303),
    ("GET", f"{SLIDES}/delete?slide=morkov/01-plakat.jpg", 303, 200, 403, 200, 303),
    ("POST", f"{SLIDES}/edit", 303, 303, 403, 303, 303, {"slide": "morkov/02-plakat.jpg"}),
    ("POST", f"{SLIDES}/pause", 303, 303, 403, 303, 303, {"slide": "morkov/02-plakat.jpg"}),
    ("POST", f"{SLIDES}/resume", 303, 303, 403, 303, 303, {"slide": "morkov/02-plakat.jpg"}),
    ("POST", f"{SLIDES}/move", 303, 303, 403, 303, 303, {"slide": "morkov/02-plakat.jpg"}),
    ("POST", f"{SLIDES}/order", 303, 303, 403, 303, 303, {"order": ""}),
    ("POST", f"{SLIDES}/text", 303, 400, 403, 400, 303),  # url-encoded: not an upload form
    ("GET", "/areas/nowhere/slides", 303, 404, 404, 404, 303),
    ("GET", f"{SLIDES}/edit?slide=morkov/missing.jpg", 303, 404, 403, 404, 303),
    ("GET", f"{SLIDES}/edit?slide=../../etc/passwd", 303, 404, 403, 404, 303),
    ("GET", f"{SLIDES}/delete?slide=morkov/../../playlists/morkov.toml", 303, 404, 403, 404, 303),
    (
        "POST",
        f"{SLIDES}/delete",
        303,
        404,
        403,
        404,
        303,
        {"slide": "morkov/../../playlists/morkov.toml"},
    ),
    ("POST", f"{SLIDES}/delete", 303, 404, 403, 404, 303, {"slide": "morkov/.hidden"}),
]


async def test_route_matrix(site: Site, server: RunningServer) -> None:
    (site.assets / "morkov" / ".hidden").write_bytes(b"x")
    await check_route_matrix(server.url, matrix_people(site), ROUTES)
    # No path leads out of the folder: the recipe is still there.
    assert (site.playlists / "morkov.toml").is_file()
    assert (site.assets / "morkov" / ".hidden").is_file()


async def test_pausing_keeps_the_schedule_from_the_recipe(
    site: Site, server: RunningServer, editor: httpx.AsyncClient
) -> None:
    site.recipe(
        "morkov",
        'name = "Mørkøv"\ndefault_duration = 5\n[slides."01-plakat.jpg"]\nuntil = 2099-12-06\n',
    )

    def windows() -> object:
        snapshot = server.app_state.hub.current("morkov").snapshot
        item = next((i for i in snapshot.items if i.id == "morkov/01-plakat.jpg"), None)
        return item.windows if item else None

    before = await eventually(windows)
    await post(editor, f"{SLIDES}/pause", slide="morkov/01-plakat.jpg")
    await post(editor, f"{SLIDES}/resume", slide="morkov/01-plakat.jpg")
    assert windows() == before
