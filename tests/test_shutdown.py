"""The server's loops end when they are cancelled, however the cancel falls.

Python 3.11's ``asyncio.wait_for`` loses a cancel that arrives in the same turn of the event
loop as the thing it waits for (fixed in 3.12): a loop around it then waits again, and the
server's shutdown hangs. It happened: a feed poll that ended just as the server stopped kept
the test server's lifespan waiting until the test gave up after 20 s. So the code waits with
``asyncio.timeout``, and this file holds it to that.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from signage_server import store
from signage_server.announcing import Announcer
from signage_server.blobs import Blobs
from signage_server.feeds.definitions import Feed
from signage_server.feeds.poller import Poller
from signage_server.hub import Hub

from .support import eventually

ROOT = Path(__file__).resolve().parent.parent


def test_no_code_waits_with_wait_for() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("signage_server", "player")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bwait_for\(", line.split("#")[0])
    ]
    assert not found, f"use asyncio.timeout(), not wait_for (loses a cancel on 3.11): {found}"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = store.connect(tmp_path / "signage.db")
    yield connection
    connection.close()


async def cancel_as_it_wakes(
    task: asyncio.Task[None], wake: Callable[[], Awaitable[object]]
) -> None:
    """Let ``task`` settle into its wait, then wake it and cancel it in the same turn of the
    event loop (``wake`` must not suspend)."""
    await asyncio.sleep(0.1)
    await wake()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=5)
    assert done, "the loop went on waiting after it was cancelled"


async def test_the_feed_poller_ends_when_cancelled_as_it_wakes(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    poller = Poller(db, Blobs(tmp_path / "blobs"), lambda: None)
    # A feed that fails at once, so that the poller then waits minutes for its next poll.
    feeds = [Feed(id="kommunen", url="http://127.0.0.1:9/nyheder.xml", kind="news", areas="all")]
    poller.configure(feeds)
    task = asyncio.create_task(poller.run())
    await eventually(lambda: poller.statuses.get("kommunen") is not None)

    async def wake() -> None:
        poller.configure(feeds)

    await cancel_as_it_wakes(task, wake)


async def test_the_announcer_ends_when_cancelled_as_it_wakes(db: sqlite3.Connection) -> None:
    async def recompose(areas: object) -> None:
        pass

    announcer = Announcer(db, Hub(), lambda: ["morkov"], recompose)
    task = asyncio.create_task(announcer.run())
    await cancel_as_it_wakes(task, announcer.changed)
