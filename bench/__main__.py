"""``python -m bench``: every benchmark, one table each, figures to bench/results/*.json.

The defaults take a few minutes on two cores; ``--quick`` is a smaller check.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Sequence

from . import announce, fanout, feeds, images, player_rss, sync, upload
from .processes import stop_on_sigterm
from .report import Report

Benchmark = Callable[[bool], Report]


def _fanout(quick: bool) -> Report:
    options = fanout.Options(players=200, rounds=2) if quick else fanout.Options()
    return fanout.run(options)


def _sync(quick: bool) -> Report:
    options = sync.Options(slides=20, replace=10) if quick else sync.Options()
    return sync.run(options)


def _player_rss(quick: bool) -> Report:
    options = player_rss.Options(idle=2.0, window=5.0) if quick else player_rss.Options()
    return player_rss.run(options)


def _feeds(quick: bool) -> Report:
    options = feeds.Options(feeds=10, items=50) if quick else feeds.Options()
    return feeds.run(options)


def _images(quick: bool) -> Report:
    options = images.Options(runs=3) if quick else images.Options()
    return images.run(options)


def _upload(quick: bool) -> Report:
    return upload.run(upload.Options(rounds=2) if quick else upload.Options())


def _announce(quick: bool) -> Report:
    options = announce.Options(players=200, rounds=2) if quick else announce.Options()
    return announce.run(options)


BENCHMARKS: dict[str, Benchmark] = {
    fanout.NAME: _fanout,
    sync.NAME: _sync,
    player_rss.NAME: _player_rss,
    feeds.NAME: _feeds,
    images.NAME: _images,
    upload.NAME: _upload,
    announce.NAME: _announce,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer players, rounds, feeds and seconds"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        help="run only this benchmark (may be given more than once)",
    )
    args = parser.parse_args(argv)
    stop_on_sigterm()
    failed: list[str] = []
    for name, benchmark in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        started = time.monotonic()
        print(f"== {name} …", flush=True)
        try:
            result = benchmark(args.quick)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        print(result.table())
        print(f"  {time.monotonic() - started:.0f} s; written to {result.write()}\n", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
