"""How things look in the API's JSON: moments as ISO 8601 with an offset (in the area's
time zone where there is an area, else UTC), and the small schemas the resources share."""

from __future__ import annotations

import datetime as dt
from typing import Any

MOMENT: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
TEXT_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}


def moment(when: float | None, zone: dt.tzinfo = dt.UTC) -> str | None:
    """``when`` (epoch seconds) as ISO 8601 with the offset of ``zone``; None stays None."""
    if when is None:
        return None
    return dt.datetime.fromtimestamp(when, zone).isoformat(timespec="seconds")


def collection(name: str, item: dict[str, Any]) -> dict[str, Any]:
    """The schema of ``{"<name>": [item, …]}``."""
    return {
        "type": "object",
        "required": [name],
        "additionalProperties": False,
        "properties": {name: {"type": "array", "items": item}},
    }


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}
