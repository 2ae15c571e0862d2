"""The player core, driven with messages and a fixed clock: no sockets, no sleeps."""

from __future__ import annotations

from player import core
from player.core import (
    Activate,
    ConnectionChanged,
    Evict,
    Fetch,
    PlayerCore,
    Send,
    Show,
    next_item,
)
from player.protocol import (
    Area,
    Asset,
    Current,
    Heartbeat,
    Hello,
    Item,
    Snapshot,
    SnapshotMessage,
    Status,
)

A, B, C = ("a" * 64, "b" * 64, "c" * 64)


def snap(*items: Item) -> Snapshot:
    assets = tuple(Asset(sha, 100, "image/jpeg") for sha in sorted({i.asset for i in items}))
    return Snapshot(
        Area("morkov", "Mørkøv", "Europe/Copenhagen", "landscape"), items, assets
    ).with_version()


def item(name: str, asset: str, duration: float = 10, windows: tuple = ()) -> Item:  # type: ignore[type-arg]
    return Item(name, "image", asset, duration, windows)


ONE = snap(item("a", A), item("b", B))


def shows(commands: list[core.Command]) -> list[str | None]:
    return [c.item.id if c.item else None for c in commands if isinstance(c, Show)]


def sent(commands: list[core.Command]) -> list[object]:
    return [c.message for c in commands if isinstance(c, Send)]


def test_start_plays_the_saved_snapshot_when_all_of_it_is_on_disk() -> None:
    player = PlayerCore(token="t")
    commands = player.start(0, ONE, {A, B})
    assert commands[0] == Activate(ONE)
    assert shows(commands) == ["a"]
    assert player.item is not None and player.item.id == "a"


def test_start_without_the_assets_waits() -> None:
    player = PlayerCore(token="t")
    assert player.start(0, ONE, {A}) == []
    assert player.active is None


def test_hello_carries_the_version_on_screen() -> None:
    player = PlayerCore(token="t", software="p/1")
    player.start(0, ONE, {A, B})
    commands = player.connection_made(1)
    hello = sent(commands)[0]
    assert hello == Hello(token="t", version=ONE.version, software="p/1")
    assert ConnectionChanged(True) in commands
    assert isinstance(sent(commands)[1], Status)


def test_a_new_snapshot_is_fetched_then_activated() -> None:
    player = PlayerCore(token="t")
    player.start(0, None, set())
    player.connection_made(0)
    commands = player.received(SnapshotMessage(ONE), 1)
    assert commands == [Fetch(A, 100), Fetch(B, 100)]
    assert player.active is None and player.missing() == {A, B}
    assert player.asset_stored(A, 2) == []
    commands = player.asset_stored(B, 3)
    assert commands[0] == Activate(ONE)
    assert shows(commands) == ["a"]
    # The new version is reported within a second, at a random moment.
    assert sent(commands) == []
    assert sent(player.tick(3 + core.STATUS_SPREAD_SECONDS)) == [
        Status(version=ONE.version, item="a", time=3 + core.STATUS_SPREAD_SECONDS)
    ]


def test_the_old_snapshot_plays_until_the_new_one_is_complete() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B})
    two = snap(item("a", A), item("c", C))
    assert player.received(SnapshotMessage(two), 1) == [Fetch(C, 100)]
    assert player.active == ONE
    failed = player.asset_failed(C, 100, 2)
    assert len(failed) == 1 and isinstance(failed[0], Fetch) and failed[0].not_before > 2
    assert player.active == ONE
    assert player.asset_stored(C, 5)[0] == Activate(two)


def test_fetch_retries_back_off_with_a_cap() -> None:
    player = PlayerCore(token="t")
    player.start(0, None, set())
    player.received(SnapshotMessage(ONE), 0)
    delays = []
    for _ in range(12):
        (fetch,) = player.asset_failed(A, 100, 0)
        assert isinstance(fetch, Fetch)
        delays.append(fetch.not_before)
    assert delays[0] <= 3 and max(delays) <= core.FETCH_RETRY_CAP * 1.5
    assert delays[-1] > delays[0]


def test_a_failure_for_an_asset_no_longer_wanted_is_dropped() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B})
    assert player.asset_failed(C, 100, 1) == []


def test_current_and_same_version_change_nothing() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B})
    assert player.received(Current(ONE.version), 1) == []
    assert player.received(SnapshotMessage(ONE), 1) == []


def test_a_superseded_pending_snapshot_is_forgotten() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B})
    player.received(SnapshotMessage(snap(item("c", C))), 1)
    assert player.received(SnapshotMessage(ONE), 2) == []
    assert player.pending is None and player.missing() == set()


def test_items_rotate_by_duration() -> None:
    player = PlayerCore(token="t")
    player.start(0, snap(item("a", A, 5), item("b", B, 3)), {A, B})
    assert player.tick(4.9) == []
    assert shows(player.tick(5)) == ["b"]
    assert shows(player.tick(7.9)) == []
    assert shows(player.tick(8)) == ["a"]


def test_show_names_the_next_item_for_preloading() -> None:
    player = PlayerCore(token="t")
    commands = player.start(0, ONE, {A, B})
    show = next(c for c in commands if isinstance(c, Show))
    assert show.next is not None and show.next.id == "b"


def test_an_item_leaves_when_its_window_closes_also_off_line() -> None:
    player = PlayerCore(token="t")
    player.start(0, snap(item("a", A, 100, ((None, 50.0),)), item("b", B, 100)), {A, B})
    assert player.item is not None and player.item.id == "a"
    assert shows(player.tick(50)) == ["b"]
    assert shows(player.tick(150)) == []  # a has ended: b plays on alone
    assert player.item.id == "b"


def test_nothing_to_show() -> None:
    # By a trusted clock; an untrusted one plays the items anyway (test_core_hardening.py).
    player = PlayerCore(token="t", clock_synced=True)
    commands = player.start(6, snap(item("a", A, 10, ((None, 5.0),))), {A})
    assert shows(commands) == [None]


def test_a_recipe_change_keeps_the_item_on_screen_with_its_new_duration() -> None:
    player = PlayerCore(token="t")
    player.start(0, snap(item("a", A, 10), item("b", B, 10)), {A, B})
    player.tick(4)
    commands = player.received(SnapshotMessage(snap(item("a", A, 5), item("b", B, 5))), 4)
    assert shows(commands) == ["a"]
    assert shows(player.tick(5)) == ["b"]


def test_a_removed_item_is_replaced_at_once() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B})
    commands = player.received(SnapshotMessage(snap(item("b", B))), 1)
    assert shows(commands) == ["b"]


def test_heartbeats_and_clock_offset() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B})
    player.connection_made(0)
    assert not any(isinstance(m, Heartbeat) for m in sent(player.tick(10)))
    assert Heartbeat(20) in sent(player.tick(20))
    assert player.clock_offset is None and not player.clock_trusted()
    player.received(Heartbeat(1000), 1005)
    assert player.clock_offset == -5 and player.clock_trusted()
    player.received(Heartbeat(0), 1000)
    assert not player.clock_trusted()


def test_no_sends_while_off_line() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B})
    assert sent(player.tick(10)) == []
    player.connection_made(11)
    assert player.connection_lost(12) == [ConnectionChanged(False)]
    assert player.connection_lost(13) == []
    assert sent(player.tick(100)) == []


def test_unreferenced_assets_are_evicted_after_the_grace_period() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B, C})
    player.received(SnapshotMessage(snap(item("a", A))), 10)
    grace = core.EVICT_GRACE_SECONDS
    assert not [c for c in player.tick(grace - 1) if isinstance(c, Evict)]
    assert [c for c in player.tick(grace) if isinstance(c, Evict)] == [Evict(frozenset({C}))]
    assert not [c for c in player.tick(grace + 9) if isinstance(c, Evict)]
    assert [c for c in player.tick(grace + 10) if isinstance(c, Evict)] == [Evict(frozenset({B}))]
    assert player.cached == {A}


def test_an_asset_needed_again_is_not_evicted() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B})
    player.received(SnapshotMessage(snap(item("a", A))), 1)
    player.received(SnapshotMessage(ONE), 2)
    assert not [c for c in player.tick(10_000) if isinstance(c, Evict)]


def test_next_item_wraps_and_skips_closed_windows() -> None:
    items = (item("a", A), item("b", B, 10, ((None, 5.0),)), item("c", C))
    assert next_item(items, None, 0).id == "a"  # type: ignore[union-attr]
    assert next_item(items, items[0], 0).id == "b"  # type: ignore[union-attr]
    assert next_item(items, items[0], 6).id == "c"  # type: ignore[union-attr]
    assert next_item(items, items[2], 6).id == "a"  # type: ignore[union-attr]
    assert next_item((), None, 0) is None


def test_activation_reports_status_once() -> None:
    player = PlayerCore(token="t")
    player.start(0, None, set())
    player.connection_made(0)
    player.received(SnapshotMessage(ONE), 1)
    player.asset_stored(A, 1)
    assert sent(player.asset_stored(B, 2)) == []
    statuses = [m for t in (2.5, 3, 3.5, 4) for m in sent(player.tick(t)) if isinstance(m, Status)]
    assert statuses and all(s.version == ONE.version and s.item == "a" for s in statuses)
    assert len(statuses) == 1


def test_a_lost_asset_is_fetched_again_if_needed() -> None:
    player = PlayerCore(token="t")
    player.start(0, ONE, {A, B})
    assert player.asset_lost(A, 1) == [Fetch(A, 100)]
    assert A not in player.cached
    assert player.asset_lost(C, 1) == []
    # A retry for an asset of the active snapshot is allowed, too.
    assert player.asset_failed(A, 100, 2)
