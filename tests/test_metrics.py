"""GET /metrics: a real server on loopback, real player websockets, a feed that fails."""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from player.protocol import Hello, Status, serialize
from signage_server import screens
from signage_server.cli import build_parser
from signage_server.metrics import CONTENT_TYPE, Histogram, _Exposition
from signage_server.settings import Settings, SettingsError

from .support import RunningServer, Site, eventually, free_port, jpeg, timeout
from .test_players_socket import receive_snapshot

TOKEN = "metrics-token-0123456789"

# --- a small parser of the text format (0.0.4) -----------------------------------

_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


@dataclass
class Exposition:
    types: dict[str, str] = field(default_factory=dict)
    helps: dict[str, str] = field(default_factory=dict)
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples.get((name, frozenset(labels.items())))

    def labelled(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        return {labels: value for (n, labels), value in self.samples.items() if n == name}


def parse(text: str) -> Exposition:
    """Parse and check: every sample belongs to a family declared with HELP and TYPE before
    it, each once; values are numbers; histogram buckets are cumulative up to +Inf = count."""
    result = Exposition()
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert name not in result.helps, f"HELP twice for {name}"
            result.helps[name] = help_text
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in result.types, f"TYPE twice for {name}"
            assert name in result.helps, f"TYPE before HELP for {name}"
            result.types[name] = kind
        else:
            match = _SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name = match["name"]
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            if result.types.get(family) != "histogram":
                family = name
            assert family in result.types, f"sample before its TYPE: {line!r}"
            labels: list[tuple[str, str]] = []
            rest = match["labels"] or ""
            while rest:
                label = _LABEL.match(rest)
                assert label, f"bad labels in {line!r}"
                value = re.sub(r"\\[\\\"n]", lambda m: _UNESCAPE[m[0]], label[2])
                labels.append((label[1], value))
                rest = rest[label.end() :]
            key = (name, frozenset(labels))
            assert key not in result.samples, f"sample twice: {line!r}"
            result.samples[key] = float(match["value"])
    for family, kind in result.types.items():
        if kind == "histogram":
            buckets = sorted(
                (float(dict(labels)["le"]), value)
                for labels, value in result.labelled(family + "_bucket").items()
            )
            counts = [value for _, value in buckets]
            assert counts == sorted(counts), f"{family}: buckets not cumulative"
            assert buckets[-1][0] == math.inf
            assert buckets[-1][1] == result.value(family + "_count")
            assert result.value(family + "_sum") is not None
    return result


# --- helpers ----------------------------------------------------------------------


async def scrape(server: RunningServer, headers: Mapping[str, str] | None = None) -> Exposition:
    response = await get_metrics(server, headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPE
    return parse(response.text)


async def get_metrics(
    server: RunningServer, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as client:
        return await client.get("/metrics", headers=dict(headers or {}))


async def hello(server: RunningServer, token: str) -> tuple[ClientConnection, str]:
    socket = await connect(server.ws_url)
    await socket.send(serialize(Hello(token=token, version=None)))
    version = (await receive_snapshot(socket)).snapshot.version
    return socket, version


@pytest.fixture
async def started() -> AsyncIterator[list[RunningServer]]:
    """Servers started in a test (with settings of its own), stopped after it."""
    servers: list[RunningServer] = []
    yield servers
    for running in servers:
        await running.stop()


async def start(settings: Settings, servers: list[RunningServer]) -> RunningServer:
    running = RunningServer(settings)
    await running.start()
    servers.append(running)
    return running


# --- the tests ----------------------------------------------------------------------


async def test_the_exposition_parses_and_has_the_basics(site: Site, server: RunningServer) -> None:
    metrics = await scrape(server)
    build = metrics.labelled("lokalskaerm_build_info")
    assert list(build.values()) == [1.0]
    assert dict(next(iter(build)))["version"]
    assert metrics.value("process_start_time_seconds")
    assert metrics.value("lokalskaerm_screens_connected", area="morkov") == 0
    # The first composition at start is a publish.
    assert metrics.value("lokalskaerm_snapshots_published_total", area="morkov") == 1
    assert metrics.types["lokalskaerm_fanout_latency_seconds"] == "histogram"
    assert metrics.value("lokalskaerm_fanout_latency_seconds_bucket", le="0.001") == 0
    assert metrics.value("lokalskaerm_ack_latency_seconds_count") == 0
    assert metrics.value("lokalskaerm_recipe_errors") == 0
    assert metrics.value("lokalskaerm_feed_definitions_error") == 0
    assert not metrics.labelled("lokalskaerm_feed_failing")  # no feeds.toml
    for name, kind in metrics.types.items():
        assert name.startswith(("lokalskaerm_", "process_")), name
        assert name.endswith("_total") == (kind == "counter"), name


async def test_a_connected_screen_counts_for_its_area_until_it_leaves(
    site: Site, server: RunningServer
) -> None:
    site.recipe("jyderup", 'name = "Jyderup"\nsources = ["all"]\n')
    socket, _ = await hello(server, site.screen())
    async with socket:
        metrics = await scrape(server)
        assert metrics.value("lokalskaerm_screens_connected", area="morkov") == 1
    await eventually(lambda: server.app_state.hub.connected() == 0)
    metrics = await scrape(server)
    assert metrics.value("lokalskaerm_screens_connected", area="morkov") == 0
    # An area with a recipe is listed with 0 screens (once its recipe is seen).
    await metric_becomes(server, "lokalskaerm_screens_connected", 0, area="jyderup")


async def metric_becomes(
    server: RunningServer, name: str, expected: float, seconds: float = 10.0, **labels: str
) -> Exposition:
    """Scrape until ``name{labels}`` is ``expected``; the scrape that showed it."""
    deadline = time.monotonic() + timeout(seconds)
    while True:
        metrics = await scrape(server)
        if metrics.value(name, **labels) == expected:
            return metrics
        if time.monotonic() > deadline:
            got = metrics.value(name, **labels)
            raise AssertionError(
                f"{name}{labels}: expected {expected} within {seconds} s, got {got}"
            )
        await asyncio.sleep(0.02)


async def test_a_publish_is_counted_and_its_fan_out_and_acknowledgement_observed(
    site: Site, server: RunningServer
) -> None:
    db = server.app_state.db
    socket, first = await hello(server, site.screen())
    async with socket:
        # What a screen gets when it connects is catch-up, not fan-out; nor is its status.
        await socket.send(serialize(Status(version=first, item="morkov/01-plakat.jpg", time=1)))
        await eventually(lambda: screens.all_screens(db)[0].version == first)
        metrics = await scrape(server)
        assert metrics.value("lokalskaerm_fanout_latency_seconds_count") == 0
        assert metrics.value("lokalskaerm_ack_latency_seconds_count") == 0

        site.drop("morkov", "03-ny.jpg", jpeg((0, 0, 200)))
        second = (await receive_snapshot(socket)).snapshot.version
        assert second != first
        metrics = await metric_becomes(server, "lokalskaerm_fanout_latency_seconds_count", 1)
        assert metrics.value("lokalskaerm_snapshots_published_total", area="morkov") == 2
        fanout_sum = metrics.value("lokalskaerm_fanout_latency_seconds_sum")
        assert fanout_sum is not None and 0 < fanout_sum < 10
        assert metrics.value("lokalskaerm_fanout_latency_seconds_bucket", le="+Inf") == 1

        # The status naming the new version is its acknowledgement: observed once.
        for item in ("morkov/01-plakat.jpg", "morkov/02-plakat.jpg"):
            await socket.send(serialize(Status(version=second, item=item, time=2)))
        await eventually(lambda: screens.all_screens(db)[0].item == "morkov/02-plakat.jpg")
        metrics = await scrape(server)
        assert metrics.value("lokalskaerm_ack_latency_seconds_count") == 1
        ack_sum = metrics.value("lokalskaerm_ack_latency_seconds_sum")
        assert ack_sum is not None and fanout_sum <= ack_sum < 10


async def test_a_failing_feed_shows_as_failing(site: Site, started: list[RunningServer]) -> None:
    closed = free_port()  # nothing listens there
    (site.playlists / "feeds.toml").write_text(
        f'[[feed]]\nid = "kalender"\nurl = "http://127.0.0.1:{closed}/kalender.ics"\n'
        'kind = "events"\nareas = ["morkov"]\n',
        encoding="utf-8",
    )
    server = await start(site.settings, started)
    metrics = await metric_becomes(server, "lokalskaerm_feed_failing", 1, feed="kalender")
    failures = metrics.value("lokalskaerm_feed_consecutive_failures", feed="kalender")
    assert failures is not None and failures >= 1
    assert metrics.value("lokalskaerm_feed_last_attempt_timestamp_seconds", feed="kalender")
    assert metrics.value("lokalskaerm_feed_last_success_timestamp_seconds", feed="kalender") is None
    assert metrics.value("lokalskaerm_feed_items", feed="kalender") == 0


async def test_fetching_an_asset_counts_a_download_and_its_bytes(
    site: Site, server: RunningServer
) -> None:
    published = server.app_state.hub.current("morkov")
    sha256 = published.snapshot.items[0].asset
    async with httpx.AsyncClient(base_url=server.url) as client:
        body = (await client.get(f"/assets/{sha256}")).content
        assert (await client.get(f"/assets/{'0' * 64}")).status_code == 404
    metrics = await scrape(server)
    assert metrics.value("lokalskaerm_asset_downloads_total") == 1
    assert metrics.value("lokalskaerm_asset_download_bytes_total") == len(body) > 0
    assert metrics.value("lokalskaerm_asset_not_found_total") == 1


async def test_through_a_proxy_without_a_token_metrics_are_refused(
    site: Site, server: RunningServer
) -> None:
    # uvicorn takes the client's address from X-Forwarded-For when the peer is 127.0.0.1.
    for header in ("X-Forwarded-For", "X-Real-IP"):
        response = await get_metrics(server, {header: "203.0.113.7"})
        assert response.status_code == 403
        assert "--metrics-token" in response.text
        assert "lokalskaerm_" not in response.text


async def test_with_a_token_other_clients_must_give_it(
    site: Site, started: list[RunningServer]
) -> None:
    server = await start(replace(site.settings, metrics_token=TOKEN), started)
    proxied = {"X-Forwarded-For": "203.0.113.7"}
    for authorization in (None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", TOKEN):
        headers = dict(proxied, **({"Authorization": authorization} if authorization else {}))
        response = await get_metrics(server, headers)
        assert response.status_code == 401, authorization
        assert response.headers["www-authenticate"].startswith("Bearer")
    await scrape(server, dict(proxied, Authorization=f"Bearer {TOKEN}"))
    await scrape(server, {"Authorization": f"bearer {TOKEN}"})
    await scrape(server)  # straight from loopback


def test_the_token_is_a_setting_with_a_minimum_length_and_kept_out_of_repr() -> None:
    assert Settings.load({}, {"SIGNAGE_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
    args = build_parser().parse_args(["serve", "--metrics-token", TOKEN])
    settings = Settings.load(vars(args), {})
    assert settings.metrics_token == TOKEN
    assert TOKEN not in repr(settings)
    assert Settings.load({}, {}).metrics_token == ""
    with pytest.raises(SettingsError, match="SIGNAGE_METRICS_TOKEN: expected a token of at least"):
        Settings.load({}, {"SIGNAGE_METRICS_TOKEN": "short"})
    with pytest.raises(SettingsError) as caught:
        Settings.load({"metrics_token": "secret"}, {})
    assert "secret" not in str(caught.value)


def test_histogram_buckets_and_label_values_are_written_as_the_format_says() -> None:
    histogram = Histogram((0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 1.0, 7.0):
        histogram.observe(value)
    out = _Exposition()
    out.histogram("x_seconds", "A help text\nwith a back\\slash.", histogram)
    out.family("y", "gauge", "Labels with quotes.")
    out.sample("y", 2, {"feed": 'a"b\\c\nd'})
    text = out.text()
    assert 'x_seconds_bucket{le="0.1"} 2\n' in text  # le: a value on a bound is in its bucket
    assert 'x_seconds_bucket{le="1.0"} 4\n' in text
    assert 'x_seconds_bucket{le="+Inf"} 5\n' in text
    assert "# HELP x_seconds A help text\\nwith a back\\\\slash.\n" in text
    parsed = parse(text)
    assert parsed.value("x_seconds_count") == 5
    assert parsed.value("x_seconds_sum") == pytest.approx(8.65)
    assert parsed.value("y", feed='a"b\\c\nd') == 2
