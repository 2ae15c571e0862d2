"""How a screen's machine is doing, in words for the Skærme page: the facts of its last
heartbeat (protocol.Health as a dict) and the warnings an IT volunteer must notice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

#: ``vcgencmd get_throttled`` bits: 0-3 now, 16-19 the same since the machine started.
UNDER_VOLTAGE = 0
FREQUENCY_CAPPED = 1
THROTTLED = 2
SOFT_TEMPERATURE_LIMIT = 3
SINCE_BOOT = 16
#: Free disk below this share of the disk, or below MIN_FREE_BYTES, is "almost used up".
MIN_FREE_SHARE = 0.05
MIN_FREE_BYTES = 200 * 1000 * 1000
#: The Pi 4 starts to slow itself down at 80 °C.
HOT_CELSIUS = 80.0
#: A clock further off than this from the server's is wrong enough to mention.
CLOCK_SLACK_SECONDS = 30.0


class Translator(Protocol):
    def gettext(self, message: str) -> str: ...


#: The throttled bits that mean something.
THROTTLE_BITS = (0, 1, 2, 3, 16, 17, 18, 19)


def throttle_warnings(_: Callable[[str], str]) -> dict[int, str]:
    """The warning for each throttled bit, translated by ``_``."""
    return {
        UNDER_VOLTAGE: _("The power supply is too weak (under-voltage)."),
        FREQUENCY_CAPPED: _("The processor's speed is capped now."),
        THROTTLED: _("The processor is throttled now."),
        SOFT_TEMPERATURE_LIMIT: _("The processor is at its soft temperature limit now."),
        SINCE_BOOT + UNDER_VOLTAGE: _(
            "The power supply has been too weak (under-voltage) since the machine started."
        ),
        SINCE_BOOT + FREQUENCY_CAPPED: _(
            "The processor's speed has been capped since the machine started."
        ),
        SINCE_BOOT + THROTTLED: _("The processor has been throttled since the machine started."),
        SINCE_BOOT + SOFT_TEMPERATURE_LIMIT: _(
            "The processor has reached its soft temperature limit since the machine started."
        ),
    }


def throttled_bits(value: str | None) -> list[int]:
    """The set bits of ``vcgencmd get_throttled`` ("0x50005", or "throttled=0x50005") that
    mean something, lowest first; [] for nothing set or a value that cannot be read."""
    if not value:
        return []
    text = value.strip().rpartition("=")[2]
    try:
        number = int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return []
    return [bit for bit in THROTTLE_BITS if number >> bit & 1]


@dataclass
class HealthView:
    #: (label, value) pairs, translated.
    facts: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def describe(health: Mapping[str, Any] | None, language: Translator, code: str) -> HealthView:
    """The facts and warnings of a screen's last health report (``code``: "da" or "en",
    for the decimal comma)."""
    view = HealthView()
    if not health:
        return view
    _ = language.gettext

    def number(key: str) -> float | None:
        value = health.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    uptime = number("uptime")
    if uptime is not None:
        view.facts.append((_("Running for"), duration(uptime, language)))
    free, total, cache = number("disk_free"), number("disk_total"), number("cache_bytes")
    if free is not None:
        text = size(free, code)
        if total:
            text = _("%(free)s free of %(total)s") % {"free": text, "total": size(total, code)}
        view.facts.append((_("Disk"), text))
    if cache is not None:
        view.facts.append((_("Cache"), size(cache, code)))
    memory = number("memory")
    if memory is not None:
        view.facts.append((_("Memory (player)"), size(memory, code)))
    temperature = number("temperature")
    if temperature is not None:
        view.facts.append((_("Temperature"), f"{decimal(temperature, code)} °C"))
    bits = throttled_bits(health.get("throttled"))
    if isinstance(health.get("throttled"), str):
        view.facts.append(
            (_("Throttling"), _("none") if not bits else str(health.get("throttled")))
        )
    trusted = health.get("clock_trusted")
    offset = number("clock_offset")
    if trusted is not None or offset is not None:
        clock = _("synchronised") if trusted else _("not synchronised")
        if trusted is None:
            clock = "–"
        if offset is not None:
            clock += " " + _("(%(seconds)s s from the server)") % {"seconds": decimal(offset, code)}
        view.facts.append((_("Clock"), clock))
    display = health.get("display")
    if isinstance(display, str):
        shown = {"on": _("on"), "off": _("off")}.get(display, _("unknown"))
        view.facts.append((_("Display"), shown))

    warnings = throttle_warnings(_)
    for bit in bits:
        # "Since the start" only when it is not happening now (that warning says more).
        if bit >= SINCE_BOOT and bit - SINCE_BOOT in bits:
            continue
        view.warnings.append(warnings[bit])
    if health.get("disk_full") is True:
        view.warnings.append(_("The disk is full: the player could not store a file."))
    elif free is not None and (
        free < MIN_FREE_BYTES or (total is not None and free < MIN_FREE_SHARE * total)
    ):
        view.warnings.append(_("Disk space almost used up."))
    if temperature is not None and temperature >= HOT_CELSIUS:
        view.warnings.append(
            _("The processor is very hot (%(degrees)s °C).")
            % {"degrees": decimal(temperature, code)}
        )
    if trusted is False:
        view.warnings.append(_("The clock is not synchronised."))
    elif offset is not None and abs(offset) > CLOCK_SLACK_SECONDS:
        view.warnings.append(
            _("The clock is %(seconds)d seconds off the server's.") % {"seconds": round(offset)}
        )
    return view


def duration(seconds: float, language: Translator) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return language.gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    return language.gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}


def size(count: float, code: str) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{decimal(count / scale, code)} {unit}"
    return f"{int(count)} B"


def decimal(value: float, code: str) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    if text == "-0":  # -0.04 rounds to nothing: no sign
        text = "0"
    return text.replace(".", ",") if code == "da" else text
