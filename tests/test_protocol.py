from __future__ import annotations

import json

import pytest

from player.protocol import (
    Area,
    Asset,
    Current,
    Heartbeat,
    Hello,
    Item,
    ProtocolError,
    Snapshot,
    SnapshotMessage,
    Status,
    check_protocol_version,
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
