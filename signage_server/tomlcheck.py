"""Reading the TOML files people edit by hand, with errors that name file and line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A file that cannot be used; ``str()`` reads ``file:line: problem``."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


def load_toml(
    path: Path, text: str, error: type[ConfigError] = ConfigError
) -> tuple[dict[str, Any], Locator]:
    """Parse TOML text; a syntax error becomes ``error`` with its line."""
    try:
        body = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise error(
            path, int(match.group(1)) if match else 1, f"TOML syntax error: {exc}"
        ) from None
    return body, Locator(path, text, error)


class Locator:
    """Finds the line a key stands on, so that schema errors can name it.

    A table is a tuple of names; the elements of an array of tables (``[[feed]]``) are
    addressed by their index as text: ``("feed", "0", "route", "morkov")``.
    """

    HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, path: Path, text: str, error: type[ConfigError] = ConfigError) -> None:
        self.path = path
        self.lines = text.splitlines()
        self._error = error

    def error(self, table: tuple[str, ...], key: str, problem: str) -> ConfigError:
        return self._error(self.path, self.line_of(table, key), problem)

    def line_of(self, table: tuple[str, ...], key: str) -> int:
        current: tuple[str, ...] = ()
        table_line = 1
        arrays: dict[tuple[str, ...], int] = {}
        key_re = re.compile(r"^\s*(\"" + re.escape(key) + r"\"|" + re.escape(key) + r")\s*=")
        for number, line in enumerate(self.lines, start=1):
            header = self.HEADER_RE.match(line)
            if header:
                current = self._resolve(_split_dotted(header.group(2)), arrays)
                if header.group(1) == "[[":
                    index = arrays.get(current, -1) + 1
                    arrays[current] = index
                    current = (*current, str(index))
                if current == (*table, key):
                    return number
                if current == table:
                    table_line = number
                continue
            if current == table and key_re.match(line):
                return number
        return table_line

    @staticmethod
    def _resolve(parts: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> tuple[str, ...]:
        """Put the index of the latest element after each array-of-tables name."""
        resolved: tuple[str, ...] = ()
        plain: tuple[str, ...] = ()
        for part in parts:
            resolved, plain = (*resolved, part), (*plain, part)
            if plain in arrays and len(plain) < len(parts):
                resolved = (*resolved, str(arrays[plain]))
        return resolved


def _split_dotted(name: str) -> tuple[str, ...]:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s]+)', name)
    return tuple(next(part for part in groups if part) if any(groups) else "" for groups in parts)
