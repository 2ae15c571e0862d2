"""Switching the screen on and off, through an external command.

The command (``lokalskaerm-display``, installed with the player on a Pi) takes one
argument, ``on``, ``off`` or ``status``, and speaks HDMI-CEC or Wayland output power
for us. ``status`` prints one word: ``on``, ``off`` or ``unknown``. A TV that does not
answer must not hang the player, so every run is killed after a timeout, with
everything it started. Standard library only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

log = logging.getLogger(__name__)

DISPLAY_COMMAND = "lokalskaerm-display"
TIMEOUT_SECONDS = 15.0
STATES = ("on", "off")


# ASYNC109: the timeout is the child's, not the caller's: when it passes the command is
# killed and a state is still returned (a caller's cancel kills it too).
async def set_power(command: str, on: bool, timeout: float = TIMEOUT_SECONDS) -> str:  # noqa: ASYNC109
    """Run ``command on`` or ``command off``. Returns the state the screen is believed
    to be in: the one asked for when the command succeeded, ``"unknown"`` when it
    failed, hung or is missing (the reason is logged). Never raises for those."""
    wanted = "on" if on else "off"
    result = await _run(command, wanted, timeout)
    if result is None:
        return "unknown"
    code, _ = result
    if code != 0:
        log.warning("%s %s failed with exit status %d", command, wanted, code)
        return "unknown"
    return wanted


async def status(command: str, timeout: float = TIMEOUT_SECONDS) -> str:  # noqa: ASYNC109
    """Run ``command status``: ``"on"`` or ``"off"`` as it prints, else ``"unknown"``."""
    result = await _run(command, "status", timeout)
    if result is None:
        return "unknown"
    code, output = result
    word = output.strip().lower()
    if code != 0 or word not in STATES:
        if word != "unknown":
            log.warning("%s status: exit status %d, printed %r", command, code, output[:80])
        return "unknown"
    return word


async def _run(
    command: str,
    argument: str,
    timeout: float,  # noqa: ASYNC109
) -> tuple[int, str] | None:
    """(exit status, standard output) or None when it could not run or timed out."""
    try:
        process = await asyncio.create_subprocess_exec(
            command,
            argument,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # Its own process group, so a timeout kills what it started too (cec-ctl).
            start_new_session=True,
        )
    except OSError as exc:
        log.warning("cannot run %s %s: %s", command, argument, exc)
        return None
    try:
        async with asyncio.timeout(timeout):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        log.warning("%s %s did not finish within %.0f s; killed", command, argument, timeout)
        await _kill(process)
        return None
    except asyncio.CancelledError:
        await _kill(process)
        raise
    if process.returncode != 0 and stderr:
        log.warning("%s %s: %s", command, argument, stderr.decode(errors="replace")[-300:])
    return process.returncode or 0, stdout.decode(errors="replace")


async def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    # The pipes close once every process of the group is gone.
    with contextlib.suppress(Exception):
        await process.communicate()
