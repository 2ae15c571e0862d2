from __future__ import annotations

import json

import pytest

from player.protocol import (
    MAX_SCREENSHOT_BYTES,
    Area,
    Asset,
    Current,
    Health,
    Heartbeat,
    Hello,
    Item,
    Pair,
    PairCode,
    Paired,
    ProtocolError,
    Screenshot,
    Snapshot,
    SnapshotMessage,
    Status,
    TakeScreenshot,
    check_protocol_version,
    has_screenshots,
    parse_player_message,
    parse_server_message,
    parse_snapshot,
    serialize,
)

SHA = "a" * 64


def snapshot(**changes: object) -> Snapshot:
    item = Item("morkov/a.jpg", "image", SHA, 8.0, ((None, 2000.0), (3000.0, None)), "A")
    base = Snapshot(
        Area("morkov", "Mørkøv", "Europe/Copenhagen", "landscape"),
        (item,),
        (Asset(SHA, 1234, "image/jpeg"),),
        {"header": {"title": "Mørkøv", "clock": True}},
    )
    return Snapshot(**{**base.__dict__, **changes}).with_version()


@pytest.mark.parametrize(
    "message",
    [
        Hello(token="scr_x", version=None, software="p/1"),
        Hello(token="scr_x", version="abc"),
        Status(version="v", item="morkov/a.jpg", time=12.5),
        Status(version=None, item=None, time=0),
        Heartbeat(time=1.5),
    ],
)
def test_player_messages_round_trip(message: Hello | Status | Heartbeat) -> None:
    assert parse_player_message(serialize(message)) == message


@pytest.mark.parametrize("message", [SnapshotMessage(snapshot()), Current("v1"), Heartbeat(3.0)])
def test_server_messages_round_trip(message: SnapshotMessage | Current | Heartbeat) -> None:
    assert parse_server_message(serialize(message)) == message


def test_danish_text_travels_as_utf8_not_escapes() -> None:
    frame = serialize(SnapshotMessage(snapshot()))
    assert "Mørkøv" in frame


def test_version_hashes_the_content() -> None:
    one, two = snapshot(), snapshot()
    assert one.version == two.version and len(one.version) == 16
    other = snapshot(zones={"header": {"title": "Jyderup", "clock": True}})
    assert other.version != one.version


def test_windows() -> None:
    item = snapshot().items[0]
    assert item.visible_at(1999) and not item.visible_at(2000)
    assert not item.visible_at(2500) and item.visible_at(3000)
    assert not item.ended_at(10**10)
    closed = Item("x", "image", SHA, 1, ((None, 10.0),))
    assert closed.ended_at(10) and not closed.ended_at(9.9)
    assert Item("x", "image", SHA, 1).visible_at(0)


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        ("", "expected JSON"),
        ("{", "expected JSON"),
        (b"\xff\xfe", "expected JSON"),
        ("[]", "expected a JSON object"),
        ('{"type": "nope"}', "expected a player message type, got 'nope'"),
        ('{"type": "hello", "protocol": "1.0", "version": null}', "token: expected a string"),
        ('{"type": "hello", "token": "t", "version": null}', "protocol: expected a string"),
        ('{"type": "hello", "token": "' + "x" * 300 + '", "protocol": "1.0"}', "at most 256"),
        (
            '{"type": "status", "version": null, "item": null, "time": "now"}',
            "time: expected a number",
        ),
        (
            '{"type": "status", "version": null, "item": null, "time": NaN}',
            "time: expected a number",
        ),
        ('{"type": "heartbeat", "time": true}', "time: expected a number"),
        ('{"type": "heartbeat", "time": Infinity}', "time: expected a number"),
    ],
)
def test_malformed_player_frames(frame: str | bytes, problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem.replace("(", r"\(")):
        parse_player_message(frame)


def test_oversize_frame() -> None:
    with pytest.raises(ProtocolError, match="at most"):
        parse_player_message("x" * (2**20 + 1))


def _body(**changes: object) -> dict[str, object]:
    body = snapshot().to_dict()
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (_body(area={"id": "m", "name": "M", "timezone": "UTC", "layout": "round"}), "layout"),
        (_body(assets=[{"sha256": "xyz", "size": 1, "type": "image/jpeg"}]), "64 hex"),
        (_body(assets=[{"sha256": SHA, "size": -1, "type": "image/jpeg"}]), "non-negative"),
        (_body(assets=[]), "not listed in assets"),
        (_body(items=[{**_body()["items"][0], "duration": 0}]), "duration"),  # type: ignore[index]
        (_body(items=[{**_body()["items"][0], "windows": [[1]]}]), "pairs"),  # type: ignore[index]
        (_body(items="all"), "expected a list"),
        (_body(zones=[]), "zones"),
        (_body(version=None), "version"),
    ],
)
def test_bad_snapshots_are_refused(body: dict[str, object], problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem):
        parse_snapshot(body)
    with pytest.raises(ProtocolError):
        parse_server_message(json.dumps({"type": "snapshot", "snapshot": body}))


def test_protocol_versions() -> None:
    check_protocol_version("1.0")
    check_protocol_version("1.7")
    for version in ("2.0", "0.9", "", "one"):
        with pytest.raises(ProtocolError, match="unsupported protocol version"):
            check_protocol_version(version)


def test_items_of_an_unknown_kind_are_skipped_not_fatal() -> None:
    """A newer server may send kinds an older player cannot show; the rest must play."""
    body = _body()
    newer = {"id": "news/1", "kind": "news", "duration": 8, "windows": [], "headline": "Nyt"}
    body["items"] = [newer, *body["items"]]  # type: ignore[misc]
    parsed = parse_snapshot(body)
    assert [item.id for item in parsed.items] == ["morkov/a.jpg"]


# --- 1.3: health, screenshots, pairing, opening hours -------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        Heartbeat(time=2.0, health=Health()),
        Heartbeat(
            time=2.0,
            health=Health(
                uptime=86400.5,
                player_uptime=12.0,
                cache_bytes=123_456,
                disk_free=10**10,
                disk_total=2 * 10**10,
                disk_full=False,
                memory=30_000_000,
                temperature=51.6,
                throttled="0x50005",
                clock_trusted=True,
                clock_offset=-0.25,
                display="on",
            ),
        ),
        Screenshot(id=3, what="Julemarked (morkov/a.jpg)", data="aGVq", mime="image/jpeg", time=5),
        Screenshot(id=3, what="Intet på skærmen", error="grim: no Wayland display", time=5),
        Pair(software="lokalskaerm-player/0.1.0"),
    ],
)
def test_player_messages_of_1_3_round_trip(message: object) -> None:
    assert parse_player_message(serialize(message)) == message  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "message",
    [
        TakeScreenshot(7),
        PairCode("K7M-4QX", 1800.0, "https://skaerm.example/screens?code=K7M4QX", "<svg/>"),
        Paired("scr_abc", "morkov", "Forsamlingshuset"),
        SnapshotMessage(snapshot(display=((1000.0, 2000.0), (3000.0, 4000.0)))),
        SnapshotMessage(snapshot(display=())),
    ],
)
def test_server_messages_of_1_3_round_trip(message: object) -> None:
    assert parse_server_message(serialize(message)) == message  # type: ignore[arg-type]


def test_a_snapshot_without_opening_hours_has_the_1_2_shape_and_version() -> None:
    """Adding ``display`` must not change the version of every existing snapshot."""
    body = snapshot().to_dict()
    assert "display" not in body
    assert snapshot(display=((1.0, 2.0),)).version != snapshot().version


def test_the_display_is_on_in_its_windows_and_after_the_last() -> None:
    hours = snapshot(display=((1000.0, 2000.0), (3000.0, 4000.0)))
    assert [hours.display_on_at(t) for t in (999, 1000, 1999, 2000, 3500, 4000, 9999)] == [
        False, True, True, False, True, True, True,
    ]  # fmt: skip
    assert snapshot().display_on_at(0)
    assert snapshot(display=()).display_on_at(0)  # no window known: on


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        ('{"type": "heartbeat", "time": 1, "health": []}', "health: expected an object"),
        ('{"type": "heartbeat", "time": 1, "health": {"uptime": "1"}}', "health.uptime"),
        ('{"type": "heartbeat", "time": 1, "health": {"disk_free": -1}}', "disk_free"),
        ('{"type": "heartbeat", "time": 1, "health": {"disk_free": 1e30}}', "disk_free"),
        (
            '{"type": "heartbeat", "time": 1, "health": {"memory": 9223372036854775808}}',
            "2\\*\\*63",
        ),
        ('{"type": "heartbeat", "time": 1, "health": {"temperature": 1e308}}', "-273.15 to 1000"),
        ('{"type": "heartbeat", "time": 1, "health": {"uptime": -5}}', "health.uptime"),
        ('{"type": "heartbeat", "time": 1, "health": {"clock_offset": -1e11}}', "clock_offset"),
        ('{"type": "heartbeat", "time": 1, "health": {"disk_full": 1}}', "true or false"),
        ('{"type": "heartbeat", "time": 1, "health": {"display": "' + "x" * 65 + '"}}', "64"),
        ('{"type": "screenshot", "id": 1, "time": 1}', "what: expected a string"),
        (
            '{"type": "screenshot", "id": 1, "what": "x", "time": 1, "data": "AA", "mime": "t"}',
            "mime",
        ),
        ('{"type": "pair"}', "protocol: expected a string"),
    ],
)
def test_malformed_1_3_player_frames(frame: str, problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem):
        parse_player_message(frame)


def test_a_screenshot_larger_than_the_cap_is_refused() -> None:
    data = "A" * (MAX_SCREENSHOT_BYTES * 4 // 3 + 8)
    frame = serialize(Screenshot(id=1, what="x", data=data, mime="image/jpeg", time=1))
    with pytest.raises(ProtocolError, match="at most"):
        parse_player_message(frame)


def test_unknown_health_fields_are_ignored() -> None:
    frame = '{"type": "heartbeat", "time": 1, "health": {"fan": 3, "uptime": 5}}'
    assert parse_player_message(frame) == Heartbeat(1.0, Health(uptime=5.0))


def test_screenshots_need_1_3() -> None:
    assert has_screenshots("1.3") and has_screenshots("1.10")
    assert not has_screenshots("1.2") and not has_screenshots("x")
