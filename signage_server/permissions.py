"""Who may do what: the one place where the web UI's permissions are decided.

Every route asks :func:`can` and nothing else; tests/test_permissions.py holds the whole
matrix. Admins may do everything. An editor works only in their own areas. Screens and
anonymous visitors may do nothing in the web UI (screens use the websocket, with their token).
An API token (``signage tokens add``) has a role and areas like a user, and may do what a user
of that role and those areas may.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .screens import Screen
from .users import User

if TYPE_CHECKING:
    from .tokens import ApiToken


class Kind(enum.StrEnum):
    ANONYMOUS = "anonymous"
    USER = "user"
    SCREEN = "screen"
    #: an API client, with a bearer token
    TOKEN = "token"


class Action(enum.StrEnum):
    #: the overview page (an editor sees their own areas on it)
    VIEW_OVERVIEW = "view_overview"
    #: log out, change one's own password
    MANAGE_OWN_ACCOUNT = "manage_own_account"
    # Actions in one area: give the area.
    VIEW_AREA = "view_area"
    EDIT_SLIDES = "edit_slides"
    MODERATE = "moderate"
    # Actions on the whole installation.
    MANAGE_SCREENS = "manage_screens"
    MANAGE_USERS = "manage_users"
    MANAGE_FEEDS = "manage_feeds"
    SEND_ANNOUNCEMENTS = "send_announcements"


#: An editor may announce to their own areas; "all areas" (no area) is the admins'.
AREA_ACTIONS = frozenset(
    {Action.VIEW_AREA, Action.EDIT_SLIDES, Action.MODERATE, Action.SEND_ANNOUNCEMENTS}
)
#: What an editor may do that needs no area.
EDITOR_ACTIONS = frozenset({Action.VIEW_OVERVIEW, Action.MANAGE_OWN_ACCOUNT})
#: Who acts by a role and areas: a logged-in user, and an API token like one.
ACTING_KINDS = frozenset({Kind.USER, Kind.TOKEN})


@dataclass(frozen=True)
class Principal:
    """Who is asking: nobody known, a logged-in user, a screen, or an API token."""

    kind: Kind
    role: str | None = None
    areas: frozenset[str] = frozenset()
    user_id: int | None = None
    screen_id: int | None = None
    token_id: int | None = None

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(Kind.ANONYMOUS)

    @classmethod
    def of_user(cls, user: User) -> Principal:
        return cls(Kind.USER, role=user.role, areas=user.areas, user_id=user.id)

    @classmethod
    def of_screen(cls, screen: Screen) -> Principal:
        return cls(Kind.SCREEN, areas=frozenset({screen.area}), screen_id=screen.id)

    @classmethod
    def of_token(cls, token: ApiToken) -> Principal:
        return cls(Kind.TOKEN, role=token.role, areas=token.areas, token_id=token.id)

    @property
    def is_admin(self) -> bool:
        return self.kind in ACTING_KINDS and self.role == "admin"

    @property
    def logged_in(self) -> bool:
        return self.kind is Kind.USER


def can(principal: Principal, action: Action, area: str | None = None) -> bool:
    """Whether ``principal`` may do ``action`` (in ``area``, for the actions in one area).

    An area action asked without an area is allowed to admins only ("in every area").
    """
    if principal.kind not in ACTING_KINDS:
        return False
    if principal.role == "admin":
        return True
    if principal.role != "editor":
        return False
    if action in AREA_ACTIONS:
        return area is not None and area in principal.areas
    return action in EDITOR_ACTIONS


def visible_areas(principal: Principal, areas: Iterable[str]) -> list[str]:
    """Those of ``areas`` the principal may see, sorted."""
    return sorted(area for area in areas if can(principal, Action.VIEW_AREA, area))
