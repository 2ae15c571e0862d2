"""Fetching a feed politely: conditional GET, timeouts, a size cap, few redirects.

A municipality's web server is shared with its citizens; a screen system that polls it
must cost it as little as possible. A 304 answer costs no parse; a failing feed is asked
less and less often (:func:`backoff`); polls are spread over the interval (:func:`jitter`).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import httpx

from .. import __version__
from .model import FeedError

USER_AGENT = f"Lokalskaerm/{__version__} (open-source info screens for local areas)"
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT = httpx.Timeout(connect=10.0, read=20.0, write=10.0, pool=10.0)
#: The whole fetch, however slowly the bytes trickle in.
TOTAL_SECONDS = 60.0
BACKOFF_CAP_MINUTES = 6 * 60.0


class FetchError(FeedError):
    """The feed could not be fetched; the message says why, for the admin."""


@dataclass(frozen=True)
class Validators:
    """What the server said last time, to ask "has it changed since?"."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A fetch result. ``body`` is None when the server answered 304 Not Modified."""

    body: bytes | None
    validators: Validators
    content_type: str | None = None
    url: str = ""

    @property
    def not_modified(self) -> bool:
        return self.body is None


def client() -> httpx.AsyncClient:
    """One client for all feeds: connections are reused between polls."""
    return httpx.AsyncClient(
        timeout=TIMEOUT,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
    )


_ACCEPT = (
    "application/rss+xml, application/atom+xml, text/calendar, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1"
)


async def fetch(
    http: httpx.AsyncClient,
    url: str,
    validators: Validators = Validators(),
    *,
    max_bytes: int | None = None,
    accept: str | None = None,
) -> Fetched:
    """GET ``url`` unless it has not changed since ``validators``. Raises FetchError.

    At most ``max_bytes`` (default :data:`MAX_BYTES`) are read.
    """
    limit = MAX_BYTES if max_bytes is None else max_bytes
    headers = {"Accept": accept} if accept else {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    try:
        async with asyncio.timeout(TOTAL_SECONDS):
            async with http.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    # Read the (empty) body, so that the connection goes back to the pool
                    # for the next poll instead of being closed.
                    await response.aread()
                    return Fetched(None, validators, url=str(response.url))
                if response.status_code >= 400:
                    raise FetchError(
                        f"the server answered {response.status_code} {response.reason_phrase}"
                    )
                if response.status_code != 200:
                    raise FetchError(f"expected 200 OK, got {response.status_code}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FetchError(
                        f"the answer is {int(declared)} bytes; at most {limit} are read"
                    )
                chunks = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"the answer is more than {limit} bytes")
                    chunks.append(chunk)
                return Fetched(
                    b"".join(chunks),
                    Validators(response.headers.get("ETag"), response.headers.get("Last-Modified")),
                    response.headers.get("Content-Type"),
                    str(response.url),
                )
    except TimeoutError:
        raise FetchError(f"no complete answer within {TOTAL_SECONDS:g} s") from None
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch: {exc}") from None


def backoff(poll_minutes: float, failures: int, rng: random.Random | None = None) -> float:
    """Minutes until the next try of a feed that failed ``failures`` times in a row."""
    if failures <= 0:
        return poll_minutes
    rng = rng or random.Random()
    delay: float = min(BACKOFF_CAP_MINUTES, poll_minutes * 2.0 ** min(failures, 16))
    return delay * (0.75 + 0.5 * rng.random())


def jitter(poll_minutes: float, rng: random.Random | None = None) -> float:
    """A first poll somewhere within the interval, so feeds are not all asked at once."""
    rng = rng or random.Random()
    return poll_minutes * rng.random()
