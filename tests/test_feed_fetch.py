"""Fetching feeds from a real HTTP server on loopback."""

from __future__ import annotations

import random

import httpx
import pytest

from signage_server.feeds import fetch
from signage_server.feeds.fetch import FetchError, Validators

from .feeds_server import Route, feed_server

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch, "MAX_BYTES", 100_000)
    monkeypatch.setattr(fetch, "TOTAL_SECONDS", 2.0)
    monkeypatch.setattr(fetch, "TIMEOUT", httpx.Timeout(1.0))


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=fetch.TIMEOUT,
        follow_redirects=True,
        max_redirects=fetch.MAX_REDIRECTS,
        headers={"User-Agent": fetch.USER_AGENT},
    )


async def test_conditional_get_with_etag() -> None:
    with feed_server({"/f": Route(RSS, etag='"v1"')}) as server:
        async with client() as http:
            first = await fetch.fetch(http, server.url("/f"))
            assert first.body == RSS and first.validators.etag == '"v1"'
            assert first.content_type == "application/rss+xml"
            again = await fetch.fetch(http, server.url("/f"), first.validators)
            assert again.not_modified and again.validators == first.validators
    assert server.requests[1][1]["If-None-Match"] == '"v1"'
    assert server.requests[0][1]["User-Agent"].startswith("Lokalskaerm/")


async def test_conditional_get_with_last_modified() -> None:
    stamp = "Sat, 28 Nov 2026 10:00:00 GMT"
    with feed_server({"/f": Route(RSS, last_modified=stamp)}) as server:
        async with client() as http:
            first = await fetch.fetch(http, server.url("/f"))
            assert first.validators == Validators(None, stamp)
            assert (await fetch.fetch(http, server.url("/f"), first.validators)).not_modified


async def test_a_redirect_is_followed_and_a_loop_is_refused() -> None:
    routes = {
        "/old": Route(status=301, headers={"Location": "/new"}),
        "/new": Route(RSS),
        "/a": Route(status=302, headers={"Location": "/b"}),
        "/b": Route(status=302, headers={"Location": "/a"}),
    }
    with feed_server(routes) as server:
        async with client() as http:
            moved = await fetch.fetch(http, server.url("/old"))
            assert moved.body == RSS and moved.url.endswith("/new")
            with pytest.raises(FetchError, match="more than 5 redirects"):
                await fetch.fetch(http, server.url("/a"))


@pytest.mark.parametrize(
    ("route", "problem"),
    [
        (Route(b"oops", status=500), "answered 500"),
        (Route(b"gone", status=404), "answered 404"),
        (Route(b"x" * 200_000), "at most 100000 are read"),
        (Route(b"x" * 200_000, chunked=True), "more than 100000 bytes"),
        (Route(RSS, delay=1.5), "timed out"),
        (
            Route(b"x" * 90_000, chunked=True, chunk=1000, delay=0.1),
            "no complete answer within 2 s",
        ),
        (Route(b"", status=204), "expected 200 OK"),
    ],
)
async def test_failures_are_clear(route: Route, problem: str) -> None:
    with feed_server({"/f": route}) as server:
        async with client() as http:
            with pytest.raises(FetchError, match=problem):
                await fetch.fetch(http, server.url("/f"))


async def test_an_unreachable_host() -> None:
    with feed_server() as server:
        port = server.port
    async with client() as http:
        with pytest.raises(FetchError, match="cannot fetch"):
            await fetch.fetch(http, f"http://127.0.0.1:{port}/f")


def test_backoff_grows_to_a_cap_and_jitter_spreads() -> None:
    rng = random.Random(1)
    assert fetch.backoff(15, 0) == 15
    delays = [fetch.backoff(15, n, rng) for n in range(1, 20)]
    assert delays[0] < delays[3] and max(delays) <= fetch.BACKOFF_CAP_MINUTES * 1.25
    spread = {round(fetch.jitter(15, rng), 3) for _ in range(20)}
    assert len(spread) > 10 and all(0 <= s < 15 for s in spread)


async def test_the_shared_client_sends_our_headers() -> None:
    with feed_server({"/f": Route(RSS)}) as server:
        async with fetch.client() as http:
            await fetch.fetch(http, server.url("/f"))
    headers = server.requests[0][1]
    assert "rss" in headers["Accept"] and "Lokalskaerm" in headers["User-Agent"]


async def test_a_304_leaves_the_connection_open_for_the_next_poll() -> None:
    # Found by bench/feeds.py: returning before reading the empty body closed it each time.
    with feed_server({"/f": Route(RSS, etag='"v1"')}) as server:
        async with client() as http:
            first = await fetch.fetch(http, server.url("/f"))
            for _ in range(5):
                again = await fetch.fetch(http, server.url("/f"), first.validators)
                assert again.not_modified
        assert len(server.requests) == 6
        assert len(server.connections) == 1
