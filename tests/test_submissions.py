"""Citizens' submissions without the web: storing, approving (a slide of the drop folder with
the dates given, all or nothing), rejecting, keeping for a while, and the rate limit."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from signage_server import arrangement, store, submissions, textslides, users
from signage_server.blobs import Blobs
from signage_server.submissions import (
    AlreadyDecided,
    Draft,
    PosterMissing,
    Status,
    SubmissionLimiter,
)

from .logins import PASSWORD
from .support import jpeg

ZONE = ZoneInfo("Europe/Copenhagen")
DAY = 24 * 60 * 60.0
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=ZONE).timestamp()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = store.connect(tmp_path / "data" / "lokalskaerm.sqlite")
    yield connection
    connection.close()


@pytest.fixture
def blobs(tmp_path: Path) -> Blobs:
    return Blobs(tmp_path / "blobs")


@pytest.fixture
def editor(db: sqlite3.Connection) -> int:
    return users.add(db, "editor@morkov.dk", PASSWORD, "editor", ("morkov",)).id


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZONE)


def draft(**changes: object) -> Draft:
    values: dict[str, object] = {
        "area": "morkov",
        "title": "Fodbold: U10 mod Jyderup",
        "contact": "formand@mif.dk",
        "text": "Lørdag kl. 10 på stadion.",
    }
    values.update(changes)
    return Draft(**values)  # type: ignore[arg-type]


def test_stored_pending_and_read_back_only_in_their_own_area(db: sqlite3.Connection) -> None:
    start, until = midnight(dt.date(2026, 12, 1)), midnight(dt.date(2026, 12, 7))
    first = submissions.add(db, draft(start=start, until=until), now=NOW)
    second = submissions.add(db, draft(title="Julemarked"), now=NOW + 60)
    other = submissions.add(db, draft(area="jyderup", title="Loppemarked"), now=NOW)
    found = submissions.get(db, "morkov", first)
    assert found is not None
    assert found.status is Status.PENDING and found.start == start and found.until == until
    assert found.contact == "formand@mif.dk" and found.decided_at is None
    # Newest first; another area's submission is not in this queue, nor found by its id.
    assert [s.id for s in submissions.pending(db, "morkov")] == [second, first]
    assert submissions.count_pending(db, "morkov") == 2
    assert submissions.get(db, "morkov", other) is None
    assert submissions.decided(db, "morkov") == []


def test_approving_a_poster_makes_a_slide_with_the_dates_once(
    db: sqlite3.Connection, blobs: Blobs, tmp_path: Path, editor: int
) -> None:
    poster = jpeg((10, 120, 10))
    start, until = midnight(dt.date(2026, 12, 1)), midnight(dt.date(2026, 12, 7))
    number = submissions.add(
        db,
        draft(
            title="Koncert 7.12 i hallen", start=start, until=until, file_sha256=blobs.put(poster)
        ),
        now=NOW,
    )
    pending = submissions.get(db, "morkov", number)
    assert pending is not None
    folder = tmp_path / "assets" / "morkov"
    path = submissions.approve(db, blobs, folder, pending, ZONE, editor, now=NOW + 10)
    assert path == folder / "Koncert 7.12 i hallen.jpg"
    assert path.read_bytes() == poster
    rule = arrangement.load_one(db, "morkov", path.name)
    assert rule is not None
    assert (rule.start, rule.until, rule.title) == (start, until, "Koncert 7.12 i hallen")
    approved = submissions.get(db, "morkov", number)
    assert approved is not None and approved.status is Status.APPROVED
    assert approved.slide_file == path.name and approved.decided_by == editor
    assert approved.decided_by_email == "editor@morkov.dk" and approved.decided_at == NOW + 10
    # Again (a second click, a stale page): refused, no second slide.
    for stale in (pending, approved):
        with pytest.raises(AlreadyDecided) as caught:
            submissions.approve(db, blobs, folder, stale, ZONE, editor)
        assert caught.value.status is Status.APPROVED
    assert sorted(p.name for p in folder.iterdir()) == [path.name]
    with pytest.raises(AlreadyDecided):
        submissions.reject(db, approved, "for sent", editor)


def test_a_text_only_submission_becomes_a_text_slide_shown_for_the_default_days(
    db: sqlite3.Connection, blobs: Blobs, tmp_path: Path, editor: int
) -> None:
    number = submissions.add(db, draft(title="Hold 1/2 søger træner"), now=NOW)
    pending = submissions.get(db, "morkov", number)
    assert pending is not None
    folder = tmp_path / "assets" / "morkov"
    path = submissions.approve(db, blobs, folder, pending, ZONE, editor, now=NOW)
    assert path.name == "Hold 1 2 søger træner.toml"
    slide = textslides.parse(path.read_bytes())
    assert (slide.title, slide.text) == ("Hold 1/2 søger træner", "Lørdag kl. 10 på stadion.")
    rule = arrangement.load_one(db, "morkov", path.name)
    assert rule is not None and rule.start is None
    # From the approval day, 20 November, for 30 days: to the end of 20 December.
    assert rule.until == midnight(dt.date(2026, 12, 21))


def test_the_default_end_counts_from_the_first_day_given(db: sqlite3.Connection) -> None:
    start = midnight(dt.date(2027, 1, 10))
    number = submissions.add(db, draft(start=start), now=NOW)
    found = submissions.get(db, "morkov", number)
    assert found is not None
    rule = submissions.slide_rule(found, ZONE, NOW)
    assert rule.start == start and rule.until == midnight(dt.date(2027, 2, 10))


def test_an_approval_that_fails_half_way_leaves_nothing(
    db: sqlite3.Connection, blobs: Blobs, tmp_path: Path, editor: int
) -> None:
    folder = tmp_path / "assets" / "morkov"
    number = submissions.add(db, draft(file_sha256=blobs.put(jpeg())), now=NOW)
    stale = submissions.get(db, "morkov", number)
    assert stale is not None
    # Someone else rejected it after this page was read: the file written is taken back.
    submissions.reject(db, stale, "Ikke i Mørkøv", editor)
    with pytest.raises(AlreadyDecided) as caught:
        submissions.approve(db, blobs, folder, stale, ZONE, editor)
    assert caught.value.status is Status.REJECTED
    assert list(folder.iterdir()) == []
    assert arrangement.load(db).rules == {}
    assert not db.in_transaction
    # A poster gone from the disk: nothing written, still pending.
    gone = submissions.add(db, draft(file_sha256="ab" * 32), now=NOW)
    pending = submissions.get(db, "morkov", gone)
    assert pending is not None
    with pytest.raises(PosterMissing):
        submissions.approve(db, blobs, folder, pending, ZONE, editor)
    assert list(folder.iterdir()) == []
    assert submissions.count_pending(db, "morkov") == 1


def test_rejecting_keeps_the_reason_and_who(db: sqlite3.Connection, editor: int) -> None:
    number = submissions.add(db, draft(), now=NOW)
    pending = submissions.get(db, "morkov", number)
    assert pending is not None
    submissions.reject(db, pending, "Det foregår ikke i Mørkøv.", editor, now=NOW + 5)
    [rejected] = submissions.decided(db, "morkov")
    assert rejected.status is Status.REJECTED and rejected.reason == "Det foregår ikke i Mørkøv."
    assert rejected.decided_by_email == "editor@morkov.dk"
    assert submissions.count_pending(db, "morkov") == 0
    with pytest.raises(AlreadyDecided):
        submissions.reject(db, pending, "igen", editor)


def test_decided_submissions_are_forgotten_30_days_after_the_decision(
    db: sqlite3.Connection, blobs: Blobs, tmp_path: Path, editor: int
) -> None:
    folder = tmp_path / "assets" / "morkov"
    waiting = submissions.add(db, draft(title="Venter"), now=NOW - 100 * DAY)
    early = submissions.add(db, draft(title="Afvist tidligt"), now=NOW)
    late = submissions.add(db, draft(title="Godkendt senere"), now=NOW)
    found = submissions.get(db, "morkov", early)
    assert found is not None
    submissions.reject(db, found, "nej", editor, now=NOW)
    found = submissions.get(db, "morkov", late)
    assert found is not None
    path = submissions.approve(db, blobs, folder, found, ZONE, editor, now=NOW + 10 * DAY)
    assert submissions.forget_decided(db, blobs, now=NOW + 29 * DAY) == 0
    assert submissions.forget_decided(db, blobs, now=NOW + 31 * DAY) == 1
    assert [s.id for s in submissions.decided(db, "morkov")] == [late]
    assert submissions.forget_decided(db, blobs, now=NOW + 41 * DAY) == 1
    assert submissions.decided(db, "morkov") == []
    # A pending one waits for an editor however old it is; an approved slide stays.
    assert [s.id for s in submissions.pending(db, "morkov")] == [waiting]
    assert path.exists()


def test_a_forgotten_posters_blob_goes_unless_something_uses_the_same_bytes(
    db: sqlite3.Connection, blobs: Blobs, editor: int
) -> None:
    lonely, shared, rendered = jpeg((1, 1, 1)), jpeg((2, 2, 2)), jpeg((3, 3, 3))
    shas = {
        name: blobs.put(data)
        for name, data in (("lonely", lonely), ("shared", shared), ("rendered", rendered))
    }
    for name in shas:
        number = submissions.add(db, draft(file_sha256=shas[name]), now=NOW)
        found = submissions.get(db, "morkov", number)
        assert found is not None
        submissions.reject(db, found, "nej", editor, now=NOW)
    submissions.add(db, draft(file_sha256=shas["shared"]), now=NOW)  # pending: kept
    db.execute(
        "INSERT INTO renditions VALUES (?, 'x', ?, 1, 1, 1, 'image/jpeg', 0)",
        ("c" * 64, shas["rendered"]),
    )
    assert submissions.forget_decided(db, blobs, now=NOW + 31 * DAY) == 3
    assert not blobs.path(shas["lonely"]).exists()
    assert blobs.path(shas["shared"]).exists() and blobs.path(shas["rendered"]).exists()


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("formand@mif.dk", True),
        ("Anne.Hansen+skaerm@mørkøv-if.dk", True),
        ("a@b.dk", True),
        ("", False),
        ("formand", False),
        ("formand@mif", False),
        ("for mand@mif.dk", False),
        ("a@b@c.dk", False),
        ('"><script>@x.dk', False),
        ("a@b.dk?subject=x", False),
        ("x" * 250 + "@b.dk", False),
    ],
)
def test_e_mail_addresses(address: str, ok: bool) -> None:
    assert submissions.is_email(address) is ok


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_per_client_and_per_area_slides_with_the_hour() -> None:
    clock = Clock()
    limiter = SubmissionLimiter(clock, per_client=2, per_area=3, tries_per_client=10)
    for _ in range(2):
        assert limiter.wait("1.1.1.1", "morkov") == 0
        limiter.tried("1.1.1.1")
        limiter.sent("1.1.1.1", "morkov")
        clock.now += 60
    # The client has sent its two: an hour after the first, it may again.
    assert limiter.wait("1.1.1.1", "morkov") == pytest.approx(3600 - 120)
    assert limiter.wait("2.2.2.2", "morkov") == 0
    limiter.sent("2.2.2.2", "morkov")
    # The area has had its three: nobody may send to it, others may send elsewhere.
    assert limiter.wait("3.3.3.3", "morkov") > 0
    assert limiter.wait("3.3.3.3", "jyderup") == 0
    clock.now += 3600
    assert limiter.wait("1.1.1.1", "morkov") == 0


def test_tries_count_whatever_became_of_them_and_bots_do_not_block_an_area() -> None:
    clock = Clock()
    limiter = SubmissionLimiter(clock, per_client=5, per_area=1, tries_per_client=3)
    for _ in range(3):
        limiter.tried("6.6.6.6")
    assert limiter.wait("6.6.6.6", "morkov") > 0
    # A bot's "submission" (the honeypot) counts for its client, never for the area.
    limiter.sent("7.7.7.7", None)
    assert limiter.wait("8.8.8.8", "morkov") == 0


def test_the_limiters_memory_is_bounded() -> None:
    clock = Clock()
    limiter = SubmissionLimiter(clock)
    limiter.MAX_KEYS = 10
    for number in range(50):
        limiter.tried(f"10.0.0.{number}")
        clock.now += 1
    assert len(limiter._times) <= 10
