"""A new screen, as the IT volunteer meets it: the real player daemon without a token shows a
code; the admin types it on the real Skærme page; the screen plays the area's slides, keeps
its token across a restart, and goes back to pairing when the admin revokes it."""

from __future__ import annotations

import stat
from pathlib import Path

from signage_server import screens

from .logins import admin_client, csrf_of
from .player_fakes import running_player, wait_state
from .support import RunningServer, Site


async def test_a_new_screen_pairs_plays_restarts_and_is_revoked(
    site: Site, server: RunningServer, tmp_path: Path
) -> None:
    cache = tmp_path / "player"
    token_file = cache / "token"
    async with admin_client(site.settings, server.url) as http:
        async with running_player(server.url, cache) as player:
            state = await wait_state(player, lambda s: s["pairing"] and s["pairing"]["code"])
            assert state["paired"] is False and state["version"] is None
            code = state["pairing"]["code"]
            assert state["pairing"]["url"].endswith(f"/screens?code={code}")

            # The admin follows the QR code's link (the code filled in) and picks the hall.
            page = await http.get(f"/screens?code={code}")
            assert page.status_code == 200 and code in page.text
            shown = f"{code[:3]}-{code[3:]}".lower()  # as people type what the screen shows
            answer = await http.post(
                "/screens/pair",
                data={
                    "code": shown,
                    "area": "morkov",
                    "name": "Forsamlingshuset",
                    "csrf_token": csrf_of(page.text),
                },
            )
            assert answer.status_code == 303, answer.text

            state = await wait_state(player, lambda s: s["item"] is not None)
            assert state["paired"] is True and state["pairing"] is None
            assert state["area"]["id"] == "morkov" and state["connected"] is True
            version = state["version"]
            token = token_file.read_text().strip()
            assert token.startswith(screens.TOKEN_PREFIX)
            assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
            screen = screens.authenticate(server.app_state.db, token)
            assert screen is not None and screen.name == "Forsamlingshuset"
            listing = await http.get("/screens")
            assert "Forsamlingshuset" in listing.text

        # A restart (a power cut): the same token, no pairing, the same slides.
        async with running_player(server.url, cache) as player:
            state = await wait_state(player, lambda s: s["connected"] and s["item"] is not None)
            assert state["paired"] is True and state["pairing"] is None
            assert state["version"] == version

            # Revoked on the Skærme page: the screen shows a new code, the token is gone.
            page = await http.get("/screens")
            revoked = await http.post(
                f"/screens/{screen.id}/revoke", data={"csrf_token": csrf_of(page.text)}
            )
            assert revoked.status_code == 303
            state = await wait_state(player, lambda s: s["pairing"] and s["pairing"]["code"])
            assert state["paired"] is False
            assert not token_file.exists()
            assert screens.authenticate(server.app_state.db, token) is None
