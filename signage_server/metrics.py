"""``GET /metrics``: the server's state and latencies in Prometheus' text format (0.0.4).

Written here rather than with ``prometheus-client``: the server runs on one event loop
thread, so a metric is a plain number and a histogram a list of counts, with no lock;
``prometheus-client`` takes a ``threading.Lock`` in every ``inc`` and ``observe``, once per
screen per push on the fan-out path. The text format is a few lines per metric family and
has been stable for years, so a dependency would save little.

Two kinds of figures:

- counted as things happen, on the :class:`Metrics` object that ``create_app`` keeps on
  ``app.state`` (one per app, no global registry): snapshots published, the fan-out and
  acknowledgement latency histograms, asset downloads;
- read from the hub, the content and the feed poller when scraped: screens connected per
  area, each feed's state, the process.

Access (:func:`allowed`): a client on the loopback address that comes straight to the server
(no proxy header), such as a Prometheus on the same host; any other client needs the bearer
token of ``--metrics-token``. The figures name areas and feeds, never content or secrets.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import math
import os
import resource
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

if TYPE_CHECKING:
    from .content import Content
    from .hub import Hub, Published

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Fan-out on loopback to 1,000 screens takes about 0.1 s; a slow screen a few seconds.
FANOUT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: A player reports the new version when it shows it, after fetching the assets it lacks.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: Headers that a reverse proxy adds: with one of them, a loopback client is not local.
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


class Histogram:
    """Observations counted per bucket, one increment each; made cumulative when written."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: Iterable[float]) -> None:
        self.bounds = tuple(sorted(bounds))
        # The last slot is the +Inf bucket.
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        # bisect_left: a value equal to a bound belongs to that bound's bucket (le).
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value


class Metrics:
    """What is counted as it happens; :meth:`render` adds what is read at a scrape."""

    def __init__(self, version: str, clock: Callable[[], float] = time.time) -> None:
        self.version = version
        self.started = clock()
        self.published: dict[str, int] = {}
        #: Seconds from the hub's publish to the frame written to a screen's socket.
        self.fanout = Histogram(FANOUT_BUCKETS)
        #: Seconds from the hub's publish to a screen's status naming that version.
        self.ack = Histogram(ACK_BUCKETS)
        self.asset_downloads = 0
        self.asset_bytes = 0
        self.asset_not_found = 0

    def snapshot_published(self, area: str) -> None:
        self.published[area] = self.published.get(area, 0) + 1

    def acknowledged(self, published: Published | None, version: str | None, since: float) -> bool:
        """A screen that subscribed at ``since`` (monotonic) reports ``version``: observe the
        acknowledgement latency if that is the area's ``published`` version and was published
        while the screen was connected. True when observed."""
        if published is None or published.snapshot.version != version or published.at <= since:
            return False
        self.ack.observe(time.monotonic() - published.at)
        return True

    def asset_served(self, request: Request, path: Path) -> None:
        """Count a download of ``path``; its bytes when the whole file goes out (GET, no Range)."""
        self.asset_downloads += 1
        if request.method == "GET" and "range" not in request.headers:
            # Gone since it was found? Then the response fails too.
            with contextlib.suppress(OSError):
                self.asset_bytes += path.stat().st_size

    def render(self, hub: Hub, content: Content) -> str:
        out = _Exposition()
        out.family("lokalskaerm_build_info", "gauge", "The server's version, as a label.")
        out.sample("lokalskaerm_build_info", 1, {"version": self.version})
        _process(out, self.started)

        connected = hub.connected_by_area()
        areas = sorted(set(content.recipes) | set(hub.areas()) | set(connected))
        out.family("lokalskaerm_screens_connected", "gauge", "Screens connected now, per area.")
        for area in areas:
            out.sample("lokalskaerm_screens_connected", connected.get(area, 0), {"area": area})
        out.family(
            "lokalskaerm_snapshots_published_total",
            "counter",
            "New snapshot versions published to an area's screens since the server started.",
        )
        for area in sorted(self.published):
            out.sample(
                "lokalskaerm_snapshots_published_total", self.published[area], {"area": area}
            )
        out.histogram(
            "lokalskaerm_fanout_latency_seconds",
            "Seconds from a snapshot's publish to its frame written to a screen's socket, "
            "per screen connected at the publish.",
            self.fanout,
        )
        out.histogram(
            "lokalskaerm_ack_latency_seconds",
            "Seconds from a snapshot's publish to a screen's status reporting that version, "
            "once per screen and version, for screens connected at the publish.",
            self.ack,
        )
        out.family(
            "lokalskaerm_recipe_errors",
            "gauge",
            "Recipes in playlists/ that do not load (their areas keep the last good one).",
        )
        out.sample("lokalskaerm_recipe_errors", len(content.recipe_errors))
        out.family(
            "lokalskaerm_feed_definitions_error",
            "gauge",
            "1 when playlists/feeds.toml does not load (the last good definitions stay).",
        )
        out.sample("lokalskaerm_feed_definitions_error", int(content.feeds_error is not None))
        _feeds(out, content)

        out.family(
            "lokalskaerm_asset_downloads_total",
            "counter",
            "Asset files served at /assets/{sha256}.",
        )
        out.sample("lokalskaerm_asset_downloads_total", self.asset_downloads)
        out.family(
            "lokalskaerm_asset_download_bytes_total",
            "counter",
            "Bytes of the asset files served whole at /assets/{sha256}.",
        )
        out.sample("lokalskaerm_asset_download_bytes_total", self.asset_bytes)
        out.family(
            "lokalskaerm_asset_not_found_total",
            "counter",
            "Requests at /assets/{sha256} answered 404.",
        )
        out.sample("lokalskaerm_asset_not_found_total", self.asset_not_found)
        return out.text()


def _feeds(out: _Exposition, content: Content) -> None:
    """Each defined feed as the poller last left it (in memory: no database read)."""
    feeds = []
    for feed in content.feeds:
        status = content.poller.statuses.get(feed.id)
        if status is not None and status.url != feed.url:
            status = None  # recorded for an old address; the new one is not polled yet
        feeds.append((feed.id, status))
    out.family(
        "lokalskaerm_feed_failing",
        "gauge",
        "1 when a feed's last poll failed (its last good items stay on the screens), else 0.",
    )
    for feed_id, status in feeds:
        failing = status is not None and status.last_error is not None
        out.sample("lokalskaerm_feed_failing", int(failing), {"feed": feed_id})
    out.family(
        "lokalskaerm_feed_consecutive_failures",
        "gauge",
        "Polls of a feed that failed in a row, up to the last one.",
    )
    for feed_id, status in feeds:
        failures = status.failures if status is not None else 0
        out.sample("lokalskaerm_feed_consecutive_failures", failures, {"feed": feed_id})
    out.family("lokalskaerm_feed_items", "gauge", "Items of a feed's last good poll.")
    for feed_id, status in feeds:
        items = status.item_count if status is not None else 0
        out.sample("lokalskaerm_feed_items", items, {"feed": feed_id})
    for name, help_text, attribute in (
        (
            "lokalskaerm_feed_last_success_timestamp_seconds",
            "Unix time of a feed's last successful poll; absent until one succeeds.",
            "last_success",
        ),
        (
            "lokalskaerm_feed_last_attempt_timestamp_seconds",
            "Unix time of a feed's last poll, successful or not; absent until the first.",
            "last_attempt",
        ),
    ):
        out.family(name, "gauge", help_text)
        for feed_id, status in feeds:
            moment = getattr(status, attribute) if status is not None else None
            if moment is not None:
                out.sample(name, moment, {"feed": feed_id})


def _process(out: _Exposition, started: float) -> None:
    """The names every Prometheus client library uses, so that the usual dashboards work."""
    out.family(
        "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch."
    )
    out.sample("process_start_time_seconds", started)
    out.family("process_cpu_seconds_total", "counter", "User and system CPU time spent, seconds.")
    out.sample("process_cpu_seconds_total", time.process_time())
    try:
        with open("/proc/self/statm", "rb") as statm:
            resident_pages = int(statm.read().split()[1])
        fds = len(os.listdir("/proc/self/fd"))
    except (OSError, ValueError, IndexError):
        return  # not Linux: the rest is optional
    out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
    out.sample("process_resident_memory_bytes", resident_pages * os.sysconf("SC_PAGE_SIZE"))
    out.family("process_open_fds", "gauge", "Open file descriptors (a screen holds one).")
    out.sample("process_open_fds", fds)
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY:
        out.family("process_max_fds", "gauge", "Maximum number of open file descriptors.")
        out.sample("process_max_fds", soft)


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        help_text = help_text.replace("\\", "\\\\").replace("\n", "\\n")
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        if labels:
            pairs = ",".join(f'{key}="{_label_value(text)}"' for key, text in labels.items())
            name = f"{name}{{{pairs}}}"
        self.lines.append(f"{name} {_number(value)}")

    def histogram(self, name: str, help_text: str, histogram: Histogram) -> None:
        self.family(name, "histogram", help_text)
        # Copied first: the text is written without a pause, but keep count and buckets one.
        counts = list(histogram.counts)
        running = 0
        for bound, count in zip((*histogram.bounds, math.inf), counts, strict=True):
            running += count
            self.sample(f"{name}_bucket", running, {"le": _number(bound)})
        self.sample(f"{name}_sum", histogram.sum)
        self.sample(f"{name}_count", running)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _label_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(value)


# --- the endpoint --------------------------------------------------------------


def allowed(request: Request, token: str) -> bool:
    """True for a loopback client with no proxy in between, or with ``Bearer <token>``."""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    if request.client is None or any(header in request.headers for header in PROXY_HEADERS):
        # Through a proxy on this host the peer is 127.0.0.1 too: that is not a local client.
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


async def serve_metrics(request: Request) -> Response:
    state = request.app.state
    token: str = state.settings.metrics_token
    if not allowed(request, token):
        if token:
            return PlainTextResponse(
                "metrics: give the bearer token of --metrics-token\n",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return PlainTextResponse(
            "metrics: open to loopback clients only; set --metrics-token for others\n",
            status_code=403,
        )
    metrics: Metrics = state.metrics
    return Response(
        metrics.render(state.hub, state.content),
        media_type=CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )
