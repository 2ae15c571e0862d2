"""The display power command, run for real: stub scripts stand in for
``lokalskaerm-display`` (HDMI-CEC cannot run here)."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest

from player import display

from .support import eventually, timeout


def script(folder: Path, name: str, body: str) -> str:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def working(tmp_path: Path) -> str:
    state = tmp_path / "state"
    return script(
        tmp_path,
        "display-ok",
        f"""case "$1" in
  on|off) echo "$1" > {state} ;;
  status) if [ -f {state} ]; then cat {state}; else echo unknown; fi ;;
  *) exit 2 ;;
esac
""",
    )


async def test_switches_and_reports(working: str) -> None:
    assert await display.status(working) == "unknown"
    assert await display.set_power(working, False) == "off"
    assert await display.status(working) == "off"
    assert await display.set_power(working, True) == "on"
    assert await display.status(working) == "on"


async def test_a_hanging_command_is_killed_with_what_it_started(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pids = tmp_path / "pids"
    hanging = script(tmp_path, "display-hangs", f"sleep 60 &\necho $$ $! > {pids}\nwait\n")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, "player.display"):
        assert await display.set_power(hanging, True, timeout=0.5) == "unknown"
        assert await display.status(hanging, timeout=0.5) == "unknown"
    # Killed at the timeout, not after the minute the command wanted.
    assert time.monotonic() - started < timeout(20)
    assert "did not finish" in caplog.text

    def gone() -> bool:
        return all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in _pids(pids))

    await eventually(gone, 10)


def _pids(path: Path) -> list[int]:
    return [int(word) for word in path.read_text().split()]


def _zombie(pid: int) -> bool:
    """Dead, waiting for its parent to collect it (or already collected)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


async def test_garbage_is_unknown(tmp_path: Path) -> None:
    garbage = script(tmp_path, "display-garbage", 'echo "TV says: banana"\n')
    assert await display.status(garbage) == "unknown"
    assert await display.set_power(garbage, True) == "on"  # it exited 0: believed


async def test_a_failing_command_is_unknown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    failing = script(tmp_path, "display-fails", 'echo "no CEC adapter" >&2\necho on\nexit 1\n')
    with caplog.at_level(logging.WARNING, "player.display"):
        assert await display.set_power(failing, False) == "unknown"
        assert await display.status(failing) == "unknown"
    assert "no CEC adapter" in caplog.text


async def test_a_missing_command_is_unknown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = str(tmp_path / "no-such-command")
    with caplog.at_level(logging.WARNING, "player.display"):
        assert await display.set_power(missing, True) == "unknown"
        assert await display.status(missing) == "unknown"
    assert "cannot run" in caplog.text
    not_executable = tmp_path / "not-executable"
    not_executable.write_text("#!/bin/sh\necho on\n")
    assert await display.status(str(not_executable)) == "unknown"


async def test_status_word_may_carry_whitespace_and_case(tmp_path: Path) -> None:
    assert await display.status(script(tmp_path, "display-loud", 'printf "  ON\\n\\n"\n')) == "on"
    assert os.access(tmp_path / "display-loud", os.X_OK)
