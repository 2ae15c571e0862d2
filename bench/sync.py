"""Sync: one slide replaced in a 50-slide playlist; what does the player download?

A real server and a real player (child processes) play a playlist of photo-sized
posters. A second screen, connected from here, hears every snapshot frame, so
we know each version and the exact size of the manifest the player receives.
Then one poster is replaced in the drop folder. The player's download is what
its cache gained (the files are content-addressed and verified, so their sizes
are the bytes that came over HTTP) plus the snapshot frame. HTTP headers and
websocket framing are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import media
from .clients import Screen, Tally, close_all, heartbeats
from .processes import ServiceFailed, http_json
from .report import Report, kib, mib, run_and_print
from .site import Site, recipe

NAME = "sync"
#: A manifest stays "small" while it is this much of the playlist or less.
SMALL_MANIFEST_SHARE = 0.01


@dataclass(frozen=True)
class Options:
    slides: int = 50
    replace: int = 25
    timeout: float = 120.0


@dataclass(frozen=True)
class Version:
    version: str
    frame_bytes: int
    assets: dict[str, int]

    @property
    def playlist_bytes(self) -> int:
        return sum(self.assets.values())


def run(options: Options) -> Report:
    if not 1 <= options.replace <= options.slides:
        raise SystemExit(f"sync: --replace must be from 1 to {options.slides}")
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as temp:
        return asyncio.run(_run(Site(Path(temp)), options))


async def _run(site: Site, options: Options) -> Report:
    site.write_recipe(recipe())
    for number in range(1, options.slides + 1):
        site.drop(_name(number), media.poster(number), settled=True)
    player_token, observer_token = site.add_screens(2)
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(site.server())
        await asyncio.to_thread(site.wait_for_server, server)
        tally = Tally(expected=1)
        observer = Screen(site.websocket_url, observer_token, tally, keep_snapshots=True)
        await observer.open()
        beating = asyncio.create_task(heartbeats([observer]))
        try:
            before = _version(tally, observer, 0)
            player, port, cache = site.player(player_token)
            stack.enter_context(player)
            player_started = time.time()
            state_url = f"http://127.0.0.1:{port}/state.json"
            first_sync = await _wait_for_version(state_url, before.version, options.timeout)
            if first_sync is None:
                raise ServiceFailed(
                    f"the player did not play {before.version} within {options.timeout:.0f} s\n"
                    + player.log_tail()
                )
            cached_before = _cache(cache)
            first_seconds = first_sync - player_started

            changed_at = site.drop(_name(options.replace), media.poster(10_000 + options.replace))
            new_version = await tally.next_version({before.version}, options.timeout)
            if new_version is None:
                raise ServiceFailed("the server sent no new snapshot\n" + server.log_tail())
            after = _version(tally, observer, 1)
            shown = await _wait_for_version(state_url, new_version, options.timeout)
            if shown is None:
                raise ServiceFailed(
                    f"the player did not play {new_version} within {options.timeout:.0f} s\n"
                    + player.log_tail()
                )
            cached_after = _cache(cache)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            await close_all([observer])
    return report(
        options, before, after, cached_before, cached_after, first_seconds, shown - changed_at
    )


def _name(number: int) -> str:
    return f"plakat-{number:02}.jpg"


def _version(tally: Tally, observer: Screen, index: int) -> Version:
    """The index-th snapshot the observer received, with its frame size and assets."""
    version = observer.versions[index]
    receipt = tally.receipts[version][0]
    snapshot = observer.snapshots[index]
    assets = {asset["sha256"]: int(asset["size"]) for asset in snapshot["assets"]}
    return Version(version, receipt.length, assets)


async def _wait_for_version(url: str, version: str, within: float) -> float | None:
    """When the player's /state.json first showed ``version``; None after ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        state: Any = await asyncio.to_thread(http_json, url)
        if isinstance(state, dict) and state.get("version") == version:
            return time.time()
        await asyncio.sleep(0.05)
    return None


def _cache(cache: Path) -> dict[str, int]:
    folder = cache / "assets"
    return {path.name: path.stat().st_size for path in folder.iterdir() if path.is_file()}


def report(
    options: Options,
    before: Version,
    after: Version,
    cached_before: dict[str, int],
    cached_after: dict[str, int],
    first_seconds: float,
    seconds: float,
) -> Report:
    result = Report(
        NAME,
        f"One slide replaced in a {options.slides}-slide playlist",
        {"slides": options.slides},
    )
    new_files = {sha: size for sha, size in cached_after.items() if sha not in cached_before}
    changed = set(after.assets) - set(before.assets)
    downloaded = sum(new_files.values())
    total = downloaded + after.frame_bytes
    only_that_asset = set(new_files) == changed and len(changed) == 1
    small = after.frame_bytes <= SMALL_MANIFEST_SHARE * after.playlist_bytes
    result.add("whole playlist (renditions)", f"{mib(after.playlist_bytes)} in {len(after.assets)}")
    result.add("assets that changed in the snapshot", str(len(changed)))
    result.add(
        "new files in the player's cache",
        f"{len(new_files)} ({downloaded:,} B = {kib(downloaded)})",
        "the changed asset only",
        only_that_asset,
    )
    result.add(
        "manifest (snapshot frame)",
        f"{after.frame_bytes:,} B = {kib(after.frame_bytes)}",
        f"≤ {SMALL_MANIFEST_SHARE:.0%} of the playlist",
        small,
    )
    result.add(
        "total downloaded for the change",
        f"{total:,} B = {kib(total)}",
    )
    result.add(
        "share of the whole playlist",
        f"{total / (after.playlist_bytes + after.frame_bytes):.2%}",
    )
    result.add("player start → whole playlist playing", f"{first_seconds:.2f} s")
    result.add("file replaced → player plays the new version", f"{seconds:.2f} s")
    result.figures = {
        "playlist_bytes": after.playlist_bytes,
        "playlist_assets": len(after.assets),
        "changed_assets": sorted(changed),
        "new_cache_files": new_files,
        "new_asset_bytes": downloaded,
        "manifest_bytes": after.frame_bytes,
        "first_manifest_bytes": before.frame_bytes,
        "total_bytes": total,
        "share_of_playlist": round(total / (after.playlist_bytes + after.frame_bytes), 5),
        "replace_to_playing_seconds": round(seconds, 3),
        "first_sync_seconds": round(first_seconds, 3),
        "versions": [before.version, after.version],
    }
    result.notes.append(
        "the change takes the server's settle time (0.4 s) and one rendition before it is sent"
    )
    return result


def parse_args(argv: Sequence[str] | None = None) -> Options:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench.sync", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--slides", type=int, default=defaults.slides, help="posters in the playlist (50)"
    )
    parser.add_argument(
        "--replace", type=int, default=defaults.replace, help="which slide (from 1) to replace"
    )
    parser.add_argument(
        "--timeout", type=float, default=defaults.timeout, help="seconds to wait for each sync"
    )
    args = parser.parse_args(argv)
    return Options(slides=args.slides, replace=min(args.replace, args.slides), timeout=args.timeout)


def main(argv: Sequence[str] | None = None) -> int:
    return run_and_print(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
