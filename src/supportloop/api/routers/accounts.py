"""Users, teams and the caller's own API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts import selectors, services
from supportloop.accounts.choices import Role
from supportloop.accounts.models import ApiToken, Team, User
from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn
from supportloop.api.schemas.common import choices_of

users = Router(tags=["users"])
teams = Router(tags=["teams"])
tokens = Router(tags=["tokens"])

if TYPE_CHECKING:  # mypy cannot build a Literal at run time: for it, a value is a str
    RoleT = str
    LanguageT = str
else:  # pydantic and the OpenAPI document get the Literal of the choices
    RoleT = choices_of(Role)
    LanguageT = choices_of(["", *(code for code, _name in settings.LANGUAGES)])  # "" follows the browser


class UserOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    display_name: str
    role: str
    language: str
    is_active: bool
    teams: list[str]

    @staticmethod
    def from_user(u: User) -> dict:
        return {
            "id": u.pk,
            "username": u.username,
            "email": u.email,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "display_name": u.display_name,
            "role": u.role,
            "language": u.language,
            "is_active": u.is_active,
            "teams": [t.slug for t in u.teams.all()],
        }


class UserListQuery(Schema):
    role: RoleT | None = None
    active: bool | None = None


class UserCreateIn(StrictIn):
    username: str = Field(..., min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    email: str = Field("", max_length=254)
    role: RoleT = "agent"
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    language: LanguageT = ""
    password: str | None = Field(None, min_length=10, max_length=200)


class UserUpdateIn(StrictIn):
    email: str | None = Field(None, max_length=254)
    role: RoleT | None = None
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    language: LanguageT | None = None
    is_active: bool | None = None


class TeamOut(Schema):
    id: int
    name: str
    slug: str
    member_ids: list[Id]

    @staticmethod
    def from_team(t: Team) -> dict:
        return {"id": t.pk, "name": t.name, "slug": t.slug, "member_ids": sorted(m.pk for m in t.members.all())}


class TeamCreateIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=100)
    slug: str = Field(..., min_length=1, max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    member_ids: list[Id] = Field(default_factory=list, max_length=500)


class TeamUpdateIn(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    slug: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    member_ids: list[Id] | None = Field(None, max_length=500)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    read_only: bool = Field(..., description="A read-only token may only read (GET, HEAD).")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    secret: str = Field(..., description="Shown once: only a hash is stored.")


class TokenCreateIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=100)
    read_only: bool | None = Field(
        None,
        description="Default: read-only for viewers, read-write for other roles. "
        "Viewers may hold read-only tokens only (403 otherwise).",
    )


def _members(ids: list[int]) -> list[User]:
    return selectors.users_ref(user_ids=ids, field="member_ids")


def _set(payload) -> dict:
    return {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}


@users.get("", response={200: list[UserOut], **PROBLEMS}, summary="List users", operation_id="users_list")
def user_list(request: ApiRequest, query: Query[UserListQuery]) -> list[Any]:
    require(request.auth, "user.view")
    return [UserOut.from_user(u) for u in selectors.user_list(role=query.role, active=query.active)]


@users.get("/me", response={200: UserOut, **PROBLEMS}, summary="The signed-in user", operation_id="user_me")
def user_me(request: ApiRequest) -> dict[str, Any]:
    return UserOut.from_user(selectors.user_get(user_id=request.auth.pk))


@users.post("", response={201: UserOut, **PROBLEMS}, summary="Create a user (admins)", operation_id="user_create")
def user_create(request: ApiRequest, payload: UserCreateIn) -> Respond[Any]:
    require(request.auth, "user.write")
    user = services.user_create(actor=request.auth, **payload.model_dump())
    return Respond(201, UserOut.from_user(selectors.user_get(user_id=user.pk)))


@users.get("/{int:user_id}", response={200: UserOut, **PROBLEMS}, summary="Read a user", operation_id="user_get")
def user_read(request: ApiRequest, user_id: PathId) -> dict[str, Any]:
    require(request.auth, "user.view")
    return UserOut.from_user(selectors.user_get(user_id=user_id))


@users.patch(
    "/{int:user_id}", response={200: UserOut, **PROBLEMS}, summary="Update a user (admins)", operation_id="user_update"
)
def user_update(request: ApiRequest, user_id: PathId, payload: UserUpdateIn) -> dict[str, Any]:
    require(request.auth, "user.write")
    services.user_update(user=selectors.user_get(user_id=user_id), actor=request.auth, **_set(payload))
    return UserOut.from_user(selectors.user_get(user_id=user_id))


@teams.get("", response={200: list[TeamOut], **PROBLEMS}, summary="List teams", operation_id="teams_list")
def team_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "user.view")
    return [TeamOut.from_team(t) for t in selectors.team_list()]


@teams.post("", response={201: TeamOut, **PROBLEMS}, summary="Create a team (admins)", operation_id="team_create")
def team_create(request: ApiRequest, payload: TeamCreateIn) -> Respond[Any]:
    require(request.auth, "team.write")
    team = services.team_create(
        name=payload.name, slug=payload.slug, members=_members(payload.member_ids), actor=request.auth
    )
    return Respond(201, TeamOut.from_team(selectors.team_get(team_id=team.pk)))


@teams.patch(
    "/{int:team_id}", response={200: TeamOut, **PROBLEMS}, summary="Update a team (admins)", operation_id="team_update"
)
def team_update(request: ApiRequest, team_id: PathId, payload: TeamUpdateIn) -> dict[str, Any]:
    require(request.auth, "team.write")
    values = _set(payload)
    if "member_ids" in values:
        values["members"] = _members(values.pop("member_ids"))
    services.team_update(team=selectors.team_get(team_id=team_id), actor=request.auth, **values)
    return TeamOut.from_team(selectors.team_get(team_id=team_id))


@tokens.get("", response={200: list[TokenOut], **PROBLEMS}, summary="Your API tokens", operation_id="tokens_list")
def token_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "token.manage_own")
    return list(selectors.api_tokens_of(user=request.auth))


@tokens.post(
    "",
    response={201: TokenCreatedOut, **PROBLEMS},
    summary="Create an API token for yourself; the secret is in this response only",
    operation_id="token_create",
)
def token_create(request: ApiRequest, payload: TokenCreateIn) -> Respond[Any]:
    require(request.auth, "token.manage_own")
    token, secret = services.api_token_create(
        user=request.auth, name=payload.name, read_only=payload.read_only, actor=request.auth
    )
    return Respond(201, {**TokenOut.from_orm(token).model_dump(), "secret": secret})


@tokens.delete(
    "/{int:token_id}",
    response={200: TokenOut, **PROBLEMS},
    summary="Revoke one of your tokens",
    operation_id="token_revoke",
)
def token_revoke(request: ApiRequest, token_id: PathId) -> ApiToken:
    require(request.auth, "token.manage_own")
    token = selectors.api_token_get_own(user=request.auth, token_id=token_id)
    return services.api_token_revoke(token=token, actor=request.auth)
