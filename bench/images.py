"""Images: a 24 MP phone photo to its three renditions, our pipeline beside pyvips.

The photo is made here, the same every run: 6000×4000, coarse colour noise over
gradients with a fine grain (so it does not compress to nothing), JPEG quality 92,
EXIF orientation 6 (a phone held upright) and a GPS position: about 9.5 MB, baseline
(not progressive) as phones write it. Each side then runs in a fresh child process
(``python -m bench.images --child SIDE FILE``), so its peak RSS is its own; one
warm-up, then the median of several runs.

- **ours**: ``images.render_many(data, ["landscape", "portrait", "thumbnail"])``, one
  decode for all three.
- **ours, render() per layout**: what a caller of ``images.render`` pays (three decodes).
- **pyvips**: ``pyvips.Image.thumbnail_buffer`` for each of the three boxes (no
  upscaling), then ``jpegsave_buffer`` with our encoder settings (quality 85, optimised
  Huffman tables, no chroma subsampling, no metadata). libvips' operation cache is off,
  so every run decodes. libvips uses every core; it is also run with one thread.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .report import Report, kib, mib, run_and_print

NAME = "images"
#: Ours against pyvips, wall time of the three renditions.
BUDGET_RATIO = 1.2
#: Peak RSS of the process making the three renditions.
BUDGET_PEAK = 100 * 1024 * 1024
LAYOUTS = ("landscape", "portrait", "thumbnail")
PHOTO_SIZE = (6000, 4000)
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Options:
    runs: int = 7
    #: Seconds each child process may take.
    timeout: float = 300.0


# --- the photo -----------------------------------------------------------------------


def phone_photo(seed: int = 2024) -> bytes:
    """A deterministic 24 MP phone JPEG: quality 92, EXIF orientation 6, a GPS position."""
    from PIL import Image

    width, height = PHOTO_SIZE
    rng = random.Random(seed)
    coarse = (width // 40, height // 40)
    scene = Image.frombytes("RGB", coarse, rng.randbytes(coarse[0] * coarse[1] * 3))
    scene = scene.resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    light = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize(PHOTO_SIZE),
            Image.radial_gradient("L").resize(PHOTO_SIZE),
            Image.linear_gradient("L").rotate(90).resize(PHOTO_SIZE),
        ],
    )
    grain = Image.frombytes("L", PHOTO_SIZE, rng.randbytes(width * height)).convert("RGB")
    photo = Image.blend(Image.blend(scene, light, 0.5), grain, 0.12)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Telefon"
    exif[0x8825] = {1: "N", 2: (55.0, 42.0, 10.5), 3: "E", 4: (11.0, 43.0, 0.2)}
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


# --- the sides, each in a child process -----------------------------------------------

Convert = Callable[[bytes], list[tuple[int, int, int]]]


def _ours() -> Convert:
    from signage_server import images

    def convert(data: bytes) -> list[tuple[int, int, int]]:
        done = images.render_many(data, LAYOUTS)
        return [(r.width, r.height, len(r.data)) for r in done.values()]

    return convert


def _ours_render() -> Convert:
    from signage_server import images

    def convert(data: bytes) -> list[tuple[int, int, int]]:
        done = [images.render(data, layout) for layout in LAYOUTS]
        return [(r.width, r.height, len(r.data)) for r in done]

    return convert


def _pyvips() -> Convert:
    import pyvips  # type: ignore[import-untyped]

    from signage_server.images import JPEG_QUALITY, PROFILE_SIZES

    pyvips.cache_set_max(0)  # a cached thumbnail would not decode at all

    def convert(data: bytes) -> list[tuple[int, int, int]]:
        done = []
        for layout in LAYOUTS:
            width, height = PROFILE_SIZES[layout]
            image = pyvips.Image.thumbnail_buffer(data, width, height=height, size="down")
            jpeg = image.jpegsave_buffer(
                Q=JPEG_QUALITY, optimize_coding=True, subsample_mode="off", keep="none"
            )
            done.append((image.width, image.height, len(jpeg)))
        return done

    return convert


SIDES: dict[str, Callable[[], Convert]] = {
    "ours": _ours,
    "ours_render": _ours_render,
    "pyvips": _pyvips,
}


def _status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(side: str, path: str, runs: int) -> dict[str, Any]:
    """In the child: imports, the file, a warm-up, then ``runs`` timed conversions."""
    convert = SIDES[side]()
    data = Path(path).read_bytes()
    before = _status("VmRSS")
    outputs = convert(data)
    walls, cpus = [], []
    for _ in range(runs):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        outputs = convert(data)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpus.append(after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime)
    return {
        "wall_seconds": [round(value, 4) for value in walls],
        "cpu_seconds": [round(value, 4) for value in cpus],
        "wall_median": statistics.median(walls),
        "cpu_median": statistics.median(cpus),
        "rss_before": before,
        # Not ru_maxrss: after fork and exec it starts from the parent's peak (the photo).
        "peak_rss": _status("VmHWM"),
        "renditions": outputs,
    }


def _child(side: str, path: Path, options: Options, **env: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.images", "--child", side, "--runs", str(options.runs)]
    done = subprocess.run(
        [*command, str(path)],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=options.timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{side} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# --- the benchmark --------------------------------------------------------------------


def run(options: Options) -> Report:
    import pyvips

    started = time.perf_counter()
    photo = phone_photo()
    made = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-images-") as temp:
        path = Path(temp) / "phone.jpg"
        path.write_bytes(photo)
        sides = {
            "ours": _child("ours", path, options),
            "ours_render": _child("ours_render", path, options),
            "pyvips": _child("pyvips", path, options),
            "pyvips_1_thread": _child("pyvips", path, options, VIPS_CONCURRENCY="1"),
        }
    version = f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    return report(options, sides, len(photo), made, version)


def report(
    options: Options, sides: dict[str, dict[str, Any]], size: int, made: float, vips: str
) -> Report:
    result = Report(
        NAME,
        "A 24 MP phone photo to landscape, portrait and thumbnail renditions",
        {"runs": options.runs, "photo": "x".join(map(str, PHOTO_SIZE)), "cpus": os.cpu_count()},
    )
    ours, per_layout, vips_all, vips_one = (
        sides[key] for key in ("ours", "ours_render", "pyvips", "pyvips_1_thread")
    )
    result.add(
        "photo (JPEG q92, EXIF orientation 6, GPS)",
        f"{mib(size)}, made in {made:.1f} s",
    )
    for label, side in (
        ("ours: render_many, one decode", ours),
        ("ours: render() per layout, three decodes", per_layout),
        (f"pyvips {vips} thumbnail_buffer ×3, all cores", vips_all),
        (f"pyvips {vips} thumbnail_buffer ×3, one thread", vips_one),
    ):
        result.add(f"{label}: wall / CPU, median", _times(side))
    ratio = ours["wall_median"] / vips_all["wall_median"]
    result.add(
        "ours / pyvips (all cores), wall",
        f"{ratio:.2f}×",
        f"≤ {BUDGET_RATIO:g}×",
        ratio <= BUDGET_RATIO,
    )
    result.add(
        "ours / pyvips, CPU; wall against one thread",
        f"{ours['cpu_median'] / vips_all['cpu_median']:.2f}×; "
        f"{ours['wall_median'] / vips_one['wall_median']:.2f}×",
    )
    result.add(
        "peak RSS, ours (render_many)",
        mib(ours["peak_rss"]),
        f"≤ {mib(BUDGET_PEAK)}",
        ours["peak_rss"] <= BUDGET_PEAK,
    )
    result.add(
        "peak RSS, render() per layout / pyvips / pyvips one thread",
        " / ".join(mib(side["peak_rss"]) for side in (per_layout, vips_all, vips_one)),
    )
    result.add(
        "RSS before the first photo (imports + the file): ours / pyvips",
        f"{mib(ours['rss_before'])} / {mib(vips_all['rss_before'])}",
    )
    for label, side in (("ours", ours), ("pyvips", vips_all)):
        result.add(
            f"renditions, {label} (landscape, portrait, thumbnail)",
            ", ".join(f"{w}×{h} {kib(n)}" for w, h, n in side["renditions"]),
        )
    same = [tuple(r[:2]) for r in ours["renditions"]] == [
        tuple(r[:2]) for r in vips_all["renditions"]
    ]
    result.add("same sizes as pyvips", "yes" if same else "no", "yes", same)
    result.figures = {"photo_bytes": size, "pyvips": vips, **sides}
    result.notes.append(
        "each side runs in a fresh child process; wall and CPU are medians after a warm-up"
    )
    return result


def _times(side: dict[str, Any]) -> str:
    return f"{side['wall_median'] * 1000:.0f} / {side['cpu_median'] * 1000:.0f} ms"


def parse_args(argv: Sequence[str] | None = None) -> tuple[Options, argparse.Namespace]:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench.images", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--runs", type=int, default=defaults.runs, help="timed runs a side (7)")
    parser.add_argument(
        "--timeout", type=float, default=defaults.timeout, help="seconds a side may take"
    )
    parser.add_argument("--child", choices=sorted(SIDES), help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return Options(runs=args.runs, timeout=args.timeout), args


def main(argv: Sequence[str] | None = None) -> int:
    options, args = parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.file, options.runs)))
        return 0
    return run_and_print(run, options)


if __name__ == "__main__":
    sys.exit(main())
