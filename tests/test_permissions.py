"""The whole permission matrix: every action × anonymous, an editor of the area, an editor
of another area, an admin and a screen."""

from __future__ import annotations

import pytest

from signage_server.permissions import Action, Kind, Principal, can, visible_areas
from signage_server.screens import Screen
from signage_server.users import User

AREA = "morkov"
ANONYMOUS = Principal.anonymous()
EDITOR_HERE = Principal.of_user(User(1, "e@x.dk", "editor", frozenset({AREA}), 0.0, "s"))
EDITOR_ELSEWHERE = Principal.of_user(User(2, "f@x.dk", "editor", frozenset({"jyderup"}), 0.0, "s"))
ADMIN = Principal.of_user(User(3, "a@x.dk", "admin", frozenset(), 0.0, "s"))
SCREEN = Principal.of_screen(Screen(4, AREA, "Forsamlingshuset"))
PRINCIPALS = {
    "anonymous": ANONYMOUS,
    "editor here": EDITOR_HERE,
    "editor elsewhere": EDITOR_ELSEWHERE,
    "admin": ADMIN,
    "screen": SCREEN,
}

# action: (anonymous, editor here, editor elsewhere, admin, screen), asked for AREA
MATRIX = {
    Action.VIEW_OVERVIEW: (False, True, True, True, False),
    Action.MANAGE_OWN_ACCOUNT: (False, True, True, True, False),
    Action.VIEW_AREA: (False, True, False, True, False),
    Action.EDIT_SLIDES: (False, True, False, True, False),
    Action.MODERATE: (False, True, False, True, False),
    Action.MANAGE_SCREENS: (False, False, False, True, False),
    Action.MANAGE_USERS: (False, False, False, True, False),
    Action.MANAGE_FEEDS: (False, False, False, True, False),
    Action.SEND_ANNOUNCEMENTS: (False, False, False, True, False),
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


def test_visible_areas() -> None:
    areas = ["tollose", AREA, "jyderup"]
    assert visible_areas(ADMIN, areas) == ["jyderup", AREA, "tollose"]
    assert visible_areas(EDITOR_HERE, areas) == [AREA]
    assert visible_areas(SCREEN, areas) == visible_areas(ANONYMOUS, areas) == []
