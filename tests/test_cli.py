"""The `signage` command as a user runs it: real processes, real files."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from signage_server import screens, store
from signage_server.cli import main

from .logins import csrf_of
from .support import Site, free_port, jpeg, timeout

ROOT = Path(__file__).parent.parent


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signage_server.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout(60),
        check=False,
    )


def site_flags(site: Site) -> list[str]:
    s = site.settings
    return [
        "--data-dir",
        str(s.data_dir),
        "--playlists",
        str(s.playlists),
        "--assets",
        str(s.assets),
    ]


def test_check_passes_a_good_site(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", *site_flags(site)]) == 0
    assert "1 areas, 0 errors" in capsys.readouterr().out


def test_check_names_file_line_and_problem(site: Site) -> None:
    site.recipe("jyderup", 'name = "Jyderup"\n\nlayout = "skæv"\n')
    site.drop("morkov", "ødelagt.jpg", jpeg()[:300])
    site.drop("morkov", "noter.txt", b"husk kaffe")
    result = run("check", *site_flags(site))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"{site.playlists / 'jyderup.toml'}:3: error: layout: expected one of" in result.stdout
    assert any(
        line.startswith(f"{site.assets / 'morkov' / 'ødelagt.jpg'}: error: ") for line in lines
    )
    assert any("noter.txt: error: not an image" in line for line in lines)
    assert "3 errors" in lines[-1]


def test_check_warns_of_slide_rules_for_missing_files(site: Site) -> None:
    site.recipe(
        "morkov",
        'name = "Mørkøv"\n[slides."01-plakat.jpg"]\nduration = 5\n'
        '[slides."julemarkd.jpg"]\nduration = 5\n',
    )
    result = run("check", *site_flags(site))
    assert result.returncode == 0
    assert "warning: [slides.'julemarkd.jpg'] matches no file" in result.stdout
    assert "01-plakat" not in result.stdout


def test_a_bad_log_level_is_a_usage_error(site: Site) -> None:
    result = run("check", *site_flags(site), env={"SIGNAGE_LOG_LEVEL": "chatty"})
    assert result.returncode == 2 and "SIGNAGE_LOG_LEVEL" in result.stderr


def test_check_uses_the_environment(site: Site) -> None:
    env = {
        "SIGNAGE_PLAYLISTS": str(site.playlists),
        "SIGNAGE_ASSETS": str(site.assets),
        "SIGNAGE_DATA_DIR": str(site.settings.data_dir),
    }
    elsewhere = site.root / "elsewhere"
    elsewhere.mkdir()
    assert run("check", env=env, cwd=elsewhere).returncode == 0
    missing = run("check", cwd=elsewhere)  # ./playlists does not exist there
    assert missing.returncode == 1 and "playlists folder does not exist" in missing.stdout


def test_screens_add_prints_a_token_stored_hashed(site: Site) -> None:
    result = run(
        "screens", "add", "--area", "morkov", "--name", "Forsamlingshuset", *site_flags(site)
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("scr_") and len(token) > 30
    db = store.connect(site.settings.database)
    try:
        screen = screens.authenticate(db, token)
        assert screen is not None and screen.area == "morkov"
        assert screen.name == "Forsamlingshuset"
        raw = db.execute("SELECT token_hash FROM screens").fetchone()[0]
        assert token not in raw
    finally:
        db.close()
    listing = run("screens", "list", *site_flags(site))
    assert "Forsamlingshuset" in listing.stdout
    assert run("screens", "revoke", "1", *site_flags(site)).returncode == 0
    assert run("screens", "revoke", "1", *site_flags(site)).returncode == 1


def test_screens_add_refuses_an_unknown_area(site: Site) -> None:
    result = run("screens", "add", "--area", "morkv", "--name", "X", *site_flags(site))
    assert result.returncode == 2
    assert "unknown area 'morkv'" in result.stderr and "morkov" in result.stderr


def test_bad_port_is_a_usage_error(site: Site) -> None:
    result = run("serve", "--port", "otte", *site_flags(site))
    assert result.returncode == 2 and "--port: expected a whole number" in result.stderr


def test_the_player_runs_without_the_server_packages() -> None:
    """A Raspberry Pi installs only websockets: `signage player` must not need the rest."""
    code = (
        "import sys\n"
        "for name in ('starlette', 'uvicorn', 'jinja2', 'watchfiles', 'PIL', 'httpx'):\n"
        "    sys.modules[name] = None\n"
        "from signage_server.cli import main\n"
        "import player.daemon, player.core, player.cache\n"
        "sys.argv = ['signage', 'player', '--help']\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout(30),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--cache-dir" in result.stdout


def test_demo_runs_a_server_and_a_player(tmp_path: Path) -> None:
    (tmp_path / "playlists").mkdir()
    for name in ("morkov.toml", "jyderup.toml", "tollose.toml", "feeds.toml"):
        (tmp_path / "playlists" / name).write_bytes((ROOT / "playlists" / name).read_bytes())
    port, player_port = free_port(), free_port()
    feeds_port_free = _port_free(8001)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "signage_server.cli",
            "demo",
            "--port",
            str(port),
            "--player-port",
            str(player_port),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SIGNAGE_LOG_LEVEL": "WARNING"},
    )
    try:
        deadline = time.monotonic() + timeout(60)
        state: dict[str, object] = {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{player_port}/state.json", timeout=2
                ) as response:
                    state = json.load(response)
                if state.get("version") and state.get("connected"):
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert state.get("version") and state.get("connected"), state
        posters = sorted(p.name for p in (tmp_path / "assets" / "morkov").iterdir())
        assert "demo-01-julemarked.jpg" in posters
        assert (tmp_path / "data" / "demo" / "player-token").stat().st_mode & 0o077 == 0
        # The server's pages open with the demo admin it printed.
        password_file = tmp_path / "data" / "demo" / "admin-password"
        assert password_file.stat().st_mode & 0o077 == 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            form = http.get("/login")
            answer = http.post(
                "/login",
                data={
                    "email": "demo@lokalskaerm.dk",
                    "password": password_file.read_text().strip(),
                    "csrf_token": csrf_of(form.text),
                },
            )
            assert answer.status_code == 303
            assert "Mørkøv" in http.get("/").text
        if feeds_port_free:
            # The sample feeds are served locally and polled: news and events without internet.
            feeds: list[dict[str, object]] = []
            while time.monotonic() < deadline:
                listing = run("feeds", "--json", cwd=tmp_path)
                assert listing.returncode == 0, listing.stderr
                feeds = json.loads(listing.stdout)["feeds"]
                if all(feed["state"] == "ok" for feed in feeds):
                    break
                time.sleep(0.3)
            assert [(f["id"], f["state"]) for f in feeds] == [
                ("kommunen", "ok"), ("kalender", "ok"), ("bibliotek", "ok")
            ]  # fmt: skip
            assert all(isinstance(f["items"], int) and f["items"] > 0 for f in feeds)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=timeout(30))
    assert f"http://127.0.0.1:{player_port}/" in output
    with pytest.raises(OSError):  # the children are gone too
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_feeds_lists_each_feed_and_its_last_error(site: Site) -> None:
    (site.playlists / "feeds.toml").write_text(
        '[[feed]]\nid = "kommunen"\nurl = "https://example.invalid/rss"\nkind = "news"\n'
        'areas = "all"\n'
    )
    waiting = run("feeds", *site_flags(site))
    assert waiting.returncode == 0 and "kommunen  (news → all)  WAITING  0 items" in waiting.stdout
    from signage_server.feeds import storage

    db = store.connect(site.settings.database)
    try:
        storage.save_status(
            db,
            storage.FeedStatus(
                "kommunen",
                "https://example.invalid/rss",
                last_error="the server answered 503 Service Unavailable",
                failures=2,
                item_count=7,
                last_success=1_790_000_000.0,
                last_attempt=1_790_000_600.0,
            ),
        )
    finally:
        db.close()
    failing = run("feeds", *site_flags(site))
    assert "FAILING  7 items" in failing.stdout
    assert "503 Service Unavailable (2 times in a row" in failing.stdout
    listing = json.loads(run("feeds", "--json", *site_flags(site)).stdout)["feeds"]
    assert listing[0]["state"] == "failing" and listing[0]["failures"] == 2
    (site.playlists / "feeds.toml").write_text('[[feed]]\nid = "x"\n')
    broken = run("feeds", *site_flags(site))
    assert broken.returncode == 2 and "feeds.toml:1: url:" in broken.stderr


def test_demo_refuses_a_busy_port(tmp_path: Path) -> None:
    (tmp_path / "playlists").mkdir()
    (tmp_path / "playlists" / "morkov.toml").write_text('name = "Mørkøv"\n')
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("demo", "--port", str(port), "--player-port", str(free_port()), cwd=tmp_path)
        assert result.returncode == 2 and f"port {port} is in use" in result.stderr
        player = run("player", "--port", str(port), "--cache-dir", str(tmp_path / "c"))
        assert player.returncode == 1 and "cannot serve the kiosk page" in player.stderr


def test_check_reads_pdf_posters(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    from .test_library import pdf_bytes

    site.drop("morkov", "plakat.pdf", pdf_bytes((200, 30, 30), (30, 160, 60)))
    assert main(["check", *site_flags(site)]) == 0
    site.drop("morkov", "ødelagt.pdf", b"%PDF-1.4\nnot a PDF at all")
    assert main(["check", *site_flags(site)]) == 1
    assert "ødelagt.pdf: error: not a PDF PDFium can read" in capsys.readouterr().out


def test_check_reads_text_slides(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.drop("morkov", "jul.toml", 'title = "Julemarked"\ntext = "Lørdag kl. 10"\n'.encode())
    assert main(["check", *site_flags(site)]) == 0
    site.drop("morkov", "loppe.toml", b'title = "Loppe"\npicture = "billeder/mangler.jpg"\n')
    site.drop("morkov", "fejl.toml", b'titel = "Stavefejl"\n')
    assert main(["check", *site_flags(site)]) == 1
    out = capsys.readouterr().out
    assert "loppe.toml: error: picture billeder/mangler.jpg does not exist" in out
    assert "fejl.toml: error: unknown keys ['titel']" in out
