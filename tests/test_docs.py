"""Docs that can drift from the code are checked against it."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from signage_server.cli import PLAYER_ENV, build_parser
from signage_server.settings import Settings, env_var

ROOT = Path(__file__).parent.parent
OPERATIONS = ROOT / "docs" / "operations.md"


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    flags: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= _flags(sub)
        else:
            flags |= {o for o in action.option_strings if o.startswith("--") and o != "--help"}
    return flags


def test_every_flag_is_documented() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    missing = sorted(flag for flag in _flags(build_parser()) if f"`{flag}" not in text)
    assert not missing, f"flags not in docs/operations.md: {missing}"


def test_every_environment_variable_is_documented() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    names = {env_var(field.name) for field in dataclasses.fields(Settings)}
    names |= set(PLAYER_ENV.values()) | {"SIGNAGE_LOG_LEVEL"}
    missing = sorted(name for name in names if name not in text)
    assert not missing, f"variables not in docs/operations.md: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ")[0]
    assert "make demo" in head and "make test" in head and "http://127.0.0.1:8080/" in head


def test_docs_links_resolve() -> None:
    import re

    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
