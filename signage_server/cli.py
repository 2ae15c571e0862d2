"""The ``signage`` command.

Only the standard library is imported here at the top: ``signage player`` must
run on a Raspberry Pi that has nothing but ``websockets`` installed, so each
subcommand imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .settings import Settings, SettingsError

PLAYER_ENV = {
    "server": "SIGNAGE_SERVER",
    "token": "SIGNAGE_TOKEN",
    "cache_dir": "SIGNAGE_CACHE_DIR",
    "port": "SIGNAGE_PLAYER_PORT",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = os.environ.get("SIGNAGE_LOG_LEVEL", "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        parser.error(f"SIGNAGE_LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, got {level!r}")
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("websockets.server").setLevel(logging.WARNING)
    # One line per feed poll and picture is noise; the poller logs what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        result: int = args.run(args)
        return result
    except SettingsError as exc:
        parser.error(str(exc))
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signage", description="Lokalskærm: info screens for local areas."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the central server")
    _server_flags(serve, network=True)
    serve.add_argument(
        "--secure-cookies",
        action="store_true",
        default=None,
        help="mark the login cookie Secure; set it behind https (env SIGNAGE_SECURE_COOKIES=1)",
    )
    serve.add_argument(
        "--metrics-token",
        help="bearer token for /metrics from other than loopback, at least 16 characters; "
        "prefer the env SIGNAGE_METRICS_TOKEN (a flag shows in ps)",
    )
    serve.set_defaults(run=_serve)

    player = commands.add_parser("player", help="run a screen's player daemon")
    player.add_argument(
        "--server", help="the server's URL, e.g. http://skaerm.example.dk:8000 (env SIGNAGE_SERVER)"
    )
    player.add_argument(
        "--token",
        help="this screen's token (env SIGNAGE_TOKEN); without one the screen shows a code "
        "to pair it with, and keeps the token it gets in <cache-dir>/token",
    )
    player.add_argument(
        "--cache-dir",
        type=Path,
        help="where assets and the last snapshot are kept (env SIGNAGE_CACHE_DIR)",
    )
    player.add_argument(
        "--port",
        type=int,
        help="port of the local kiosk page, default 8080 (env SIGNAGE_PLAYER_PORT)",
    )
    player.add_argument(
        "--display-command",
        metavar="CMD",
        help="switches the display: CMD on|off|status (env SIGNAGE_DISPLAY_COMMAND); "
        "default lokalskaerm-display where installed; empty: never switch the display",
    )
    player.set_defaults(run=_player)

    demo = commands.add_parser("demo", help="demo content, the server and one player")
    _server_flags(demo, network=True)
    demo.add_argument("--player-port", type=int, default=8080, help="kiosk page port (8080)")
    demo.set_defaults(run=_demo)

    check = commands.add_parser("check", help="check playlists/ and the drop folders")
    _server_flags(check)
    check.set_defaults(run=_check)

    feeds = commands.add_parser("feeds", help="show each feed's state: items, last error")
    _server_flags(feeds)
    feeds.add_argument("--json", action="store_true", help="print JSON, for scripts")
    feeds.set_defaults(run=_feeds)

    screens = commands.add_parser("screens", help="manage screens")
    screen_commands = screens.add_subparsers(required=True, metavar="ACTION")
    add = screen_commands.add_parser("add", help="add a screen; prints its token")
    _server_flags(add)
    add.add_argument("--area", required=True, help="area id (the recipe's file name)")
    add.add_argument("--name", required=True, help="e.g. 'Forsamlingshuset'")
    add.set_defaults(run=_screens_add)
    listing = screen_commands.add_parser("list", help="list screens")
    _server_flags(listing)
    listing.set_defaults(run=_screens_list)
    revoke = screen_commands.add_parser("revoke", help="revoke a screen's token")
    _server_flags(revoke)
    revoke.add_argument("id", type=int, help="the screen's number from 'signage screens list'")
    revoke.set_defaults(run=_screens_revoke)

    users = commands.add_parser("users", help="manage the users of the web UI")
    user_commands = users.add_subparsers(required=True, metavar="ACTION")
    user_add = user_commands.add_parser(
        "add", help="add an admin or an editor; the password is read from stdin"
    )
    _server_flags(user_add)
    user_add.add_argument("--email", required=True, help="the e-mail address to log in with")
    user_add.add_argument("--role", required=True, choices=("admin", "editor"))
    user_add.add_argument(
        "--area",
        action="append",
        default=[],
        help="an area the editor works in (repeat for several); not for an admin",
    )
    user_add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (required)",
    )
    user_add.set_defaults(run=_users_add)
    user_list = user_commands.add_parser("list", help="list the users")
    _server_flags(user_list)
    user_list.set_defaults(run=_users_list)

    api_tokens = commands.add_parser("tokens", help="manage the tokens of the JSON API")
    token_commands = api_tokens.add_subparsers(required=True, metavar="ACTION")
    token_add = token_commands.add_parser("add", help="add an API token; prints it once")
    _server_flags(token_add)
    token_add.add_argument("--name", required=True, help="who uses it, e.g. 'Intranettet'")
    token_add.add_argument(
        "--role",
        choices=("admin", "editor"),
        help="admin (every area) or editor (only its --area); editor when --area is given",
    )
    token_add.add_argument(
        "--area",
        action="append",
        default=[],
        help="an area an editor token works in (repeat for several); not for an admin",
    )
    token_add.set_defaults(run=_tokens_add)
    token_list = token_commands.add_parser("list", help="list the active API tokens")
    _server_flags(token_list)
    token_list.set_defaults(run=_tokens_list)
    token_revoke = token_commands.add_parser("revoke", help="revoke an API token")
    _server_flags(token_revoke)
    token_revoke.add_argument("id", type=int, help="the token's number from 'signage tokens list'")
    token_revoke.set_defaults(run=_tokens_revoke)

    backup = commands.add_parser(
        "backup",
        help="write one archive: database, media, secrets, recipes and drop folders",
        description="Write one archive (tar, gzip) with a consistent copy of the database, the "
        "rest of the data dir, playlists/ and assets/. Safe while the server runs.",
    )
    _server_flags(backup)
    backup.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the archive to write (replaced if it exists), default "
        "./lokalskaerm-backup-YYYYmmdd-HHMMSS.tar.gz; not gzipped when it ends in .tar",
    )
    backup.set_defaults(run=_backup)

    restore = commands.add_parser(
        "restore",
        help="restore an archive from 'signage backup'; stop the server first",
        description="Check an archive from 'signage backup' and restore it into the data dir, "
        "playlists/ and assets/. Stop the server first (systemctl stop lokalskaerm).",
    )
    restore.add_argument("archive", type=Path, help="the archive from 'signage backup'")
    _server_flags(restore)
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace the data dir, playlists and assets even when they are not empty",
    )
    restore.set_defaults(run=_restore)
    return parser


def _server_flags(parser: argparse.ArgumentParser, network: bool = False) -> None:
    if network:
        parser.add_argument("--host", help="address to listen on (env SIGNAGE_HOST)")
        parser.add_argument("--port", help="port, default 8000 (env SIGNAGE_PORT)")
    parser.add_argument("--data-dir", help="default ./data (env SIGNAGE_DATA_DIR)")
    parser.add_argument("--playlists", help="default ./playlists (env SIGNAGE_PLAYLISTS)")
    parser.add_argument("--assets", help="default ./assets (env SIGNAGE_ASSETS)")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(vars(args))


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    asyncio.run(serve(_settings(args)))
    return 0


def _database(settings: Settings) -> contextlib.closing[sqlite3.Connection]:
    """The server's database for one command, closed when it is done."""
    from . import store

    return contextlib.closing(store.connect(settings.database))


def _unknown_area(settings: Settings, areas: Sequence[str]) -> bool:
    """Say so (and return True) when an area has no recipe in playlists/."""
    from . import recipes

    known = sorted(path.stem for path in recipes.area_files(settings.playlists))
    unknown = [area for area in areas if area not in known]
    if unknown:
        print(
            f"signage: unknown area {unknown[0]!r}; known areas: {', '.join(known) or 'none'} "
            f"(from {settings.playlists}/<area>.toml)",
            file=sys.stderr,
        )
    return bool(unknown)


def _player(args: argparse.Namespace) -> int:
    from player.daemon import (
        PlayerSettings,
        default_cache_dir,
        default_display_command,
        run,
        server_urls,
    )

    values: dict[str, Any] = {}
    for name, env in {**PLAYER_ENV, "display_command": "SIGNAGE_DISPLAY_COMMAND"}.items():
        value = getattr(args, name)
        if value is None:
            value = os.environ.get(env)
        if value is not None:
            values[name] = value
    try:
        port = int(values.get("port", 8080))
        if values.get("server"):
            server_urls(values["server"])
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    settings = PlayerSettings(
        server=values.get("server"),
        token=values.get("token"),
        cache_dir=Path(values.get("cache_dir") or default_cache_dir()),
        port=port,
        # An empty value (SIGNAGE_DISPLAY_COMMAND=) means: never switch the display.
        display_command=(
            default_display_command()
            if values.get("display_command") is None
            else values["display_command"] or None
        ),
    )
    try:
        asyncio.run(run(settings))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(
            f"signage player: cannot serve the kiosk page on port {port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(_settings(args), player_port=args.player_port)


def _check(args: argparse.Namespace) -> int:
    from .check import run

    return run(_settings(args))


def _feeds(args: argparse.Namespace) -> int:
    import json

    from .feeds import definitions, report
    from .feeds.definitions import FeedDefinitionError

    settings = _settings(args)
    try:
        feeds = definitions.load(settings.playlists / "feeds.toml")
    except FeedDefinitionError as exc:
        print(f"signage: {exc}", file=sys.stderr)
        return 2
    with _database(settings) as db:
        entries = report.rows(feeds, db)
    if args.json:
        print(json.dumps({"feeds": entries}, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(report.table(entries))
    return 0


def _screens_add(args: argparse.Namespace) -> int:
    from . import screens

    settings = _settings(args)
    if _unknown_area(settings, [args.area]):
        return 2
    if not args.name.strip():
        print("signage: --name must not be empty", file=sys.stderr)
        return 2
    with _database(settings) as db:
        screen, token = screens.add(db, args.area, args.name.strip())
    print(
        f"screen {screen.id} '{screen.name}' in {screen.area}; its token (shown once):",
        file=sys.stderr,
    )
    print(token)
    return 0


def _screens_list(args: argparse.Namespace) -> int:
    from . import screens

    with _database(_settings(args)) as db:
        for screen in screens.all_screens(db):
            state = "online" if screen.connected else "offline"
            print(f"{screen.id}\t{screen.area}\t{screen.name}\t{state}\t{screen.version or '-'}")
    return 0


def _screens_revoke(args: argparse.Namespace) -> int:
    from . import screens

    return _revoke(args, "screen", screens.revoke)


def _revoke(
    args: argparse.Namespace, what: str, revoke: Callable[[sqlite3.Connection, int], bool]
) -> int:
    """``signage screens revoke`` and ``signage tokens revoke``: one active ``what`` by id."""
    with _database(_settings(args)) as db:
        if not revoke(db, args.id):
            print(f"signage: no active {what} {args.id}", file=sys.stderr)
            return 1
    print(f"{what} {args.id} revoked", file=sys.stderr)
    return 0


def _users_add(args: argparse.Namespace) -> int:
    from . import users

    settings = _settings(args)
    if not args.password_stdin:
        print(
            "signage: give --password-stdin and the password on stdin "
            "(never on the command line, where every user can see it)",
            file=sys.stderr,
        )
        return 2
    if _unknown_area(settings, args.area):
        return 2
    password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    try:
        users.check_email(args.email)
        users.check_role_and_areas(args.role, args.area)
        users.check_password(password)
    except users.UserError as exc:
        print(f"signage: {exc}", file=sys.stderr)
        return 2
    with _database(settings) as db:
        try:
            user = users.add(db, args.email, password, args.role, args.area)
        except users.UserError as exc:
            print(f"signage: {exc}", file=sys.stderr)
            return 2
    areas = f" in {', '.join(sorted(user.areas))}" if user.areas else ""
    print(f"user {user.id} {user.email}: {user.role}{areas}", file=sys.stderr)
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from . import users

    with _database(_settings(args)) as db:
        for user in users.all_users(db):
            areas = ",".join(sorted(user.areas)) or "-"
            print(f"{user.id}\t{user.email}\t{user.role}\t{areas}")
    return 0


def _tokens_add(args: argparse.Namespace) -> int:
    from . import tokens, users

    settings = _settings(args)
    role = args.role or ("editor" if args.area else None)
    if role is None:
        print(
            "signage: give --role admin (every area), or --area AREA for an editor token",
            file=sys.stderr,
        )
        return 2
    if _unknown_area(settings, args.area):
        return 2
    try:
        tokens.check_name(args.name)
        users.check_role_and_areas(role, args.area)
    except (tokens.TokenError, users.UserError) as exc:
        print(f"signage: {exc}", file=sys.stderr)
        return 2
    with _database(settings) as db:
        token, secret = tokens.add(db, args.name, role, args.area)
    areas = f" in {', '.join(sorted(token.areas))}" if token.areas else ""
    print(
        f"token {token.id} '{token.name}': {token.role}{areas}; the token (shown once):",
        file=sys.stderr,
    )
    print(secret)
    return 0


def _tokens_list(args: argparse.Namespace) -> int:
    import datetime as dt

    from . import tokens

    with _database(_settings(args)) as db:
        for token in tokens.all_tokens(db):
            areas = ",".join(sorted(token.areas)) or "-"
            used = (
                dt.datetime.fromtimestamp(token.last_used).strftime("%Y-%m-%d %H:%M")
                if token.last_used is not None
                else "never"
            )
            print(f"{token.id}\t{token.name}\t{token.role}\t{areas}\t{used}")
    return 0


def _tokens_revoke(args: argparse.Namespace) -> int:
    from . import tokens

    return _revoke(args, "token", tokens.revoke)


def _backup(args: argparse.Namespace) -> int:
    from .backup import BackupError, backup

    try:
        written = backup(_settings(args), args.output)
    except BackupError as exc:
        print(f"signage backup: {exc}", file=sys.stderr)
        return 1
    for warning in written.warnings:
        print(f"signage backup: {warning}", file=sys.stderr)
    tally = written.tally
    for root in tally.files:
        print(f"{root}\t{tally.files[root]} files\t{tally.bytes[root]} bytes")
    print(
        f"wrote {written.path}: {sum(tally.files.values())} files, "
        f"{sum(tally.bytes.values())} bytes, archive {written.archive_size} bytes, "
        f"database schema {written.schema_version}"
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    from .backup import BackupError
    from .restore import restore

    try:
        restored = restore(args.archive, _settings(args), force=args.force)
    except BackupError as exc:
        print(f"signage restore: {exc}", file=sys.stderr)
        return 1
    tally = restored.tally
    for root, folder in restored.targets.items():
        print(f"{root}\t{tally.files[root]} files\t{tally.bytes[root]} bytes\t{folder}")
    manifest = restored.manifest
    migrated = (
        f", migrated to {restored.schema_version}"
        if restored.schema_version != manifest.schema_version
        else ""
    )
    print(
        f"restored {args.archive} (made {manifest.created_at} by Lokalskærm "
        f"{manifest.program_version}): {sum(tally.files.values())} files, "
        f"database schema {manifest.schema_version}{migrated}; start the server"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
