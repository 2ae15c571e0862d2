"""Citizens' submissions: a poster or a short text sent to an area's screens without an
account, kept aside until an editor of the area approves it (then it becomes a slide of
the area's drop folder, with the dates given) or rejects it with a reason.

Nothing submitted is shown anywhere before the approval: the row lives in the
``submissions`` table and the poster as a blob (by its sha256, never in a drop folder).
No e-mail is sent to anyone (there is no mail server): the editor sees the contact
address and answers from their own mail if they want to.

Rules decided here:

- A submission shows from its first day (or the approval) to its last day; without a
  last day it shows for :data:`DEFAULT_DAYS` days, which the editor may change later
  in the slide's settings. The last day may be at most :data:`MAX_DAYS_AHEAD` ahead.
- With a poster, the poster is the slide (its text is a note to the editor); without one
  the title and text become a text slide. A PDF may have at most :data:`MAX_PAGES` pages.
- Kept: pending submissions until an editor decides; a decided one (its row, contact
  address and poster blob) for :data:`KEEP_DECIDED_DAYS` days after the decision, then
  :func:`forget_decided` deletes it. An approved slide lives on as a file of the drop
  folder, which is not touched.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from . import arrangement, textslides, uploads
from .blobs import Blobs
from .recipes import SlideRule

MAX_CONTACT = 254
MAX_REASON = 500
MAX_DAYS_AHEAD = 90
DEFAULT_DAYS = 30
#: A citizen's PDF is a poster, not a programme: each page would become a slide.
MAX_PAGES = 4
KEEP_DECIDED_DAYS = 30
#: How many decided submissions the queue shows below the pending ones.
DECIDED_SHOWN = 20
#: Characters an e-mail address may not have in any part (besides spaces): they have no
#: use in the addresses people give, and keep the address harmless in a mailto: link.
_EMAIL_RE = re.compile(
    r"^[^@\s<>()\[\]\\,;:\"'/?#&=%]+@(?:[^@\s<>()\[\]\\,;:\"'/?#&=%.]+\.)+"
    r"[^@\s<>()\[\]\\,;:\"'/?#&=%.\d]{2,}$"
)


class Status(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class AlreadyDecided(Exception):
    """The submission was approved or rejected already (by someone quicker, perhaps)."""

    def __init__(self, status: Status) -> None:
        super().__init__(f"expected a pending submission, got an {status} one")
        self.status = status


class PosterMissing(Exception):
    """The poster's blob is gone from the disk (removed by hand): nothing to approve."""


@dataclass(frozen=True)
class Draft:
    """A checked submission, before it is stored."""

    area: str
    title: str
    contact: str
    text: str = ""
    start: dt.datetime | None = None
    #: The end of the last day (the next midnight, as the slide settings have it).
    until: dt.datetime | None = None
    file_name: str | None = None
    file_sha256: str | None = None


@dataclass(frozen=True)
class Submission:
    id: int
    area: str
    title: str
    text: str
    contact: str
    start: dt.datetime | None
    until: dt.datetime | None
    file_name: str | None
    file_sha256: str | None
    status: Status
    reason: str | None
    slide_file: str | None
    created_at: float
    decided_at: float | None
    decided_by: int | None
    decided_by_email: str | None

    @property
    def is_pdf(self) -> bool:
        return bool(self.file_name and self.file_name.casefold().endswith(".pdf"))


def is_email(value: str) -> bool:
    """Whether ``value`` looks like an e-mail address one can write to (no check that it
    exists: that needs a mail server)."""
    return len(value) <= MAX_CONTACT and bool(_EMAIL_RE.match(value))


# --- storing and reading -------------------------------------------------------------------


def add(db: sqlite3.Connection, draft: Draft, now: float | None = None) -> int:
    """Store a pending submission; returns its id."""
    cursor = db.execute(
        "INSERT INTO submissions (area, title, text, contact, starts_at, ends_at, file_name, "
        "file_sha256, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            draft.area,
            draft.title,
            draft.text,
            draft.contact,
            draft.start.timestamp() if draft.start else None,
            draft.until.timestamp() if draft.until else None,
            draft.file_name,
            draft.file_sha256,
            Status.PENDING.value,
            time.time() if now is None else now,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


_SELECT = (
    "SELECT submissions.*, users.email AS decided_by_email FROM submissions "
    "LEFT JOIN users ON users.id = submissions.decided_by "
)


def get(db: sqlite3.Connection, area: str, submission_id: int) -> Submission | None:
    """The submission of this id in this area (None for another area's id: its queue is
    not this one)."""
    row = db.execute(
        _SELECT + "WHERE submissions.id = ? AND submissions.area = ?", (submission_id, area)
    ).fetchone()
    return None if row is None else _submission(row)


def pending(db: sqlite3.Connection, area: str) -> list[Submission]:
    """The area's pending submissions, newest first."""
    rows = db.execute(
        _SELECT + "WHERE submissions.area = ? AND status = 'pending' "
        "ORDER BY created_at DESC, submissions.id DESC",
        (area,),
    )
    return [_submission(row) for row in rows]


def decided(db: sqlite3.Connection, area: str, limit: int = DECIDED_SHOWN) -> list[Submission]:
    """The area's latest decided submissions, the latest decision first."""
    rows = db.execute(
        _SELECT + "WHERE submissions.area = ? AND status != 'pending' "
        "ORDER BY decided_at DESC, submissions.id DESC LIMIT ?",
        (area, limit),
    )
    return [_submission(row) for row in rows]


def count_pending(db: sqlite3.Connection, area: str) -> int:
    row = db.execute(
        "SELECT count(*) FROM submissions WHERE area = ? AND status = 'pending'", (area,)
    ).fetchone()
    return int(row[0])


def poster(blobs: Blobs, submission: Submission) -> bytes | None:
    """The poster's bytes, or None when it has none. Raises PosterMissing."""
    if submission.file_sha256 is None:
        return None
    try:
        return blobs.path(submission.file_sha256).read_bytes()
    except (OSError, ValueError):
        raise PosterMissing(f"the poster of submission {submission.id} is gone") from None


# --- deciding ------------------------------------------------------------------------------


def slide_rule(submission: Submission, zone: ZoneInfo, now: float) -> SlideRule:
    """The slide's schedule: the dates given; without a last day, :data:`DEFAULT_DAYS`
    days from the first day (or from ``now``), to the end of that day in ``zone``."""
    until = submission.until
    if until is None:
        first = (submission.start or dt.datetime.fromtimestamp(now, zone)).astimezone(zone)
        last = first.date() + dt.timedelta(days=DEFAULT_DAYS)
        until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return SlideRule(start=submission.start, until=until, title=submission.title)


def approve(
    db: sqlite3.Connection,
    blobs: Blobs,
    folder: Path,
    submission: Submission,
    zone: ZoneInfo,
    user_id: int | None,
    now: float | None = None,
) -> Path:
    """Make the submission a slide of the drop folder ``folder`` (its poster, or a text
    slide), with its dates, and mark it approved; returns the slide's file. All or
    nothing: on any failure the file is removed and the row stays pending.

    Raises AlreadyDecided, PosterMissing, textslides.TextSlideError."""
    now = time.time() if now is None else now
    if submission.status is not Status.PENDING:
        raise AlreadyDecided(submission.status)
    data = poster(blobs, submission)
    if data is None:
        slide = textslides.make(submission.title, submission.text)
        name = uploads.name_from_title(slide.title, ".toml")
        data = textslides.dumps(slide)
    else:
        suffix = uploads.suffix_of(data)
        name = uploads.name_from_title(submission.title, suffix)
    path = uploads.write_new(folder, name, data)
    try:
        db.execute("BEGIN IMMEDIATE")
        cursor = db.execute(
            "UPDATE submissions SET status = 'approved', slide_file = ?, decided_at = ?, "
            "decided_by = ?, reason = NULL WHERE id = ? AND area = ? AND status = 'pending'",
            (path.name, now, user_id, submission.id, submission.area),
        )
        if cursor.rowcount != 1:
            raise AlreadyDecided(_status_of(db, submission.id))
        arrangement.save(
            db, folder.name, path.name, slide_rule(submission, zone, now), user_id=user_id
        )
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        uploads.remove(path)
        raise
    return path


def reject(
    db: sqlite3.Connection,
    submission: Submission,
    reason: str,
    user_id: int | None,
    now: float | None = None,
) -> None:
    """Mark the submission rejected, with the reason the editor gave. Raises AlreadyDecided."""
    cursor = db.execute(
        "UPDATE submissions SET status = 'rejected', reason = ?, decided_at = ?, decided_by = ? "
        "WHERE id = ? AND area = ? AND status = 'pending'",
        (reason, time.time() if now is None else now, user_id, submission.id, submission.area),
    )
    if cursor.rowcount != 1:
        raise AlreadyDecided(_status_of(db, submission.id))


def forget_decided(
    db: sqlite3.Connection,
    blobs: Blobs,
    now: float | None = None,
    keep_days: float = KEEP_DECIDED_DAYS,
) -> int:
    """Delete the submissions decided more than ``keep_days`` ago, with their contact
    addresses and posters (a poster's blob only when nothing else uses the same bytes).
    Returns how many were deleted."""
    now = time.time() if now is None else now
    cutoff = now - keep_days * 24 * 60 * 60
    rows = db.execute(
        "SELECT id, file_sha256 FROM submissions WHERE status != 'pending' AND decided_at < ?",
        (cutoff,),
    ).fetchall()
    if not rows:
        return 0
    db.executemany("DELETE FROM submissions WHERE id = ?", [(row["id"],) for row in rows])
    forget_blobs(db, blobs, (row["file_sha256"] for row in rows if row["file_sha256"]))
    return len(rows)


def forget_blobs(db: sqlite3.Connection, blobs: Blobs, shas: Iterable[str]) -> None:
    """Remove the blobs of posters that nothing uses any more: no submission, and no
    rendition, page or feed picture that happens to be the same bytes."""
    for sha in set(shas):
        if not _blob_in_use(db, sha):
            try:
                blobs.path(sha).unlink(missing_ok=True)
            except ValueError:  # not a sha256: nothing of ours
                continue


def _blob_in_use(db: sqlite3.Connection, sha: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM submissions WHERE file_sha256 = ? "
            "UNION ALL SELECT 1 FROM renditions WHERE asset_sha256 = ? "
            "UNION ALL SELECT 1 FROM pages WHERE asset_sha256 = ? "
            "UNION ALL SELECT 1 FROM feed_pictures WHERE asset_sha256 = ? LIMIT 1",
            (sha, sha, sha, sha),
        ).fetchone()
        is not None
    )


def _status_of(db: sqlite3.Connection, submission_id: int) -> Status:
    row = db.execute("SELECT status FROM submissions WHERE id = ?", (submission_id,)).fetchone()
    # Deleted meanwhile (kept long enough): as good as decided.
    return Status(row["status"]) if row else Status.REJECTED


def _submission(row: sqlite3.Row) -> Submission:
    def moment(value: object) -> dt.datetime | None:
        return dt.datetime.fromtimestamp(value, dt.UTC) if isinstance(value, float) else None

    return Submission(
        id=row["id"],
        area=row["area"],
        title=row["title"],
        text=row["text"],
        contact=row["contact"],
        start=moment(row["starts_at"]),
        until=moment(row["ends_at"]),
        file_name=row["file_name"],
        file_sha256=row["file_sha256"],
        status=Status(row["status"]),
        reason=row["reason"],
        slide_file=row["slide_file"],
        created_at=row["created_at"],
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        decided_by_email=row["decided_by_email"],
    )


# --- the rate limit ------------------------------------------------------------------------


class SubmissionLimiter:
    """How much one client and one area may send, in a sliding window (an hour): stored
    submissions per client and per area, and tries per client (every form sent, refused
    or not: checking a poster costs real work). In memory: a restart clears it.

    A client is the address the request comes from; behind a reverse proxy, run the
    server with the proxy's forwarded headers trusted, or every citizen is one client.
    """

    #: Bounds the memory a flood from made-up addresses can take.
    MAX_KEYS = 100_000

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        per_client: int = 5,
        per_area: int = 30,
        tries_per_client: int = 20,
        window: float = 60 * 60.0,
    ) -> None:
        self.clock = clock
        self.window = window
        self.limits = {"client": per_client, "area": per_area, "try": tries_per_client}
        self._times: dict[tuple[str, str], deque[float]] = {}

    def wait(self, client: str, area: str) -> float:
        """Seconds until ``client`` may send to ``area`` again; 0 when it may now."""
        now = self.clock()
        keys = (("client", client), ("area", area), ("try", client))
        return max(self._wait(key, now) for key in keys)

    def tried(self, client: str) -> None:
        """A form came from ``client`` (counted whatever becomes of it)."""
        self._add(("try", client))

    def sent(self, client: str, area: str | None) -> None:
        """A submission was stored (``area`` None: a bot's, which counts for its client only)."""
        self._add(("client", client))
        if area is not None:
            self._add(("area", area))

    def _wait(self, key: tuple[str, str], now: float) -> float:
        times = self._times.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limits[key[0]]:
            return 0.0
        return max(0.0, times[-self.limits[key[0]]] + self.window - now)

    def _add(self, key: tuple[str, str]) -> None:
        now = self.clock()
        if key not in self._times and len(self._times) >= self.MAX_KEYS:
            self._forget(now)
        times = self._times.setdefault(key, deque())
        times.append(now)
        while len(times) > self.limits[key[0]]:
            times.popleft()

    def _forget(self, now: float) -> None:
        for key, times in list(self._times.items()):
            if not times or times[-1] <= now - self.window:
                del self._times[key]
        if len(self._times) >= self.MAX_KEYS:  # all recent: drop the oldest half
            oldest = sorted(self._times, key=lambda k: self._times[k][-1])
            for key in oldest[: len(oldest) // 2]:
                del self._times[key]
