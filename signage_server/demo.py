"""``signage demo``: posters for Holbæk's local areas, a demo screen, the server and a player.

The posters are drawn with Pillow at first run (into ``assets/<area>/demo-*.jpg``),
so the repository carries no binary files and the text is real Danish.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from . import demofeeds, recipes, screens, store, users
from .settings import Settings


@dataclass(frozen=True)
class Poster:
    file: str
    title: str
    lines: tuple[str, ...]
    colour: tuple[int, int, int]
    portrait: bool = False


POSTERS: dict[str, tuple[Poster, ...]] = {
    "morkov": (
        Poster(
            "demo-01-julemarked.jpg",
            "Julemarked i Forsamlingshuset",
            ("Lørdag 6. december kl. 10–15", "Boder, gløgg og æbleskiver", "Alle er velkomne!"),
            (150, 30, 40),
            portrait=True,
        ),
        Poster(
            "demo-02-loppemarked.jpg",
            "Loppemarked ved hallen",
            ("Søndag kl. 9–14", "Stadepladser: 50 kr.", "Mørkøv Idrætsforening"),
            (30, 90, 60),
        ),
        Poster(
            "demo-03-fællesspisning.jpg",
            "Fællesspisning",
            (
                "Torsdag kl. 18.00 i Forsamlingshuset",
                "Voksne 75 kr. · børn 35 kr.",
                "Tilmelding i Brugsen",
            ),
            (200, 120, 30),
        ),
    ),
    "jyderup": (
        Poster(
            "demo-01-koncert.jpg",
            "Koncert i Jyderup Kirke",
            ("Fredag kl. 19.30", "Jyderup Kammerkor synger julen ind", "Gratis adgang"),
            (40, 50, 120),
        ),
        Poster(
            "demo-02-skovtur.jpg",
            "Skovtur i Skarresø-skoven",
            (
                "Søndag kl. 10 fra stationen",
                "Ta' madpakke og gummistøvler med",
                "Naturstyrelsen viser vej",
            ),
            (40, 110, 70),
        ),
    ),
    "tollose": (
        Poster(
            "demo-01-bibliotek.jpg",
            "Strikkecafé på biblioteket",
            ("Hver onsdag kl. 14–16", "Kaffe og kage · 20 kr.", "Tølløse Bibliotek"),
            (120, 60, 130),
        ),
        Poster(
            "demo-02-håndbold.jpg",
            "Håndbold i Tølløse-hallen",
            ("Lørdag kl. 13.00", "TBK mod Holbæk", "Kom og hep på holdet!"),
            (180, 70, 20),
        ),
    ),
    "svinninge": (
        Poster(
            "demo-01-høstfest.jpg",
            "Høstfest i Svinninge",
            ("Lørdag kl. 17 i Kulturhuset", "Musik, mad og dans", "Billetter 150 kr."),
            (160, 100, 20),
        ),
    ),
    "vipperod": (
        Poster(
            "demo-01-motion.jpg",
            "Motion for alle",
            ("Tirsdag og torsdag kl. 17", "Mødested: Vipperød Skole", "Gratis og uden tilmelding"),
            (20, 110, 130),
        ),
    ),
    "holbaek": (
        Poster(
            "demo-01-havnefest.jpg",
            "Havnefest i Holbæk",
            ("Fredag til søndag på havnen", "Musik, boder og fyrværkeri", "Holbæk Kommune"),
            (20, 70, 130),
        ),
    ),
    "all": (
        Poster(
            "demo-90-affald.jpg",
            "Ny tømmekalender for affald",
            ("Se din dag på holbaek.dk/affald", "Holbæk Kommune"),
            (70, 80, 90),
        ),
    ),
}

FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_FILES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def draw_poster(poster: Poster) -> Image.Image:
    size = (1200, 1700) if poster.portrait else (1920, 1080)
    image = Image.new("RGB", size, poster.colour)
    draw = ImageDraw.Draw(image)
    width, height = size
    margin = width // 12
    draw.rectangle(
        [margin // 2, margin // 2, width - margin // 2, height - margin // 2],
        outline=(255, 255, 255),
        width=8,
    )
    title_font = _font(width // 14)
    y = height // 5
    for line in _wrap(draw, poster.title, title_font, width - 2 * margin):
        draw.text((width // 2, y), line, font=title_font, fill=(255, 255, 255), anchor="mt")
        y += int(width / 14 * 1.25)
    y += height // 12
    body_font = _font(width // 26)
    for text in poster.lines:
        for line in _wrap(draw, text, body_font, width - 2 * margin):
            draw.text((width // 2, y), line, font=body_font, fill=(255, 244, 214), anchor="mt")
            y += int(width / 26 * 1.5)
    draw.text(
        (width // 2, height - margin),
        "Lokalskærm · demo",
        font=_font(width // 50),
        fill=(255, 255, 255),
        anchor="mb",
    )
    return image


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: int,
) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def seed_posters(assets: Path) -> list[Path]:
    """Draw the demo posters that are not there yet; returns the new files."""
    made = []
    for folder, posters in POSTERS.items():
        directory = assets / folder
        directory.mkdir(parents=True, exist_ok=True)
        for poster in posters:
            path = directory / poster.file
            if path.exists():
                continue
            temp = directory / f".{poster.file}.tmp"
            draw_poster(poster).save(temp, "JPEG", quality=90)
            os.replace(temp, path)
            made.append(path)
    return made


def demo_token(settings: Settings, area: str = "morkov") -> str:
    """The demo screen's token, made once and kept in the data dir (mode 0600)."""
    token_file = settings.data_dir / "demo" / "player-token"
    if token_file.is_file():
        token = token_file.read_text().strip()
        db = store.connect(settings.database)
        try:
            if screens.authenticate(db, token) is not None:
                return token
        finally:
            db.close()
    db = store.connect(settings.database)
    try:
        _, token = screens.add(db, area, "Demo-skærm")
    finally:
        db.close()
    _write_private(token_file, token)
    return token


DEMO_ADMIN = "demo@lokalskaerm.dk"


def demo_admin(settings: Settings) -> str:
    """The demo admin's password, made once and kept in the data dir (mode 0600), so that
    the server's pages can be tried at once. The user is made again if it is gone."""
    password_file = settings.data_dir / "demo" / "admin-password"
    password = password_file.read_text().strip() if password_file.is_file() else ""
    db = store.connect(settings.database)
    try:
        if password and users.authenticate(db, DEMO_ADMIN, password) is not None:
            return password
        password = secrets.token_urlsafe(12)
        existing = users.find_for_login(db, DEMO_ADMIN)
        if existing is None:
            users.add(db, DEMO_ADMIN, password, "admin")
        else:
            users.set_password(db, existing[0], password)
    finally:
        db.close()
    _write_private(password_file, password)
    return password


def _write_private(path: Path, secret: str) -> None:
    """Write a secret that only its owner may read (mode 0600), in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.touch(mode=0o600)
    temp.write_text(secret + "\n")
    os.replace(temp, path)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run_demo(settings: Settings, player_port: int = 8080) -> int:
    known = {path.stem for path in recipes.area_files(settings.playlists)}
    if "morkov" not in known:
        print(
            f"signage demo: {settings.playlists}/morkov.toml is missing; run it from the "
            "repository's folder",
            file=sys.stderr,
        )
        return 2
    made = seed_posters(settings.assets)
    if made:
        print(f"Tegnede {len(made)} demo-plakater i {settings.assets}/")
    token = demo_token(settings)
    admin_password = demo_admin(settings)
    env = dict(os.environ)
    env.update(
        {
            "SIGNAGE_HOST": settings.host,
            "SIGNAGE_PORT": str(settings.port),
            "SIGNAGE_DATA_DIR": str(settings.data_dir),
            "SIGNAGE_PLAYLISTS": str(settings.playlists),
            "SIGNAGE_ASSETS": str(settings.assets),
        }
    )
    command = [sys.executable, "-m", "signage_server.cli"]
    server_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    server_url = f"http://{server_host}:{settings.port}"
    for port, what in ((settings.port, "--port"), (player_port, "--player-port")):
        if not _port_free(server_host, port):
            print(
                f"signage demo: port {port} is in use (is a demo already running?); "
                f"stop it, or choose another with {what}",
                file=sys.stderr,
            )
            return 2
    feeds_dir = settings.data_dir / "demo" / "feeds"
    demofeeds.write_feeds(feeds_dir)
    feeds: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if _port_free("127.0.0.1", demofeeds.FEEDS_PORT):
        feeds = demofeeds.serving(feeds_dir)
    else:
        print(
            f"signage demo: port {demofeeds.FEEDS_PORT} is in use, so the sample feeds of "
            "playlists/feeds.toml are not served; the screens show no news or events",
            file=sys.stderr,
        )
    with feeds:
        return _run_processes(
            command, env, settings, token, server_url, player_port, admin_password
        )


def _run_processes(
    command: list[str],
    env: dict[str, str],
    settings: Settings,
    token: str,
    server_url: str,
    player_port: int,
    admin_password: str,
) -> int:
    server = subprocess.Popen([*command, "serve"], env=env)
    player_env = dict(env, SIGNAGE_TOKEN=token)  # not on the command line, where ps shows it
    player = subprocess.Popen(
        [
            *command,
            "player",
            "--server",
            server_url,
            "--port",
            str(player_port),
            "--cache-dir",
            str(settings.data_dir / "demo" / "player-cache"),
        ],
        env=player_env,
    )
    pid_file = settings.data_dir / "demo" / "server.pid"
    pid_file.write_text(f"{server.pid}\n")
    print(
        "\n"
        f"  Skærmen i Mørkøv (kiosk):  http://127.0.0.1:{player_port}/\n"
        f"  Serveren:                  {server_url}/\n"
        f"    log ind som {DEMO_ADMIN} med adgangskoden {admin_password}\n"
        f"    (den står også i {settings.data_dir / 'demo' / 'admin-password'})\n"
        f"  Afspillerens tilstand:     http://127.0.0.1:{player_port}/state.json\n"
        "\n"
        f"  Mørkøvs opslag:            {server_url}/areas/morkov/slides\n"
        f"    (Ny plakat, tekstplakat, rækkefølge, pause; forhåndsvisning af skærmen)\n"
        f"  Borgernes formular:        {server_url}/areas/morkov/submit\n"
        "\n"
        f"  Læg et billede i {settings.assets}/morkov/ eller ret\n"
        f"  {settings.playlists}/morkov.toml, og se skærmen følge med. Stop serveren alene med\n"
        f"  kill $(cat {pid_file}) og se skærmen spille videre. Ctrl-C stopper demoen.\n"
        f"  Nyheder og arrangementer kommer fra {settings.playlists}/feeds.toml\n"
        f"  (eksempler på http://127.0.0.1:{demofeeds.FEEDS_PORT}/);\n"
        "  se hvordan de har det med .venv/bin/signage feeds.\n",
        flush=True,
    )
    # `kill` (SIGTERM) stops the demo as Ctrl-C does, children included.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while player.poll() is None:
            time.sleep(0.5)
        print(f"signage demo: the player stopped (exit {player.returncode})", file=sys.stderr)
        return player.returncode or 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (player, server):
            if process.poll() is None:
                # SIGTERM, not SIGINT: a demo started in the background by a shell has
                # SIGINT ignored, and its children with it; both stop in order on SIGTERM.
                process.terminate()
        for process in (player, server):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
