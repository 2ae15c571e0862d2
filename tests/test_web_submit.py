"""Citizens' submissions in the web UI, against a real server on loopback: the public form
(no account), what is refused and that nothing of it is kept, the honeypot and the rate
limit, the area's queue, approving (a slide on the screens with the dates given) and
rejecting (with a reason), and who may do which."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest

from signage_server import store, submissions
from signage_server.blobs import Blobs
from signage_server.submissions import Status, Submission

from .logins import MatrixRow, check_route_matrix, csrf_of, matrix_people
from .support import RunningServer, Site, eventually, jpeg
from .test_images_refusals import png_header
from .test_web_slides import logged_in, pdf, snapshot_ids

SUBMIT = "/areas/morkov/submit"
QUEUE = "/areas/morkov/queue"
ZONE = ZoneInfo("Europe/Copenhagen")
THANKS = "Redaktøren i Mørkøv ser på dit opslag"


def today() -> dt.date:
    return dt.datetime.now(ZONE).date()


def day(offset: int) -> str:
    return (today() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def db(site: Site, server: RunningServer) -> Iterator[sqlite3.Connection]:
    connection = store.connect(site.settings.database)
    yield connection
    connection.close()


@pytest.fixture
async def citizen(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
async def editor(site: Site, server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    client = await logged_in(server, site, "editor@morkov.dk", "editor", ("morkov",))
    yield client
    await client.aclose()


async def send(
    client: httpx.AsyncClient,
    poster: tuple[str, bytes] | None = None,
    path: str = SUBMIT,
    **fields: str,
) -> httpx.Response:
    """Fill in the public form as a browser does (the page first, for its token)."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "title": "Fodbold: U10 mod Jyderup",
        "text": "Lørdag kl. 10 på stadion. Kom og hep!",
        "contact": "formand@mif.dk",
        "website": "",
        **fields,
    }
    files = {"poster": poster or ("", b"", "application/octet-stream")}
    return await client.post(path, data=form, files=files)


def stored(db: sqlite3.Connection, area: str = "morkov") -> list[Submission]:
    return submissions.pending(db, area) + submissions.decided(db, area)


def blob_files(site: Site) -> set[str]:
    return {path.name for path in site.settings.blobs.rglob("*") if path.is_file()}


async def queue_token(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get(QUEUE)).text)


async def decide(
    client: httpx.AsyncClient, number: int, what: str, **fields: str
) -> httpx.Response:
    form = {"csrf_token": await queue_token(client), **fields}
    return await client.post(f"{QUEUE}/{number}/{what}", data=form)


async def test_a_poster_waits_unseen_until_the_editor_approves_it_with_its_dates(
    site: Site,
    server: RunningServer,
    citizen: httpx.AsyncClient,
    editor: httpx.AsyncClient,
    db: sqlite3.Connection,
) -> None:
    form = await citizen.get(SUBMIT)
    assert "Send et opslag til skærmen i Mørkøv" in form.text
    assert 'name="csrf_token"' in form.text and "Lad dette felt være tomt" in form.text
    before_ids, before_files = snapshot_ids(server), sorted((site.assets / "morkov").iterdir())
    poster = jpeg((250, 200, 0), (1200, 1700))
    answer = await send(citizen, ("kampprogram.jpg", poster), **{"from": day(1), "until": day(3)})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"{SUBMIT}/thanks"
    thanks = await citizen.get(answer.headers["location"])
    assert thanks.status_code == 200 and THANKS in thanks.text
    [pending] = stored(db)
    assert pending.status is Status.PENDING and pending.file_name == "kampprogram.jpg"
    assert pending.file_sha256 is not None and pending.file_sha256 not in thanks.text
    # Nowhere before the approval: not on the screens, not in the folder, not in the list.
    assert snapshot_ids(server) == before_ids
    assert sorted((site.assets / "morkov").iterdir()) == before_files
    slides = await editor.get("/areas/morkov/slides")
    assert "Fodbold" not in slides.text and "Indsendte opslag" in slides.text

    queue = await editor.get(QUEUE)
    assert queue.status_code == 200
    for shown in ("Fodbold: U10 mod Jyderup", "Kom og hep!", "mailto:formand@mif.dk"):
        assert shown in queue.text
    assert pending.file_sha256 not in queue.text
    assert f"{server.url}{SUBMIT}" in queue.text and "<svg" in queue.text  # address, QR
    thumb = await editor.get(f"{QUEUE}/{pending.id}/poster")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content.startswith(b"\xff\xd8")
    large = await editor.get(f"{QUEUE}/{pending.id}/poster", params={"size": "large"})
    assert large.status_code == 200 and len(large.content) > len(thumb.content)

    answer = await decide(editor, pending.id, "approve")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"{QUEUE}?done=approved")
    key = "morkov/Fodbold U10 mod Jyderup.jpg"
    assert key in snapshot_ids(server)
    item = next(i for i in server.app_state.hub.current("morkov").snapshot.items if i.id == key)
    first = dt.datetime.combine(today() + dt.timedelta(days=1), dt.time(), tzinfo=ZONE)
    end = dt.datetime.combine(today() + dt.timedelta(days=4), dt.time(), tzinfo=ZONE)
    assert item.windows[0][0] == first.timestamp() and item.windows[-1][1] == end.timestamp()
    assert item.title == "Fodbold: U10 mod Jyderup"
    assert (site.assets / "morkov" / "Fodbold U10 mod Jyderup.jpg").read_bytes() == poster
    [approved] = stored(db)
    assert approved.status is Status.APPROVED and approved.slide_file == key.split("/")[1]
    done = await editor.get(answer.headers["location"])
    assert "Godkendt: Fodbold" in done.text and "editor@morkov.dk" in done.text
    assert "Der venter ingen opslag" in done.text

    # Twice: a clear answer and no second slide.
    again = await decide(editor, pending.id, "approve")
    assert again.status_code == 409 and "allerede godkendt" in again.text
    assert len([i for i in snapshot_ids(server) if "Fodbold" in i]) == 1
    assert (await decide(editor, pending.id, "reject", reason="nej")).status_code == 409


async def test_a_text_only_submission_becomes_a_text_slide(
    site: Site,
    server: RunningServer,
    citizen: httpx.AsyncClient,
    editor: httpx.AsyncClient,
    db: sqlite3.Connection,
) -> None:
    answer = await send(citizen, title="Loppemarked i hallen", text="Søndag 10-14.\nGratis.")
    assert answer.status_code == 303, answer.text
    [pending] = stored(db)
    queue = await editor.get(QUEUE)
    assert "Ingen plakat" in queue.text and "ingen sidste dag angivet: 30 dage" in queue.text
    assert (await decide(editor, pending.id, "approve")).status_code == 303
    key = "morkov/Loppemarked i hallen.toml"
    published = server.app_state.hub.current("morkov").snapshot
    item = next(i for i in published.items if i.id == key)
    assert item.kind == "page"
    page = (await editor.get(f"/assets/{item.asset}")).text
    assert "Loppemarked i hallen" in page and "Gratis." in page
    # Shown from the approval for 30 days.
    end = dt.datetime.combine(today() + dt.timedelta(days=31), dt.time(), tzinfo=ZONE)
    assert item.windows[-1][1] == end.timestamp()


async def test_rejecting_needs_a_reason_and_puts_nothing_on_the_screens(
    site: Site,
    server: RunningServer,
    citizen: httpx.AsyncClient,
    editor: httpx.AsyncClient,
    db: sqlite3.Connection,
) -> None:
    await send(citizen, ("plakat.jpg", jpeg()))
    [pending] = stored(db)
    ids = snapshot_ids(server)
    for reason, message in (("", "Skriv hvorfor"), ("x" * 501, "Begrundelsen er for lang")):
        answer = await decide(editor, pending.id, "reject", reason=reason)
        assert answer.status_code == 400 and message in answer.text
    assert stored(db)[0].status is Status.PENDING
    answer = await decide(editor, pending.id, "reject", reason="Det foregår ikke i Mørkøv.")
    assert answer.status_code == 303
    [rejected] = stored(db)
    assert rejected.status is Status.REJECTED and rejected.reason == "Det foregår ikke i Mørkøv."
    page = await editor.get(answer.headers["location"])
    assert "Afvist: Fodbold" in page.text and "Det foregår ikke i Mørkøv." in page.text
    again = await decide(editor, pending.id, "approve")
    assert again.status_code == 409 and "allerede afvist" in again.text
    assert snapshot_ids(server) == ids
    assert not list((site.assets / "morkov").glob("Fodbold*"))


async def test_html_in_any_field_is_kept_as_text_and_shown_escaped(
    site: Site,
    server: RunningServer,
    citizen: httpx.AsyncClient,
    editor: httpx.AsyncClient,
    db: sqlite3.Connection,
) -> None:
    script = "<script>alert(1)</script>"
    answer = await send(
        citizen, title=f"Fest {script}", text=f'<img src=x onerror="alert(2)"> {script}'
    )
    assert answer.status_code == 303, answer.text
    [pending] = stored(db)
    assert pending.title == f"Fest {script}"
    queue = (await editor.get(QUEUE)).text
    assert script not in queue and "<img src=x" not in queue
    assert "Fest &lt;script&gt;alert(1)&lt;/script&gt;" in queue
    assert "&lt;img src=x onerror=" in queue
    # Refused input is shown back escaped too.
    refused = await send(citizen, title=script, contact='"><script>alert(3)</script>')
    assert refused.status_code == 400
    assert "<script>alert" not in refused.text and "&lt;script&gt;alert(1)" in refused.text


@pytest.mark.parametrize(
    ("fields", "poster", "field_message"),
    [
        ({"title": "", "text": "", "contact": ""}, None, "Skriv en overskrift"),
        ({"title": "", "text": "", "contact": ""}, None, "Skriv din e-mailadresse"),
        ({"title": "", "text": "", "contact": ""}, None, "Vælg en plakat, eller skriv en tekst"),
        ({"title": "x" * 10_000}, None, "Overskriften er for lang"),
        ({"text": "y" * 10_000}, None, "Teksten er for lang"),
        ({"contact": "formand"}, None, "Det er ikke en e-mailadresse"),
        ({"contact": "a@b.dk" + "x" * 300}, None, "Det er ikke en e-mailadresse"),
        ({"from": "2026-13-45"}, None, "Skriv datoen"),
        ({"from": "__DAY+5", "until": "__DAY+2"}, None, "sidste dag skal"),
        ({"from": "__DAY-1"}, None, "Den dag er gået"),
        ({"until": "__DAY+120"}, None, "højst ligge 90 dage"),
        ({}, ("plakat.jpg", b"hello, not a picture at all" * 10), "ikke et billede"),
        ({}, ("plakat.jpg", b"MZ\x90\x00" + b"\x00" * 500), "ikke et billede"),
        ({}, ("plakat.png", jpeg()[:400]), "beskadiget"),
        ({}, ("bombe.png", png_header(100_000, 100_000)), "for mange pixels"),
        ({}, ("program.pdf", pdf(5)), "PDF-filen har 5 sider"),
        ({}, ("katalog.pdf", pdf(31)), "31 sider"),
    ],
)
async def test_bad_input_is_refused_in_danish_with_nothing_kept(
    site: Site,
    server: RunningServer,
    citizen: httpx.AsyncClient,
    db: sqlite3.Connection,
    fields: dict[str, str],
    poster: tuple[str, bytes] | None,
    field_message: str,
) -> None:
    fields = {
        name: day(int(value[5:])) if value.startswith("__DAY") else value
        for name, value in fields.items()
    }
    blobs_before, files_before = blob_files(site), sorted((site.assets / "morkov").iterdir())
    answer = await send(citizen, poster, **fields)
    assert answer.status_code == 400
    assert field_message in answer.text
    assert "Intet blev sendt" in answer.text
    assert stored(db) == []
    assert sorted((site.assets / "morkov").iterdir()) == files_before
    # Checking a poster may make renditions (blobs nobody names), never a blob of the file.
    if poster is not None:
        sha = hashlib.sha256(poster[1]).hexdigest()
        assert not Blobs(site.settings.blobs).path(sha).exists()
    assert blob_files(site) >= blobs_before


async def test_the_honeypot_looks_like_a_success_and_keeps_nothing(
    site: Site, server: RunningServer, citizen: httpx.AsyncClient, db: sqlite3.Connection
) -> None:
    blobs_before = blob_files(site)
    answer = await send(citizen, ("plakat.jpg", jpeg()), website="https://spam.example")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{SUBMIT}/thanks"
    assert stored(db) == [] and blob_files(site) == blobs_before


async def test_a_client_may_send_five_an_hour_then_is_told_to_wait(
    server: RunningServer, citizen: httpx.AsyncClient, db: sqlite3.Connection
) -> None:
    for number in range(5):
        answer = await send(citizen, title=f"Opslag {number}")
        assert answer.status_code == 303, answer.text
    refused = await send(citizen, title="Et for meget")
    assert refused.status_code == 429
    assert "Prøv igen om" in refused.text and 'value="Et for meget"' in refused.text
    assert int(refused.headers["retry-after"]) > 3000
    assert len(stored(db)) == 5


async def test_an_area_takes_a_limited_number_an_hour_from_everyone(
    server: RunningServer, db: sqlite3.Connection
) -> None:
    server.app_state.submission_limiter = submissions.SubmissionLimiter(per_area=2)
    async with httpx.AsyncClient(base_url=server.url) as first:
        for _ in range(2):
            assert (await send(first)).status_code == 303
    async with httpx.AsyncClient(base_url=server.url) as second:
        assert (await send(second)).status_code == 429
    assert len(stored(db)) == 2


async def test_without_the_csrf_token_nothing_is_kept(
    site: Site, server: RunningServer, citizen: httpx.AsyncClient, db: sqlite3.Connection
) -> None:
    await citizen.get(SUBMIT)
    fields = {"title": "Fodbold", "text": "Kom", "contact": "a@b.dk"}
    files = {"poster": ("plakat.jpg", jpeg())}
    missing = await citizen.post(SUBMIT, data=fields, files=files)
    forged = await citizen.post(SUBMIT, data={**fields, "csrf_token": "forged"}, files=files)
    assert missing.status_code == forged.status_code == 403
    # Another visitor's token is not this one's either.
    async with httpx.AsyncClient(base_url=server.url) as other:
        token = csrf_of((await other.get(SUBMIT)).text)
    stolen = await citizen.post(SUBMIT, data={**fields, "csrf_token": token}, files=files)
    assert stolen.status_code == 403
    assert stored(db) == []


async def test_an_unknown_area_has_no_form(
    server: RunningServer, citizen: httpx.AsyncClient
) -> None:
    for path in ("/areas/nowhere/submit", "/areas/nowhere/submit/thanks"):
        answer = await citizen.get(path)
        assert answer.status_code == 404 and "adressen er forkert" in answer.text


async def test_an_area_whose_screens_skip_its_own_folder_takes_no_submissions(
    site: Site, server: RunningServer, citizen: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    english = await citizen.get(SUBMIT, params={"lang": "en"})
    assert "Send a notice to the screen in Mørkøv" in english.text
    site.recipe("morkov", 'name = "Mørkøv"\nsources = ["all"]\n')
    await eventually(lambda: server.app_state.content.recipes["morkov"].sources == ("all",))
    assert (await citizen.get(SUBMIT)).status_code == 404
    queue = await editor.get(QUEUE)
    assert queue.status_code == 200 and "formularen er lukket" in queue.text


def add_submission(site: Site, area: str, poster: bytes | None = None) -> int:
    connection = store.connect(site.settings.database)
    try:
        sha = Blobs(site.settings.blobs).put(poster) if poster else None
        draft = submissions.Draft(area, "Fodbold", "formand@mif.dk", "Kom", file_sha256=sha)
        return submissions.add(connection, draft)
    finally:
        connection.close()


async def test_route_matrix(site: Site, server: RunningServer) -> None:
    token = matrix_people(site)
    poster, approve, refuse = (add_submission(site, "morkov", jpeg()) for _ in range(3))
    elsewhere = add_submission(site, "jyderup", jpeg((0, 0, 200)))
    rows: list[MatrixRow] = [
        # method, path, anonymous, editor here, editor elsewhere, admin, screen
        ("GET", SUBMIT, 200, 200, 200, 200, 200),
        ("GET", f"{SUBMIT}/thanks", 200, 200, 200, 200, 200),
        ("GET", "/areas/nowhere/submit", 404, 404, 404, 404, 404),
        ("POST", SUBMIT, 400, 400, 400, 400, 400),  # url-encoded: not an upload form
        ("GET", QUEUE, 303, 200, 403, 200, 303),
        ("GET", "/areas/nowhere/queue", 303, 404, 404, 404, 303),
        ("GET", f"{QUEUE}/{poster}/poster", 303, 200, 403, 200, 303),
        ("GET", f"{QUEUE}/{poster}/poster?page=2", 303, 404, 403, 404, 303),
        ("GET", f"{QUEUE}/999/poster", 303, 404, 403, 404, 303),
        # Another area's id on this area's URL, and this area's on another's.
        ("GET", f"{QUEUE}/{elsewhere}/poster", 303, 404, 403, 404, 303),
        ("GET", f"/areas/jyderup/queue/{poster}/poster", 303, 403, 404, 404, 303),
        ("POST", f"{QUEUE}/{elsewhere}/approve", 303, 404, 403, 404, 303),
        ("POST", f"{QUEUE}/{elsewhere}/reject", 303, 404, 403, 404, 303, {"reason": "x"}),
        ("GET", f"{QUEUE}/{approve}/approve", 405, 405, 405, 405, 405),
        # The editor here decides first; the admin then finds it decided.
        ("POST", f"{QUEUE}/{approve}/approve", 303, 303, 403, 409, 303),
        ("POST", f"{QUEUE}/{refuse}/reject", 303, 303, 403, 409, 303, {"reason": "Nej"}),
    ]
    answers = await check_route_matrix(server.url, token, rows)
    assert "Godkendt: Fodbold" not in answers[("GET", QUEUE, "admin")].text
    assert "Indsendte opslag til Mørkøv" in answers[("GET", QUEUE, "editor here")].text
