"""A picture of the screen on request (protocol 1.3 ``take_screenshot``).

The kiosk runs in a Wayland session (deploy/raspberrypi); ``grim`` takes a picture of
it. Where there is no ``grim`` or no Wayland display the answer says why, and what is on
screen in words, which the daemon always knows.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass

from .protocol import MAX_SCREENSHOT_BYTES, Announcement, Item

log = logging.getLogger(__name__)

#: The longest one ``grim`` may take.
GRIM_TIMEOUT = 10.0
MIME = "image/jpeg"


@dataclass(frozen=True)
class Picture:
    """The picture in base64 and its type, or None and why not."""

    data: str | None = None
    mime: str | None = None
    error: str | None = None


def describe(
    item: Item | None,
    announcements: tuple[Announcement, ...] = (),
    pairing_code: str | None = None,
    pairing: bool = False,
    display: str | None = None,
) -> str:
    """What is on screen, in words (Danish: an admin reads it in the web UI)."""
    parts: list[str] = []
    if pairing:
        parts.append("Parringskode vises" + (f": {pairing_code}" if pairing_code else ""))
    else:
        urgent = [a for a in announcements if a.severity == "urgent"]
        info = [a for a in announcements if a.severity != "urgent"]
        for announcement in urgent:
            parts.append(f"Akut meddelelse over hele skærmen: «{announcement.title}»")
        if not urgent:
            if item is not None:
                title = f"«{item.title}» " if item.title else ""
                parts.append(f"Opslag {title}({item.id})")
            else:
                parts.append("Intet på skærmen")
        for announcement in info:
            parts.append(f"Meddelelse som banner: «{announcement.title}»")
    if display == "off":
        parts.append("skærmen er slukket")
    return "; ".join(parts)


async def take(environ: Mapping[str, str] | None = None) -> Picture:
    """A JPEG of the screen by ``grim``; never raises, never blocks the loop."""
    env = os.environ if environ is None else environ
    if not env.get("WAYLAND_DISPLAY"):
        return Picture(error="no Wayland display (WAYLAND_DISPLAY is not set)")
    grim = shutil.which("grim", path=env.get("PATH"))
    if grim is None:
        return Picture(error="grim is not installed")
    try:
        data = await _grim(grim, [], env)
        if len(data) > MAX_SCREENSHOT_BYTES:
            data = await _grim(grim, ["-s", "0.5"], env)
    except _Failed as exc:
        return Picture(error=str(exc))
    if len(data) > MAX_SCREENSHOT_BYTES:
        return Picture(
            error=f"the picture is {len(data)} bytes, even at half size; "
            f"at most {MAX_SCREENSHOT_BYTES} are sent"
        )
    if not data:
        return Picture(error="grim gave an empty picture")
    return Picture(data=base64.b64encode(data).decode("ascii"), mime=MIME)


class _Failed(Exception):
    pass


async def _grim(grim: str, extra: list[str], env: Mapping[str, str]) -> bytes:
    process = await asyncio.create_subprocess_exec(
        grim,
        "-t",
        "jpeg",
        "-q",
        "70",
        *extra,
        "-",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
    )
    try:
        async with asyncio.timeout(GRIM_TIMEOUT):
            out, err = await process.communicate()
    except TimeoutError:
        raise _Failed(f"grim did not finish within {GRIM_TIMEOUT:g} s") from None
    finally:
        if process.returncode is None:  # timed out or cancelled: no grim left behind
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(Exception):
                await asyncio.shield(process.wait())
    if process.returncode != 0:
        message = err.decode(errors="replace").strip()[:200] or f"exit code {process.returncode}"
        raise _Failed(f"grim failed: {message}")
    return out
