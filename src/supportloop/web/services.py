"""Writes owned by the web app: saved inbox views, the remembered inbox sort and view."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.utils import timezone

from supportloop.accounts.models import Team, User
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.services import event_record
from supportloop.search.query import parse as search_parse
from supportloop.web.models import InboxPreference, SavedView

# Only these inbox parameters are kept in a saved view (never a cursor or a page).
SAVED_VIEW_KEYS = ("status", "priority", "assignee", "team", "area", "reason", "tag", "sort", "view", "unread")


def saved_view_query(raw: str) -> str:
    """Keep the known filter keys of a query string, in a stable order."""
    pairs = [(k, v) for k, v in parse_qsl(raw or "", keep_blank_values=False) if k in SAVED_VIEW_KEYS]
    return urlencode(sorted(pairs))


@transaction.atomic
def saved_view_create(*, user: User, name: str, query: str = "", q: str = "", team: Team | None = None) -> SavedView:
    """Save the inbox's filters (`query`) and/or a search (`q`, in the query language) under a name; shared with
    `team` if given, which must be one of the user's teams. The search must parse (QueryError names what does not)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A saved view needs a name.", errors={"name": "required"})
    if len(name) > 80:
        raise ValidationFailed("A name is at most 80 characters.", errors={"name": "at most 80 characters"})
    clean = saved_view_query(query)
    q = " ".join((q or "").split())
    if q:
        search_parse(q)  # refuse now what the inbox could not run later
    if not clean and not q:
        raise ValidationFailed("Choose at least one filter or search to save.", errors={"query": "no filters"})
    if team is not None and not team.members.filter(pk=user.pk).exists():
        raise ValidationFailed("You can share a view only with a team you belong to.", errors={"team": "not a member"})
    if SavedView.objects.filter(user=user, name=name).exists():
        raise Conflict(f"You already have a view named {name!r}.", errors={"name": "already used"})
    position = SavedView.objects.filter(user=user).count()
    view = SavedView.objects.create(user=user, name=name, query=clean, q=q, team=team, position=position)
    event_record(
        actor=user,
        verb="saved_view.created",
        target=view,
        changes={"query": [None, clean], "q": [None, q], "team": [None, team.pk if team else None]},
    )
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: User) -> None:
    if view.user_id != actor.pk:
        raise ValidationFailed("That view belongs to someone else.", errors={"view": "not yours"})
    event_record(actor=actor, verb="saved_view.deleted", target=view, changes={"name": [view.name, None]})
    view.delete()


def inbox_preference_remember(*, preference: InboxPreference, sort: str, view: str) -> None:
    """Remember the inbox sort and view a user chose (one upsert, only when they changed). A display preference
    of the user's own, like a session, so no audit event."""
    if (preference.sort, preference.view) == (sort, view) and not preference._state.adding:
        return
    preference.sort, preference.view, preference.updated_at = sort, view, timezone.now()
    InboxPreference.objects.bulk_create(
        [preference], update_conflicts=True, unique_fields=["user"], update_fields=["sort", "view", "updated_at"]
    )
    preference._state.adding = False
