"""The player core on a Pi in the field: a clock it cannot trust yet, opening hours that
switch the screen, and a full disk. Driven with messages and a fixed clock."""

from __future__ import annotations

from pathlib import Path

from player import core
from player.clock import system_clock_synced
from player.core import DisplayPower, Evict, Fetch, PlayerCore, Send
from player.protocol import Heartbeat, Item, Snapshot, SnapshotMessage

from .test_core import A, B, C, item, shows, snap

DAY = 86_400.0
#: Opening hours 8–22 on day 0 and day 1.
HOURS = ((8 * 3600.0, 22 * 3600.0), (DAY + 8 * 3600.0, DAY + 22 * 3600.0))


def hours(snapshot: Snapshot, display: tuple[tuple[float | None, float | None], ...]) -> Snapshot:
    return Snapshot(
        snapshot.area, snapshot.items, snapshot.assets, snapshot.zones, "", display
    ).with_version()


def power(commands: list[core.Command]) -> list[bool]:
    return [c.on for c in commands if isinstance(c, DisplayPower)]


# --- clock trust ---------------------------------------------------------------------

LATER = item("later", B, 10, ((1000.0, 2000.0),))
ENDED = item("ended", C, 10, ((None, 5.0),))


def test_clock_is_trusted_when_synchronised_or_near_the_servers() -> None:
    player = PlayerCore(token="t")
    assert not player.clock_trusted()
    player.clock_sync(True, 0)
    assert player.clock_trusted()
    player.clock_sync(False, 0)
    assert not player.clock_trusted()
    player.received(Heartbeat(100.0 + 5), 100.0)
    assert player.clock_trusted() and player.clock_offset == 5
    player.received(Heartbeat(100.0 + 3600), 100.0)  # every heartbeat renews the offset
    assert player.clock_offset == 3600 and not player.clock_trusted()
    player.clock_sync(True, 100)
    assert player.clock_trusted()


def test_untrusted_clock_plays_items_whose_windows_are_closed_rather_than_nothing() -> None:
    player = PlayerCore(token="t")
    commands = player.start(6, snap(ENDED, LATER), {B, C})
    assert shows(commands) == ["ended"]
    assert shows(player.tick(16)) == ["later"]
    assert shows(player.tick(26)) == ["ended"]


def test_untrusted_clock_still_follows_windows_when_something_is_visible() -> None:
    player = PlayerCore(token="t")
    player.start(6, snap(item("a", A), ENDED, LATER), {A, B, C})
    assert player.item is not None and player.item.id == "a"
    assert shows(player.tick(16)) == []  # a alone may show: it shows another round
    assert player.item.id == "a"


def test_once_trusted_the_windows_apply_at_once() -> None:
    player = PlayerCore(token="t")
    player.start(6, snap(ENDED, LATER), {B, C})
    assert shows(player.clock_sync(True, 7)) == [None]
    # No longer synchronised, and no word from the server: the items come back.
    assert shows(player.clock_sync(False, 8)) == ["ended"]
    assert player.clock_trusted() is False
    # The server's heartbeat says our clock is right: trusted again.
    assert shows(player.received(Heartbeat(9.0), 9.0)) == [None]
    # A day off by the server's clock: not trusted.
    assert shows(player.received(Heartbeat(10.0 + DAY), 10.0)) == ["ended"]


def test_a_clock_stepped_back_does_not_freeze_the_item_or_the_heartbeat() -> None:
    player = PlayerCore(token="t", clock_synced=True)
    player.start(10_000, snap(item("a", A), item("b", B)), {A, B})
    player.connection_made(10_000)
    # NTP moves the clock back an hour: the item moves on, a heartbeat goes out.
    commands = player.tick(10_000 - 3600)
    assert shows(commands) == ["b"]
    assert any(isinstance(c, Send) and isinstance(c.message, Heartbeat) for c in commands)
    assert shows(player.tick(10_000 - 3600 + 5)) == []
    assert shows(player.tick(10_000 - 3600 + 10)) == ["a"]


# --- display power -------------------------------------------------------------------


def test_no_opening_hours_and_never_switched_off_says_nothing() -> None:
    player = PlayerCore(token="t", clock_synced=True)
    assert power(player.start(0, snap(item("a", A)), {A})) == []
    assert power(player.tick(3 * 3600)) == []


def test_opening_hours_switch_the_screen_when_the_clock_is_trusted() -> None:
    player = PlayerCore(token="t", clock_synced=True)
    night, morning, evening = 3 * 3600.0, 8 * 3600.0, 22 * 3600.0
    assert power(player.start(night, hours(snap(item("a", A)), HOURS), {A})) == [False]
    assert player.display_on is False
    assert power(player.tick(night + 60)) == []
    assert power(player.tick(morning)) == [True]
    assert power(player.tick(morning + 60)) == []
    assert power(player.tick(evening)) == [False]
    assert power(player.tick(DAY + morning)) == [True]
    # After the last window the snapshot knows: on, better than dark by mistake.
    assert power(player.tick(DAY + evening)) == []
    assert power(player.tick(3 * DAY)) == []
    assert player.display_on is True


def test_the_first_decision_is_sent_even_when_it_is_on() -> None:
    player = PlayerCore(token="t", clock_synced=True)
    assert power(player.start(9 * 3600, hours(snap(item("a", A)), HOURS), {A})) == [True]


def test_an_untrusted_clock_never_switches_the_screen_off() -> None:
    player = PlayerCore(token="t")
    night = 3 * 3600.0
    assert power(player.start(night, hours(snap(item("a", A)), HOURS), {A})) == [True]
    assert power(player.tick(night + 1)) == []
    assert power(player.clock_sync(True, night + 2)) == [False]
    # The server's heartbeat cannot override a synchronised system clock.
    assert power(player.received(Heartbeat(night + 3 + 3600), night + 3)) == []
    assert power(player.clock_sync(False, night + 4)) == [True]  # offset off by an hour


def test_a_new_snapshot_brings_or_removes_opening_hours() -> None:
    player = PlayerCore(token="t", clock_synced=True)
    night = 3 * 3600.0
    player.start(night, snap(item("a", A)), {A})
    commands = player.received(
        SnapshotMessage(hours(snap(item("a", A), item("b", B)), HOURS)), night
    )
    assert power(commands) == []  # not yet: b is on its way
    assert power(player.asset_stored(B, night + 1)) == [False]
    commands = player.received(SnapshotMessage(snap(item("a", A))), night + 2)
    assert power(commands) == [True]  # no hours any more: always on


# --- a full disk ---------------------------------------------------------------------


def test_no_space_marks_the_disk_full_until_an_asset_is_stored() -> None:
    player = PlayerCore(token="t")
    player.start(0, None, ())
    player.received(SnapshotMessage(snap(item("a", A), item("b", B))), 0)
    commands = player.asset_no_space(A, 100, 10)
    assert player.disk_full
    assert commands and isinstance(commands[0], Fetch) and commands[0].sha256 == A
    assert commands[0].not_before >= 10 + core.NO_SPACE_RETRY_SECONDS * 0.5
    assert player.asset_no_space("d" * 64, 100, 10) == []  # nobody needs it: no retry
    player.asset_stored(B, 20)
    assert not player.disk_full


def test_evicted_assets_are_forgotten_and_needed_ones_fetched_again() -> None:
    player = PlayerCore(token="t")
    player.start(0, snap(item("a", A), item("b", B)), {A, B, C})
    assert player.needed() == {A, B}
    assert player.assets_evicted([C], 5) == []
    assert player.cached == {A, B}
    # C's grace period would have evicted it again: it is forgotten there too.
    assert not any(isinstance(c, Evict) for c in player.tick(5 + core.EVICT_GRACE_SECONDS))
    commands = player.assets_evicted([B], 6)
    assert commands == [Fetch(B, 100)]
    assert player.cached == {A}


def test_needed_holds_the_pending_snapshot_too() -> None:
    player = PlayerCore(token="t")
    player.start(0, snap(item("a", A)), {A})
    player.received(SnapshotMessage(snap(item("b", B))), 1)
    assert player.needed() == {A, B}


def test_unknown_items_are_not_invented() -> None:
    # An untrusted clock ignores windows, never the playlist: an empty one shows nothing.
    player = PlayerCore(token="t")
    empty = Snapshot(snap(item("a", A)).area, (), ()).with_version()
    commands = player.start(0, empty, set())
    assert shows(commands) == [None]
    assert isinstance(LATER, Item)


def test_system_clock_synced_reads_timesyncds_flag(tmp_path: Path) -> None:
    flag = tmp_path / "synchronized"
    assert system_clock_synced(flag) is False
    flag.touch()
    assert system_clock_synced(flag) is True
