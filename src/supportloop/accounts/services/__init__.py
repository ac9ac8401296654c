"""Writes for users, teams and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.models import ApiToken, Team, User
from supportloop.accounts.permissions import can, require
from supportloop.core.compiled import compiled_one_or_none
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.services import event_record, model_update
from supportloop.core.validation import clean_text

TOKEN_PREFIX = "slp_"  # noqa: S105 - the public mark of our API tokens (for secret scanners), not a secret


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _email(raw: str) -> str:
    email = clean_text(raw, field="email", max_length=254).strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(
                f"{raw!r} is not a valid email address.", errors={"email": "not a valid email address"}
            ) from None
    return email


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str = "",
    password: str | None = None,
    role: str = Role.AGENT,
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    actor: User | None = None,
) -> User:
    if role not in Role.values:
        raise ValidationFailed(f"Unknown role {role!r}.", errors={"role": f"must be one of {', '.join(Role.values)}"})
    username = clean_text(username, field="username", required=True, max_length=150).strip()
    email = _email(email)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"A user named {username!r} already exists.", errors={"username": "already taken"})
    user = User(
        username=username,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        language=language,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    event_record(actor=actor, verb="user.created", target=user, changes={"role": [None, role]})
    return user


USER_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "signature",
    "role",
    "language",
    "is_active",
    "keyboard_shortcuts",
)


@transaction.atomic
def user_update(*, user: User, actor: User | None, **values: Any) -> User:
    if "email" in values:
        values["email"] = _email(values["email"])
    for name in ("first_name", "last_name", "signature"):
        if name in values:
            values[name] = clean_text(values[name], field=name, max_length=150 if name != "signature" else 5000)
    if "role" in values and values["role"] not in Role.values:
        raise ValidationFailed("Unknown role.", errors={"role": f"must be one of {', '.join(Role.values)}"})
    touch = {}
    if values.get("role", user.role) != user.role:
        touch["is_staff"] = touch["is_superuser"] = values["role"] == Role.ADMIN
    changes = model_update(user, values, allowed_fields=USER_FIELDS, touch=touch)
    if changes:
        event_record(actor=actor, verb="user.updated", target=user, changes=changes)
    return user


@transaction.atomic
def team_create(*, name: str, slug: str, members: list[User] | None = None, actor: User | None = None) -> Team:
    if Team.objects.filter(name=name).exists():
        raise Conflict(f"A team named {name!r} already exists.", errors={"name": "already taken"})
    if Team.objects.filter(slug=slug).exists():
        raise Conflict(f"A team with slug {slug!r} already exists.", errors={"slug": "already taken"})
    team = Team.objects.create(name=name, slug=slug)
    if members:
        team.members.set(members)
    event_record(
        actor=actor, verb="team.created", target=team, changes={"members": [[], [m.pk for m in members or []]]}
    )
    return team


@transaction.atomic
def team_update(*, team: Team, actor: User | None, members: list[User] | None = None, **values: Any) -> Team:
    """Rename a team, change its slug or replace its members."""
    if "slug" in values and Team.objects.filter(slug=values["slug"]).exclude(pk=team.pk).exists():
        raise Conflict(f"A team with slug {values['slug']!r} already exists.", errors={"slug": "already taken"})
    if "name" in values and Team.objects.filter(name=values["name"]).exclude(pk=team.pk).exists():
        raise Conflict(f"A team named {values['name']!r} already exists.", errors={"name": "already taken"})
    changes = model_update(team, values, allowed_fields=("name", "slug"))
    if members is not None:
        before = sorted(team.members.values_list("pk", flat=True))
        after = sorted({m.pk for m in members})
        if before != after:
            team.members.set(members)
            changes["members"] = [before, after]
    if changes:
        event_record(actor=actor, verb="team.updated", target=team, changes=changes)
    return team


@transaction.atomic
def api_token_create(
    *, user: User, name: str, read_only: bool | None = None, actor: User | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is shown once and never stored.

    `read_only` None means "as the role allows": read-write where ROLE_MATRIX grants token.read_write, else
    read-only. Asking for a read-write token without that grant is refused (403 naming the action)."""
    name = clean_text(name, field="name", required=True, max_length=100).strip()
    if read_only is None:
        read_only = not can(user, "token.read_write")
    elif not read_only:
        require(user, "token.read_write")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:12], key_hash=hash_token(raw), read_only=read_only
    )
    event_record(
        actor=actor or user,
        verb="api_token.created",
        target=token,
        changes={"name": [None, name], "read_only": [None, read_only]},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(actor=actor, verb="api_token.revoked", target=token)
    return token


def api_token_resolve(raw: str) -> ApiToken | None:
    """Return the live token (with its active user) behind a raw secret, touching last_used_at at most once a
    minute; None for a wrong, revoked or malformed secret or a deactivated user."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = compiled_one_or_none(
        ("accounts: live api token",),
        lambda ids: ApiToken.objects.select_related("user").filter(key_hash=ids["digest"], revoked_at__isnull=True),
        {"digest": hash_token(raw)},
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_token_authenticate(raw: str) -> User | None:
    """Return the active user behind a raw token (see api_token_resolve)."""
    token = api_token_resolve(raw)
    return token.user if token is not None else None


def api_token_is_read_only(token: ApiToken) -> bool:
    """Read-only by its flag, or because its user's role (now) may not hold a token that writes: a user demoted
    to viewer keeps old tokens, which then only read."""
    return token.read_only or not can(token.user, "token.read_write")
