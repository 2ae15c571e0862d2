"""The whole permission matrix: every action × anonymous, an editor of the area, an editor
of another area, an admin, a screen, and API tokens of each role (like users of it)."""

from __future__ import annotations

import pytest

from signage_server.permissions import Action, Kind, Principal, can, visible_areas
from signage_server.screens import Screen
from signage_server.tokens import ApiToken
from signage_server.users import User

AREA = "morkov"
ANONYMOUS = Principal.anonymous()
EDITOR_HERE = Principal.of_user(User(1, "e@x.dk", "editor", frozenset({AREA}), 0.0, "s"))
EDITOR_ELSEWHERE = Principal.of_user(User(2, "f@x.dk", "editor", frozenset({"jyderup"}), 0.0, "s"))
ADMIN = Principal.of_user(User(3, "a@x.dk", "admin", frozenset(), 0.0, "s"))
SCREEN = Principal.of_screen(Screen(4, AREA, "Forsamlingshuset"))
TOKEN_EDITOR_HERE = Principal.of_token(ApiToken(5, "Foreningen", "editor", frozenset({AREA}), 0.0))
TOKEN_EDITOR_ELSEWHERE = Principal.of_token(
    ApiToken(6, "Hallen", "editor", frozenset({"jyderup"}), 0.0)
)
TOKEN_ADMIN = Principal.of_token(ApiToken(7, "Intranettet", "admin", frozenset(), 0.0))
PRINCIPALS = {
    "anonymous": ANONYMOUS,
    "editor here": EDITOR_HERE,
    "editor elsewhere": EDITOR_ELSEWHERE,
    "admin": ADMIN,
    "screen": SCREEN,
    "token editor here": TOKEN_EDITOR_HERE,
    "token editor elsewhere": TOKEN_EDITOR_ELSEWHERE,
    "token admin": TOKEN_ADMIN,
}

# action: (anonymous, editor here, editor elsewhere, admin, screen,
#          token editor here, token editor elsewhere, token admin), asked for AREA
MATRIX = {
    Action.VIEW_OVERVIEW: (False, True, True, True, False, True, True, True),
    Action.MANAGE_OWN_ACCOUNT: (False, True, True, True, False, True, True, True),
    Action.VIEW_AREA: (False, True, False, True, False, True, False, True),
    Action.EDIT_SLIDES: (False, True, False, True, False, True, False, True),
    Action.MODERATE: (False, True, False, True, False, True, False, True),
    Action.MANAGE_SCREENS: (False, False, False, True, False, False, False, True),
    Action.MANAGE_USERS: (False, False, False, True, False, False, False, True),
    Action.MANAGE_FEEDS: (False, False, False, True, False, False, False, True),
    Action.SEND_ANNOUNCEMENTS: (False, True, False, True, False, True, False, True),
}


def test_the_matrix_covers_every_action() -> None:
    assert set(MATRIX) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_matrix(action: Action, who: str) -> None:
    expected = MATRIX[action][list(PRINCIPALS).index(who)]
    assert can(PRINCIPALS[who], action, AREA) is expected


@pytest.mark.parametrize("action", [Action.VIEW_AREA, Action.EDIT_SLIDES, Action.MODERATE])
def test_an_area_action_without_an_area_is_for_admins_only(action: Action) -> None:
    assert can(ADMIN, action)
    assert not can(EDITOR_HERE, action)
    assert not can(EDITOR_HERE, action, "all")  # the shared folder is the municipality's


def test_an_unknown_role_may_do_nothing() -> None:
    odd = Principal(Kind.USER, role="chef", areas=frozenset({AREA}))
    assert not any(can(odd, action, AREA) for action in Action)
    odd_token = Principal(Kind.TOKEN, role="chef", areas=frozenset({AREA}))
    assert not any(can(odd_token, action, AREA) for action in Action)


def test_a_token_may_do_what_a_user_of_its_role_and_areas_may() -> None:
    for token, user in [
        (TOKEN_EDITOR_HERE, EDITOR_HERE),
        (TOKEN_EDITOR_ELSEWHERE, EDITOR_ELSEWHERE),
        (TOKEN_ADMIN, ADMIN),
    ]:
        for action in Action:
            for area in (AREA, "jyderup", "all", None):
                assert can(token, action, area) is can(user, action, area), (token, action, area)
    assert TOKEN_ADMIN.is_admin and not TOKEN_EDITOR_HERE.is_admin
    assert not TOKEN_ADMIN.logged_in  # no web session: the web UI never sees a token


def test_visible_areas() -> None:
    areas = ["tollose", AREA, "jyderup"]
    assert visible_areas(ADMIN, areas) == ["jyderup", AREA, "tollose"]
    assert visible_areas(EDITOR_HERE, areas) == [AREA]
    assert visible_areas(SCREEN, areas) == visible_areas(ANONYMOUS, areas) == []
    assert visible_areas(TOKEN_EDITOR_HERE, areas) == [AREA]
    assert visible_areas(TOKEN_ADMIN, areas) == ["jyderup", AREA, "tollose"]
