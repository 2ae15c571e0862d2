"""The player core and announcements (protocol 1.2), without sockets or sleeps: acknowledge
each set, show what is active by the player's own clock, drop what ended or was cancelled,
fetch pictures, report what the page showed once, also after being off-line, and start
from the saved set."""

from __future__ import annotations

from collections.abc import Sequence

from player.core import (
    Evict,
    Fetch,
    PlayerCore,
    SaveAnnouncements,
    Send,
    ShowAnnouncements,
)
from player.protocol import (
    Ack,
    Announcement,
    Announcements,
    Asset,
    Shown,
    parse_player_message,
    parse_server_message,
    serialize,
)

T0 = 1_800_000_000.0
PICTURE = Asset("a" * 64, 1234, "image/jpeg")


def announcement(
    id: int = 1, severity: str = "urgent", start: float = T0, end: float = T0 + 3600, **kw: object
) -> Announcement:
    return Announcement(id, f"Vand {id}", "Lukket kl. 10-14", severity, start, end, **kw)  # type: ignore[arg-type]


def connected(now: float = T0) -> PlayerCore:
    core = PlayerCore(token="scr_x")
    core.start(now, None, [])
    core.connection_made(now)
    return core


def shows(commands: Sequence[object]) -> list[tuple[int, ...]]:
    return [tuple(a.id for a in c.active) for c in commands if isinstance(c, ShowAnnouncements)]


def sent(commands: Sequence[object]) -> list[object]:
    return [c.message for c in commands if isinstance(c, Send)]


def test_the_messages_round_trip() -> None:
    message = Announcements(7, (announcement(picture=PICTURE), announcement(2, "info")))
    assert parse_server_message(serialize(message)) == message
    assert parse_player_message(serialize(Ack(7))) == Ack(7)
    assert parse_player_message(serialize(Shown(3, T0))) == Shown(3, T0)


def test_a_set_is_acknowledged_saved_and_shown_while_active() -> None:
    core = connected()
    later = announcement(2, "info", start=T0 + 600, end=T0 + 1200)
    commands = core.received(Announcements(5, (announcement(1), later)), T0)
    assert sent(commands) == [Ack(5)]
    assert SaveAnnouncements(5, (announcement(1), later)) in commands
    assert shows(commands) == [(1,)]
    assert shows(core.tick(T0 + 1)) == []  # nothing changed
    assert shows(core.tick(T0 + 600)) == [(1, 2)]  # the later one starts by our clock
    assert shows(core.tick(T0 + 1200)) == [(1,)]
    assert shows(core.tick(T0 + 3600)) == [()]  # ended, also without the server
    assert core.announcements == ()


def test_cancel_is_a_set_without_it_and_an_old_set_never_wins() -> None:
    core = connected()
    core.received(Announcements(5, (announcement(1), announcement(2, "info"))), T0)
    commands = core.received(Announcements(6, (announcement(2, "info"),)), T0 + 5)
    assert shows(commands) == [(2,)]
    # A set overtaken by a newer one is acknowledged and ignored.
    stale = core.received(Announcements(5, (announcement(1),)), T0 + 6)
    assert sent(stale) == [Ack(5)] and shows(stale) == []
    assert [a.id for a in core.announcements] == [2]


def test_an_ended_announcement_is_never_shown() -> None:
    core = connected()
    ended = announcement(1, end=T0 - 1, start=T0 - 100)
    commands = core.received(Announcements(1, (ended,)), T0)
    assert shows(commands) == [] and core.announcements == ()


def test_the_picture_is_fetched_kept_and_shown_again_when_it_arrives() -> None:
    core = connected()
    commands = core.received(Announcements(1, (announcement(picture=PICTURE),)), T0)
    assert Fetch(PICTURE.sha256, PICTURE.size) in commands
    assert shows(core.asset_stored(PICTURE.sha256, T0 + 1)) == [(1,)]
    # Not evicted while the announcement lasts.
    assert not any(isinstance(c, Evict) for c in core.tick(T0 + 1000))
    assert core.asset_lost(PICTURE.sha256, T0 + 1001) == [Fetch(PICTURE.sha256, PICTURE.size)]


def test_shown_is_reported_once_and_after_an_outage() -> None:
    core = connected()
    core.received(Announcements(1, (announcement(1), announcement(2))), T0)
    assert sent(core.page_showed(1, T0 + 1)) == [Shown(1, T0 + 1)]
    assert core.page_showed(1, T0 + 2) == []
    assert core.page_showed(99, T0 + 2) == []  # not one of ours
    core.connection_lost(T0 + 3)
    assert core.page_showed(2, T0 + 4) == []
    again = sent(core.connection_made(T0 + 60))
    assert Shown(2, T0 + 4) in again and Shown(1, T0 + 1) not in again


def test_a_restart_without_a_network_goes_on_showing_the_saved_set() -> None:
    core = PlayerCore(token="scr_x")
    saved = (5, (announcement(1), announcement(2, end=T0 + 10)))
    commands = core.start(T0 + 20, None, [], saved)
    assert shows(commands) == [(1,)]
    assert core.announcements_seq == 5
