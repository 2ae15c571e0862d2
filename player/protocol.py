"""The wire protocol between the server and the players.

Both sides import this module; it never touches a socket. Every message is one
JSON text frame with a ``type`` field. ``parse_*`` turns a frame into a message
and raises :class:`ProtocolError` on anything malformed; ``serialize`` turns a
message back into a frame. See docs/protocol.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

#: major.minor; a peer with another major version is refused.
PROTOCOL_VERSION: Final = "1.3"
PROTOCOL_MAJOR: Final = 1

#: Largest frame either side accepts, in bytes.
MAX_MESSAGE_BYTES: Final = 1 << 20

# Close codes (4000-4999 are for applications).
CLOSE_PROTOCOL_ERROR: Final = 4000
CLOSE_UNAUTHORIZED: Final = 4001
CLOSE_UNSUPPORTED_VERSION: Final = 4002
#: Close codes after which a player should not hope that retrying soon helps.
FATAL_CLOSE_CODES: Final = frozenset({CLOSE_UNAUTHORIZED, CLOSE_UNSUPPORTED_VERSION})

SHA256_RE: Final = re.compile(r"^[0-9a-f]{64}$")
LAYOUTS: Final = ("landscape", "portrait")
#: "image": a picture; "page": a self-contained HTML page rendered by the server (1.1).
ITEM_KINDS: Final = ("image", "page")
#: "info": a banner (and a slide in the rotation); "urgent": takes over the screen (1.2).
SEVERITIES: Final = ("info", "urgent")
#: The first protocol version that has announcements.
ANNOUNCEMENTS_SINCE: Final = (1, 2)
#: The most plays in one ``plays`` frame (1.2).
MAX_PLAYS_PER_BATCH: Final = 500
#: The first protocol version that takes ``take_screenshot`` (1.3).
SCREENSHOTS_SINCE: Final = (1, 3)
#: Largest screenshot a player sends, in bytes before base64 (the frame stays under 1 MiB).
MAX_SCREENSHOT_BYTES: Final = 700_000
#: Largest QR code picture (SVG text) in a ``pair_code`` frame.
MAX_QR_CHARS: Final = 65_536


class ProtocolError(ValueError):
    """A frame or a value in it is not what the protocol allows."""


# --- values ----------------------------------------------------------------

Window = tuple[float | None, float | None]


@dataclass(frozen=True)
class Item:
    """One entry of a playlist: what to show, for how long, and when."""

    id: str
    kind: str
    asset: str
    duration: float
    #: Empty: always. Otherwise the item shows while ``start <= now < end`` for
    #: any window; ``None`` is an open end. Epoch seconds, UTC.
    windows: tuple[Window, ...] = ()
    title: str = ""

    def visible_at(self, now: float) -> bool:
        if not self.windows:
            return True
        return any(
            (start is None or start <= now) and (end is None or now < end)
            for start, end in self.windows
        )

    def ended_at(self, now: float) -> bool:
        """True once no window can open again."""
        if not self.windows:
            return False
        return all(end is not None and end <= now for _, end in self.windows)


@dataclass(frozen=True)
class Asset:
    sha256: str
    size: int
    type: str


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    timezone: str
    layout: str


@dataclass(frozen=True)
class Snapshot:
    """What the screens of one area should play; ``version`` hashes the rest."""

    area: Area
    items: tuple[Item, ...]
    assets: tuple[Asset, ...]
    zones: Mapping[str, Any] = field(default_factory=dict)
    version: str = ""
    #: When the area's screens should be switched on (1.3): ``None`` for always; else the
    #: windows of its opening hours for the next days, as an item's (epoch seconds, UTC).
    display: tuple[Window, ...] | None = None

    def asset_hashes(self) -> frozenset[str]:
        return frozenset(asset.sha256 for asset in self.assets)

    def display_on_at(self, now: float) -> bool:
        """Whether the screen should be on at ``now``: always without opening hours, and
        also after the last window the snapshot knows (better on than dark by mistake)."""
        if self.display is None:
            return True
        if all(end is not None and end <= now for _, end in self.display):
            return True
        return any(
            (start is None or start <= now) and (end is None or now < end)
            for start, end in self.display
        )

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "version": self.version,
            "area": {
                "id": self.area.id,
                "name": self.area.name,
                "timezone": self.area.timezone,
                "layout": self.area.layout,
            },
            "zones": dict(self.zones),
            "items": [
                {
                    "id": item.id,
                    "kind": item.kind,
                    "asset": item.asset,
                    "duration": item.duration,
                    "windows": [list(window) for window in item.windows],
                    "title": item.title,
                }
                for item in self.items
            ],
            "assets": [
                {"sha256": asset.sha256, "size": asset.size, "type": asset.type}
                for asset in self.assets
            ],
        }
        if self.display is not None:
            body["display"] = [list(window) for window in self.display]
        return body

    def with_version(self) -> Snapshot:
        """The same snapshot with ``version`` set to the hash of its content."""
        body = self.to_dict()
        del body["version"]
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        version = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        return Snapshot(self.area, self.items, self.assets, self.zones, version, self.display)


@dataclass(frozen=True)
class Announcement:
    """A message from the municipality to the screens of some areas (protocol 1.2).

    Shown while ``starts_at <= now < ends_at`` by the player's own clock, so one ends on
    time also on a screen that lost its network; cancelling one sends a set without it.
    """

    id: int
    title: str
    text: str
    severity: str
    starts_at: float
    ends_at: float
    #: A picture, fetched and verified like any asset; None without one.
    picture: Asset | None = None

    def active_at(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "severity": self.severity,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "picture": None
            if self.picture is None
            else {
                "sha256": self.picture.sha256,
                "size": self.picture.size,
                "type": self.picture.type,
            },
        }


# --- messages --------------------------------------------------------------


@dataclass(frozen=True)
class Hello:
    """Player → server, first frame: who I am and what I already have."""

    token: str
    version: str | None
    protocol: str = PROTOCOL_VERSION
    software: str = ""
    type: Literal["hello"] = "hello"


@dataclass(frozen=True)
class Status:
    """Player → server: what is on screen now."""

    version: str | None
    item: str | None
    time: float
    type: Literal["status"] = "status"


@dataclass(frozen=True)
class Health:
    """How a player's machine is doing, in its heartbeats (1.3). Every field may be
    unknown (None): a player reports what its machine can tell."""

    #: Seconds since the machine booted, and since the player started.
    uptime: float | None = None
    player_uptime: float | None = None
    #: Bytes of the asset cache; free and total bytes of its file system.
    cache_bytes: int | None = None
    disk_free: int | None = None
    disk_total: int | None = None
    #: True while the cache could not store an asset for want of space.
    disk_full: bool | None = None
    #: Resident memory of the player process, bytes.
    memory: int | None = None
    #: SoC temperature in °C and ``vcgencmd get_throttled`` as printed ("0x50005"): Pi only.
    temperature: float | None = None
    throttled: str | None = None
    #: Whether the player trusts its clock (synchronised, or within 30 s of the server's).
    clock_trusted: bool | None = None
    #: The server's clock minus the player's, seconds, from the last heartbeat.
    clock_offset: float | None = None
    #: "on", "off" or "unknown": what the display power command last said.
    display: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass(frozen=True)
class Heartbeat:
    """Either way; carries the sender's clock, and from a 1.3 player its health."""

    time: float
    health: Health | None = None
    type: Literal["heartbeat"] = "heartbeat"


@dataclass(frozen=True)
class SnapshotMessage:
    """Server → player: play this."""

    snapshot: Snapshot
    type: Literal["snapshot"] = "snapshot"


@dataclass(frozen=True)
class Current:
    """Server → player: the version you have is the current one."""

    version: str
    type: Literal["current"] = "current"


@dataclass(frozen=True)
class Announcements:
    """Server → player (1.2): every announcement for the screen's area that has not ended or
    been cancelled, as of ``seq`` (which only grows). The whole set, so a player that missed
    some while off-line is up to date with the next one it gets."""

    seq: int
    announcements: tuple[Announcement, ...]
    type: Literal["announcements"] = "announcements"


@dataclass(frozen=True)
class Ack:
    """Player → server (1.2): I have the announcements of ``seq``."""

    seq: int
    type: Literal["ack"] = "ack"


@dataclass(frozen=True)
class Shown:
    """Player → server (1.2): announcement ``id`` is on screen (since ``time``)."""

    id: int
    time: float
    type: Literal["shown"] = "shown"


@dataclass(frozen=True)
class Play:
    """One stretch of an item on screen (1.2): from ``started_at`` (epoch seconds, the
    player's clock) for ``seconds``."""

    item: str
    started_at: float
    seconds: float
    title: str = ""


@dataclass(frozen=True)
class Plays:
    """Player → server (1.2): what was on screen. The player numbers its plays 1, 2, 3 …;
    ``seq`` is the number of the last one here (the others precede it without gaps)."""

    seq: int
    plays: tuple[Play, ...]
    type: Literal["plays"] = "plays"


@dataclass(frozen=True)
class PlaysAck:
    """Server → player (1.2): every play numbered up to ``seq`` is stored. ``seq`` 0, sent
    once right after the hello, says that this server takes plays."""

    seq: int
    type: Literal["plays_ack"] = "plays_ack"


@dataclass(frozen=True)
class TakeScreenshot:
    """Server → player (1.3): send a picture of the screen, answering with ``id``."""

    id: int
    type: Literal["take_screenshot"] = "take_screenshot"


@dataclass(frozen=True)
class Screenshot:
    """Player → server (1.3): the answer to ``take_screenshot``.

    ``data`` is the picture in base64 (``mime`` says which kind), or None where the player
    cannot take one; ``what`` always says what is on screen in words, and ``error`` why
    there is no picture."""

    id: int
    what: str
    data: str | None = None
    mime: str | None = None
    error: str | None = None
    time: float = 0.0
    type: Literal["screenshot"] = "screenshot"


@dataclass(frozen=True)
class Pair:
    """Player → server on ``/ws/pair`` (1.3): a player without a token asks for a code."""

    protocol: str = PROTOCOL_VERSION
    software: str = ""
    type: Literal["pair"] = "pair"


@dataclass(frozen=True)
class PairCode:
    """Server → player on ``/ws/pair`` (1.3): the code to show until ``expires_at``; a new
    one follows before it expires. ``url`` is the admin's page for it, ``qr`` that URL as
    an SVG picture."""

    code: str
    expires_at: float
    url: str
    qr: str = ""
    type: Literal["pair_code"] = "pair_code"


@dataclass(frozen=True)
class Paired:
    """Server → player on ``/ws/pair`` (1.3): an admin entered the code. The token is sent
    this once; the server closes the connection after it."""

    token: str
    area: str
    name: str
    type: Literal["paired"] = "paired"


PlayerMessage = Hello | Status | Heartbeat | Ack | Shown | Plays | Screenshot | Pair
ServerMessage = (
    SnapshotMessage
    | Current
    | Heartbeat
    | Announcements
    | PlaysAck
    | TakeScreenshot
    | PairCode
    | Paired
)
Message = PlayerMessage | ServerMessage


def serialize(message: Message) -> str:
    """Encode a message as a JSON text frame."""
    if isinstance(message, SnapshotMessage):
        body: dict[str, Any] = {"type": message.type, "snapshot": message.snapshot.to_dict()}
    elif isinstance(message, Announcements):
        body = {
            "type": message.type,
            "seq": message.seq,
            "announcements": [item.to_dict() for item in message.announcements],
        }
    elif isinstance(message, Plays):
        body = {
            "type": message.type,
            "seq": message.seq,
            "plays": [
                {
                    "item": play.item,
                    "title": play.title,
                    "started_at": play.started_at,
                    "seconds": play.seconds,
                }
                for play in message.plays
            ],
        }
    elif isinstance(message, Heartbeat):
        body = {"type": message.type, "time": message.time}
        if message.health is not None:
            body["health"] = message.health.to_dict()
    else:
        body = {key: value for key, value in message.__dict__.items()}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def parse_player_message(frame: str | bytes) -> PlayerMessage:
    """Decode a frame sent by a player. Raises ProtocolError."""
    body = _load(frame)
    kind = body.get("type")
    if kind == "hello":
        return Hello(
            token=_str(body, "token", limit=256),
            version=_optional_str(body, "version"),
            protocol=_str(body, "protocol", limit=16),
            software=_optional_str(body, "software") or "",
        )
    if kind == "status":
        return Status(
            version=_optional_str(body, "version"),
            item=_optional_str(body, "item"),
            time=_number(body, "time"),
        )
    if kind == "heartbeat":
        health = body.get("health")
        return Heartbeat(
            time=_number(body, "time"), health=None if health is None else _parse_health(health)
        )
    if kind == "ack":
        return Ack(seq=_int(body, "seq"))
    if kind == "shown":
        return Shown(id=_int(body, "id"), time=_number(body, "time"))
    if kind == "plays":
        entries = _list(body, "plays")
        if len(entries) > MAX_PLAYS_PER_BATCH:
            raise ProtocolError(
                f"plays: expected at most {MAX_PLAYS_PER_BATCH} plays, got {len(entries)}"
            )
        return Plays(seq=_int(body, "seq"), plays=tuple(_parse_play(entry) for entry in entries))
    if kind == "screenshot":
        data = _optional_str(body, "data", limit=MAX_SCREENSHOT_BYTES * 4 // 3 + 4)
        mime = _optional_str(body, "mime", limit=64)
        if data is not None and mime not in ("image/jpeg", "image/png"):
            raise ProtocolError(f"mime: expected image/jpeg or image/png, got {mime!r:.80}")
        return Screenshot(
            id=_int(body, "id"),
            what=_str(body, "what"),
            data=data,
            mime=mime,
            error=_optional_str(body, "error"),
            time=_number(body, "time"),
        )
    if kind == "pair":
        return Pair(
            protocol=_str(body, "protocol", limit=16),
            software=_optional_str(body, "software") or "",
        )
    raise ProtocolError(f"expected a player message type, got {kind!r}")


def parse_server_message(frame: str | bytes) -> ServerMessage:
    """Decode a frame sent by the server. Raises ProtocolError."""
    body = _load(frame)
    kind = body.get("type")
    if kind == "snapshot":
        return SnapshotMessage(snapshot=parse_snapshot(_mapping(body, "snapshot")))
    if kind == "current":
        return Current(version=_str(body, "version"))
    if kind == "heartbeat":
        return Heartbeat(time=_number(body, "time"))
    if kind == "announcements":
        return Announcements(
            seq=_int(body, "seq"),
            announcements=tuple(
                _parse_announcement(entry) for entry in _list(body, "announcements")
            ),
        )
    if kind == "plays_ack":
        return PlaysAck(seq=_int(body, "seq"))
    if kind == "take_screenshot":
        return TakeScreenshot(id=_int(body, "id"))
    if kind == "pair_code":
        return PairCode(
            code=_str(body, "code", limit=32),
            expires_at=_number(body, "expires_at"),
            url=_str(body, "url"),
            qr=_optional_str(body, "qr", limit=MAX_QR_CHARS) or "",
        )
    if kind == "paired":
        return Paired(
            token=_str(body, "token", limit=256), area=_str(body, "area"), name=_str(body, "name")
        )
    raise ProtocolError(f"expected a server message type, got {kind!r}")


def parse_snapshot(body: Mapping[str, Any]) -> Snapshot:
    """Build a Snapshot from its dict form, checking every field. Raises ProtocolError."""
    area_body = _mapping(body, "area")
    layout = _str(area_body, "layout")
    if layout not in LAYOUTS:
        raise ProtocolError(f"area.layout: expected one of {LAYOUTS}, got {layout!r}")
    area = Area(
        id=_str(area_body, "id"),
        name=_str(area_body, "name"),
        timezone=_str(area_body, "timezone"),
        layout=layout,
    )
    assets = tuple(_parse_asset(entry) for entry in _list(body, "assets"))
    known = {asset.sha256 for asset in assets}
    # Items of a kind this side does not know (from a newer server) are skipped, not fatal.
    items = tuple(
        item
        for item in (_parse_item(entry, known) for entry in _list(body, "items"))
        if item is not None
    )
    zones = body.get("zones", {})
    if not isinstance(zones, Mapping):
        raise ProtocolError(f"zones: expected an object, got {type(zones).__name__}")
    display = None if body.get("display") is None else _windows(body, "display")
    return Snapshot(area, items, assets, dict(zones), _str(body, "version"), display)


def has_announcements(version: str) -> bool:
    """Whether a peer speaking ``version`` knows the announcement messages."""
    return _at_least(version, ANNOUNCEMENTS_SINCE)


def has_screenshots(version: str) -> bool:
    """Whether a peer speaking ``version`` answers ``take_screenshot``; such a player is
    also sent the server's clock at once after its hello (1.3)."""
    return _at_least(version, SCREENSHOTS_SINCE)


def _at_least(version: str, since: tuple[int, int]) -> bool:
    major, _, minor = version.partition(".")
    try:
        return (int(major), int(minor or 0)) >= since
    except ValueError:
        return False


def check_protocol_version(version: str) -> None:
    """Raise ProtocolError unless ``version`` has our major version."""
    major, _, _ = version.partition(".")
    if major != str(PROTOCOL_MAJOR):
        raise ProtocolError(
            f"unsupported protocol version {version!r}; this side speaks {PROTOCOL_VERSION}"
        )


# --- helpers ---------------------------------------------------------------


def _parse_asset(entry: Any) -> Asset:
    if not isinstance(entry, Mapping):
        raise ProtocolError(f"assets: expected objects, got {type(entry).__name__}")
    sha = _str(entry, "sha256")
    if not SHA256_RE.match(sha):
        raise ProtocolError(f"assets.sha256: expected 64 hex digits, got {sha!r}")
    size = entry.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ProtocolError(f"assets.size: expected a non-negative integer, got {size!r}")
    return Asset(sha, size, _str(entry, "type"))


def _parse_item(entry: Any, known_assets: set[str]) -> Item | None:
    if not isinstance(entry, Mapping):
        raise ProtocolError(f"items: expected objects, got {type(entry).__name__}")
    kind = _str(entry, "kind")
    if kind not in ITEM_KINDS:
        return None
    asset = _str(entry, "asset")
    if asset not in known_assets:
        raise ProtocolError(f"items.asset: {asset!r} is not listed in assets")
    duration = _number(entry, "duration")
    if not 0 < duration <= 86400:
        raise ProtocolError(f"items.duration: expected 0 < seconds <= 86400, got {duration!r}")
    windows = _windows(entry, "windows")
    title = entry.get("title", "")
    if not isinstance(title, str):
        raise ProtocolError(f"items.title: expected a string, got {title!r}")
    return Item(_str(entry, "id"), kind, asset, duration, windows, title)


def _windows(body: Mapping[str, Any], key: str) -> tuple[Window, ...]:
    windows = []
    for window in _list(body, key):
        if not (isinstance(window, list) and len(window) == 2):
            raise ProtocolError(f"{key}: expected [start, end] pairs, got {window!r:.80}")
        start, end = (_optional_number(value, key) for value in window)
        windows.append((start, end))
    return tuple(windows)


#: The health's numbers and the ranges a real machine stays in (seconds, °C).
_HEALTH_NUMBERS = {
    "uptime": (0.0, 1e10),
    "player_uptime": (0.0, 1e10),
    "temperature": (-273.15, 1000.0),
    "clock_offset": (-1e10, 1e10),
}
_HEALTH_INTEGERS = ("cache_bytes", "disk_free", "disk_total", "memory")
#: Bytes: SQLite's largest integer (a 9.2 EB disk).
_HEALTH_INTEGER_MAX = 2**63 - 1
_HEALTH_FLAGS = ("disk_full", "clock_trusted")
_HEALTH_WORDS = ("throttled", "display")


def _parse_health(body: Any) -> Health:
    if not isinstance(body, Mapping):
        raise ProtocolError(f"health: expected an object, got {type(body).__name__}")
    values: dict[str, Any] = {}
    for key, (low, high) in _HEALTH_NUMBERS.items():
        value = _optional_number(body.get(key), f"health.{key}")
        if value is not None and not low <= value <= high:
            raise ProtocolError(f"health.{key}: expected {low:g} to {high:g}, got {value!r}")
        values[key] = value
    for key in _HEALTH_INTEGERS:
        if body.get(key) is not None:
            values[key] = _int(body, key)
            if values[key] > _HEALTH_INTEGER_MAX:
                raise ProtocolError(f"health.{key}: expected at most 2**63 - 1")
    for key in _HEALTH_FLAGS:
        value = body.get(key)
        if value is not None and not isinstance(value, bool):
            raise ProtocolError(f"health.{key}: expected true or false, got {value!r:.80}")
        values[key] = value
    for key in _HEALTH_WORDS:
        values[key] = _optional_str(body, key, limit=64)
    return Health(**values)


def _parse_announcement(entry: Any) -> Announcement:
    if not isinstance(entry, Mapping):
        raise ProtocolError(f"announcements: expected objects, got {type(entry).__name__}")
    severity = _str(entry, "severity")
    if severity not in SEVERITIES:
        severity = "urgent"  # a kind from a newer server: better too visible than missed
    picture = entry.get("picture")
    starts_at, ends_at = _number(entry, "starts_at"), _number(entry, "ends_at")
    if ends_at <= starts_at:
        raise ProtocolError("announcements: ends_at must be after starts_at")
    return Announcement(
        id=_int(entry, "id"),
        title=_str(entry, "title"),
        text=_str(entry, "text"),
        severity=severity,
        starts_at=starts_at,
        ends_at=ends_at,
        picture=None if picture is None else _parse_asset(picture),
    )


def _parse_play(entry: Any) -> Play:
    if not isinstance(entry, Mapping):
        raise ProtocolError(f"plays: expected objects, got {type(entry).__name__}")
    seconds = _number(entry, "seconds")
    if not 0 < seconds <= 86400:
        raise ProtocolError(f"plays.seconds: expected 0 < seconds <= 86400, got {seconds!r}")
    title = entry.get("title", "")
    if not isinstance(title, str) or len(title) > 4096:
        raise ProtocolError(f"plays.title: expected a string, got {title!r:.80}")
    return Play(_str(entry, "item"), _number(entry, "started_at"), seconds, title)


def _load(frame: str | bytes) -> Mapping[str, Any]:
    if len(frame) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"expected at most {MAX_MESSAGE_BYTES} bytes, got {len(frame)}")
    try:
        body = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"expected JSON, got {exc}") from None
    if not isinstance(body, dict):
        raise ProtocolError(f"expected a JSON object, got {type(body).__name__}")
    return body


def _str(body: Mapping[str, Any], key: str, limit: int = 4096) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"{key}: expected a string, got {value!r:.80}")
    if len(value) > limit:
        raise ProtocolError(f"{key}: expected at most {limit} characters, got {len(value)}")
    return value


def _optional_str(body: Mapping[str, Any], key: str, limit: int = 4096) -> str | None:
    if body.get(key) is None:
        return None
    return _str(body, key, limit)


def _number(body: Mapping[str, Any], key: str) -> float:
    value = _optional_number(body.get(key), key)
    if value is None:
        raise ProtocolError(f"{key}: expected a number, got None")
    return value


def _optional_number(value: Any, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"{key}: expected a number, got {value!r:.80}")
    return float(value)


def _int(body: Mapping[str, Any], key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProtocolError(f"{key}: expected a non-negative integer, got {value!r:.80}")
    return value


def _mapping(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{key}: expected an object, got {type(value).__name__}")
    return value


def _list(body: Mapping[str, Any], key: str) -> list[Any]:
    value = body.get(key, [])
    if not isinstance(value, list):
        raise ProtocolError(f"{key}: expected a list, got {type(value).__name__}")
    return value
