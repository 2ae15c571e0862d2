"""What a benchmark hands back: rows for the printed table, figures for the JSON file."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

RESULTS_DIR = Path(__file__).parent / "results"

T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    what: str
    value: str
    budget: str = ""
    #: "ok", "over", or "" where there is no budget to hold the value to.
    verdict: str = ""


@dataclass
class Report:
    name: str
    title: str
    parameters: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, what: str, value: str, budget: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("ok" if ok else "over")
        self.rows.append(Row(what, value, budget, verdict))

    def table(self) -> str:
        header = Row("what", "value", "budget", "verdict")
        rows = [header, *self.rows]
        widths = [max(len(getattr(row, name)) for row in rows) for name in _COLUMNS]
        lines = [f"{self.title} ({_describe(self.parameters)})"]
        for index, row in enumerate(rows):
            cells = [
                getattr(row, name).ljust(width)
                for name, width in zip(_COLUMNS, widths, strict=True)
            ]
            lines.append("  " + " | ".join(cells).rstrip())
            if index == 0:
                lines.append("  " + "-+-".join("-" * width for width in widths))
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "code": code_version(),
            "parameters": self.parameters,
            "rows": [asdict(row) for row in self.rows],
            "figures": self.figures,
            "notes": self.notes,
        }

    def write(self, directory: Path = RESULTS_DIR) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.json"
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")
        return path


_COLUMNS = ("what", "value", "budget", "verdict")


def _describe(parameters: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in parameters.items())


def machine() -> dict[str, Any]:
    from websockets.version import version as websockets_version

    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(value, 2) for value in load],
        "cpu_pressure": _cpu_pressure(),
        "python": sys.version.split()[0],
        "websockets": websockets_version,
        "platform": platform.platform(),
    }


def code_version() -> dict[str, Any]:
    """The commit measured, and the files changed beside it (bench/ aside)."""
    repo = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
        return done.stdout if done.returncode == 0 else ""

    changed = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if line[3:] and not line[3:].startswith(("bench/", "docs/performance.md"))
    ]
    return {"commit": git("rev-parse", "--short", "HEAD").strip() or None, "changed_files": changed}


def _cpu_pressure() -> str | None:
    """The kernel's CPU pressure line ("some avg10=… avg60=…"): how noisy the machine was."""
    try:
        with open("/proc/pressure/cpu") as pressure:
            return pressure.readline().strip()
    except OSError:
        return None


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolating between ranks as numpy does."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of durations in seconds, as milliseconds."""
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds, default=math.nan) * 1000, 2),
        "samples": len(seconds),
    }


def ms_triple(summary: dict[str, float]) -> str:
    return f"{summary['p50_ms']:.0f} / {summary['p99_ms']:.0f} / {summary['max_ms']:.0f} ms"


def kib(size: float) -> str:
    return f"{size / 1024:,.1f} KiB"


def mib(size: float) -> str:
    return f"{size / (1024 * 1024):,.1f} MiB"


def run_and_print(run: Callable[[T], Report], options: T) -> int:
    """What each benchmark's own ``main`` does: run, print the table, write the JSON."""
    from .processes import stop_on_sigterm

    stop_on_sigterm()
    result = run(options)
    print(result.table())
    print(f"  written to {result.write()}")
    return 0
