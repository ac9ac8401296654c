from datetime import timedelta

import pytest
from django.utils import timezone

from supportloop.accounts.models import ApiToken
from supportloop.accounts.permissions import ROLE_MATRIX, can
from supportloop.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    hash_token,
    team_create,
    team_update,
    user_create,
    user_update,
)
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.models import Event


def test_token_is_stored_hashed_and_its_secret_exists_only_in_the_return_value(db):
    user = user_create(username="ana")
    token, raw = api_token_create(user=user, name="cli")
    token.refresh_from_db()
    assert raw.startswith("slp_") and len(raw) > 40
    assert token.key_hash == hash_token(raw) and token.prefix == raw[:12]
    stored = [str(v) for v in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.fields]).get()]
    assert raw not in stored
    assert raw not in str(list(Event.objects.values_list("changes", flat=True)))
    assert api_token_authenticate(raw) == user


def test_revoked_tokens_and_inactive_users_do_not_authenticate(db):
    user = user_create(username="ana")
    token, raw = api_token_create(user=user, name="cli")
    _other, raw2 = api_token_create(user=user, name="two")
    api_token_revoke(token=token, actor=user)
    assert api_token_authenticate(raw) is None
    assert api_token_authenticate(raw2) == user
    user_update(user=user, actor=None, is_active=False)
    assert api_token_authenticate(raw2) is None
    assert api_token_authenticate("slp_" + "x" * 40) is None and api_token_authenticate("") is None


def test_last_used_is_touched_at_most_once_a_minute(db):
    user = user_create(username="ana")
    token, raw = api_token_create(user=user, name="cli")
    api_token_authenticate(raw)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api_token_authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    api_token_authenticate(raw)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_roles_and_staff_flags(db):
    admin = user_create(username="root", role="admin")
    assert admin.is_staff and admin.is_superuser
    user = user_create(username="ana", role="agent")
    assert not user.is_staff
    user_update(user=user, actor=admin, role="admin")
    assert user.is_staff
    with pytest.raises(ValidationFailed):
        user_create(username="x", role="owner")
    with pytest.raises(Conflict):
        user_create(username="ANA")
    assert Event.objects.filter(verb="user.updated").get().changes == {"role": ["agent", "admin"]}


def test_teams_members_and_conflicts(db):
    ana, bo = user_create(username="ana"), user_create(username="bo")
    team = team_create(name="Tier 1", slug="tier-1", members=[ana])
    team_update(team=team, actor=None, members=[ana, bo], name="First line")
    assert sorted(team.members.values_list("username", flat=True)) == ["ana", "bo"]
    assert Event.objects.filter(verb="team.updated").get().changes == {
        "name": ["Tier 1", "First line"],
        "members": [[ana.pk], sorted([ana.pk, bo.pk])],
    }
    team_create(name="Other", slug="other")
    with pytest.raises(Conflict):
        team_update(team=team, actor=None, slug="other")


def test_the_role_matrix_keeps_its_promises():
    class U:
        is_authenticated = is_active = True

        def __init__(self, role):
            self.role = role

    viewer, agent, lead, product = U("viewer"), U("agent"), U("lead"), U("product")
    writes = [a for a in ROLE_MATRIX if not a.endswith((".view",)) and a not in ("report.view",)]
    # Viewers never write, except their own API tokens, which for them are read-only, and their own sign-in security.
    assert [a for a in writes if can(viewer, a)] == ["token.manage_own", "account.security_own"]
    assert not can(viewer, "token.read_write") and not can(viewer, "security.manage")
    assert not can(agent, "taxonomy.write") and not can(agent, "user.write") and not can(agent, "team.write")
    assert not can(agent, "macro.write") and can(lead, "macro.write")
    assert can(product, "feedback.manage") and not can(agent, "feedback.manage")
    assert not can(None, "ticket.view")
