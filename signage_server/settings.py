"""The one settings object: command-line flags over ``SIGNAGE_*`` variables over defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

#: A guessable metrics token would open /metrics to anyone who reaches the server.
MIN_METRICS_TOKEN = 16


class SettingsError(ValueError):
    """A setting has a value it cannot take."""


@dataclass(frozen=True)
class Settings:
    host: str = field(default="127.0.0.1", metadata={"help": "address to listen on"})
    port: int = field(default=8000, metadata={"help": "port to listen on"})
    data_dir: Path = field(
        default=Path("data"), metadata={"help": "database, media blobs and secrets"}
    )
    playlists: Path = field(
        default=Path("playlists"), metadata={"help": "one recipe per area: <area>.toml"}
    )
    assets: Path = field(
        default=Path("assets"), metadata={"help": "drop folders: <area>/ and all/"}
    )
    secure_cookies: bool = field(
        default=False,
        metadata={"help": "mark the login cookie Secure (when served over https)"},
    )
    metrics_token: str = field(
        default="",
        repr=False,  # a secret: never in a log line or a traceback
        metadata={"help": "bearer token for /metrics from other than loopback (none: loopback)"},
    )

    @property
    def database(self) -> Path:
        return self.data_dir / "signage.db"

    @property
    def blobs(self) -> Path:
        return self.data_dir / "blobs"

    @classmethod
    def load(
        cls, flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Defaults, then ``SIGNAGE_<NAME>`` from ``environ``, then ``flags`` that are not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            env_name = env_var(spec.name)
            if env_name in environ:
                values[spec.name] = _convert(spec.name, spec.type, environ[env_name], env_name)
            if flags is not None and flags.get(spec.name) is not None:
                values[spec.name] = _convert(
                    spec.name, spec.type, flags[spec.name], "--" + spec.name.replace("_", "-")
                )
        return replace(cls(), **values)


def env_var(name: str) -> str:
    return "SIGNAGE_" + name.upper()


def _convert(name: str, kind: Any, value: Any, source: str) -> Any:
    kind = kind if isinstance(kind, str) else kind.__name__
    if kind == "int":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{source}: expected a whole number, got {value!r}") from None
        if name == "port" and not 0 <= number <= 65535:
            raise SettingsError(f"{source}: expected a port from 0 to 65535, got {number}")
        return number
    if kind == "Path":
        return Path(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{source}: expected 1 or 0 (true or false), got {value!r}")
    if name == "metrics_token" and 0 < len(str(value)) < MIN_METRICS_TOKEN:
        # The value is a secret: name its length only.
        raise SettingsError(
            f"{source}: expected a token of at least {MIN_METRICS_TOKEN} characters, "
            f"got {len(str(value))}"
        )
    return str(value)
