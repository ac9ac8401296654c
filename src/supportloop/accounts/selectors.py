"""Reads of users, teams and API tokens shared by the pages and the API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from supportloop.accounts.models import ApiToken, RecoveryCode, SecuritySettings, Team, User, UserSession
from supportloop.core.lookup import object_or_404, reference_or_422, references_or_422


def user_list(*, role: str | None = None, active: bool | None = None) -> QuerySet[User]:
    qs = User.objects.prefetch_related(Prefetch("teams", queryset=Team.objects.only("id", "slug")))
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("username")


def user_get(*, user_id: int) -> User:
    return object_or_404(user_list(), pk=user_id)


def team_list() -> QuerySet[Team]:
    return Team.objects.prefetch_related(Prefetch("members", queryset=User.objects.only("id"))).order_by("name")


def team_get(*, team_id: int) -> Team:
    return object_or_404(team_list(), pk=team_id)


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """A user's own tokens, newest first (never the hashes' secrets: those are not stored)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_get_own(*, user: User, token_id: int) -> ApiToken:
    """Scoped by owner: another user's token is reported as missing, not forbidden."""
    return object_or_404(api_tokens_of(user=user), pk=token_id)


def user_ref(*, user_id: int | None, field: str) -> User | None:
    """A user named in a request body (None stays None): unknown is a 422 on `field`."""
    return None if user_id is None else reference_or_422(User.objects.all(), field, user_id)


def users_ref(*, user_ids: list[int], field: str) -> list[User]:
    """Users named in a request body's list: any unknown id is a 422 on `field`."""
    return references_or_422(User.objects.all(), field, user_ids)


def people() -> QuerySet[User]:
    """Every user by username, without their teams (the pages' pickers and the users page)."""
    return User.objects.order_by("username")


def teams() -> QuerySet[Team]:
    """Every team by name, without its members."""
    return Team.objects.all()


def teams_with_members() -> QuerySet[Team]:
    """Every team by name with its members loaded whole (the teams page shows their names)."""
    return Team.objects.prefetch_related("members")


def user_names(*, ids: Iterable[int]) -> dict[int, str]:
    """{user id: display name} for these ids: one query."""
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}


def team_names(*, ids: Iterable[int]) -> dict[int, str]:
    """{team id: name} for these ids: one query."""
    return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))


def two_factor_roles() -> list[str]:
    """The roles that must sign in with a second factor (security settings; none until an admin says so)."""
    row = SecuritySettings.objects.filter(pk=1).values_list("two_factor_roles", flat=True).first()
    return list(row or [])


def two_factor_status(*, user: User) -> dict[str, Any]:
    """For the account's security page: is two-factor sign-in on, must it be, how many recovery codes are left."""
    enabled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    left = RecoveryCode.objects.filter(device__user=user, used_at__isnull=True).count() if enabled else 0
    return {"enabled": enabled, "required": user.role in two_factor_roles(), "recovery_codes_left": left}


def user_sessions_of(*, user: User) -> QuerySet[UserSession]:
    """A user's signed-in browser sessions, most recently seen first (rows older than the session lifetime are
    sessions that expired on their own and are left out)."""
    oldest = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return UserSession.objects.filter(user=user, last_seen_at__gte=oldest).order_by("-last_seen_at", "-id")
