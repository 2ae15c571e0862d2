"""Fixtures shared by the suite; the helpers they use live in tests/support.py."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from signage_server.settings import Settings

from .support import MORKOV, RunningServer, Site, jpeg


@pytest.fixture
def site(tmp_path: Path) -> Site:
    settings = Settings(
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path / "data",
        playlists=tmp_path / "playlists",
        assets=tmp_path / "assets",
    )
    settings.playlists.mkdir()
    (settings.assets / "all").mkdir(parents=True)
    result = Site(tmp_path, settings)
    result.recipe("morkov", MORKOV)
    result.drop("morkov", "01-plakat.jpg", jpeg((200, 30, 30)))
    result.drop("morkov", "02-plakat.jpg", jpeg((30, 200, 30)))
    return result


@pytest.fixture
async def server(site: Site) -> AsyncIterator[RunningServer]:
    running = RunningServer(site.settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def no_chdir() -> Iterator[None]:
    cwd = os.getcwd()
    yield
    os.chdir(cwd)
