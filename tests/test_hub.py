from __future__ import annotations

from player.protocol import Area, Snapshot
from signage_server.hub import Hub


def snapshot(version: str) -> Snapshot:
    return Snapshot(Area("morkov", "Mørkøv", "Europe/Copenhagen", "landscape"), (), (), {}, version)


def test_a_screen_is_offered_only_the_newest_version() -> None:
    hub = Hub()
    hub.publish(snapshot("a"))
    screen = hub.subscribe(1, "morkov", None)
    hub.publish(snapshot("b"))
    hub.publish(snapshot("c"))
    taken = screen.take()
    assert taken is not None and taken[1] == "c"
    assert screen.take() is None


def test_going_back_to_the_version_a_screen_has_cancels_the_waiting_one() -> None:
    hub = Hub()
    hub.publish(snapshot("a"))
    screen = hub.subscribe(1, "morkov", "a")
    assert screen.take() is None
    hub.publish(snapshot("b"))
    hub.publish(snapshot("a"))
    assert screen.take() is None
    assert screen.version == "a"


def test_the_same_version_is_not_published_twice() -> None:
    hub = Hub()
    assert hub.publish(snapshot("a"))
    assert not hub.publish(snapshot("a"))
    screen = hub.subscribe(7, "morkov", None)
    assert hub.screen_connected(7, "morkov") and hub.connected("morkov") == 1
    hub.unsubscribe(screen)
    assert not hub.screen_connected(7, "morkov") and hub.connected() == 0
    hub.withdraw("morkov")
    assert hub.current("morkov") is None and hub.areas() == []
