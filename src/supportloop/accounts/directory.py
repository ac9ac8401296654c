"""Who is who, held in the cache: every user's display name and role, every team's name.

The ticket page names people and teams in its pickers (assignee, team) and its audit timeline; a workspace has a
few dozen of them and they rarely change, so one cached copy serves every page instead of two or three queries
per view. A save or delete of a user or team (from a service, the admin or a sign-in's last_login) drops the
copy after commit; an id the copy does not know (written by another process before its entry expired) reloads
it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from supportloop.accounts.choices import Role
from supportloop.accounts.models import Team, User

CACHE_KEY = "accounts:directory:v1"
CACHE_SECONDS = 300
STAFF_ROLES = (Role.ADMIN, Role.LEAD, Role.AGENT)  # who may be assigned tickets


@dataclass(frozen=True)
class Person:
    pk: int
    username: str
    name: str  # User.display_name
    role: str
    is_active: bool


@dataclass
class Directory:
    people: dict[int, Person] = field(default_factory=dict)  # by username
    teams: dict[int, str] = field(default_factory=dict)  # id: name, by name

    def knows(self, *, users: Iterable[int] = (), teams: Iterable[int] = ()) -> bool:
        return all(pk in self.people for pk in users) and all(pk in self.teams for pk in teams)

    def assignable(self) -> list[Person]:
        """Active admins, leads and agents by username: the assignee picker."""
        return [p for p in self.people.values() if p.is_active and p.role in STAFF_ROLES]


def _load() -> Directory:
    people = {
        pk: Person(pk=pk, username=username, name=f"{first} {last}".strip() or username, role=role, is_active=active)
        for pk, username, first, last, role, active in User.objects.order_by("username").values_list(
            "pk", "username", "first_name", "last_name", "role", "is_active"
        )
    }
    directory = Directory(people=people, teams=dict(Team.objects.order_by("name").values_list("pk", "name")))
    cache.set(CACHE_KEY, directory, CACHE_SECONDS)
    return directory


def directory(*, users: Iterable[int] = (), teams: Iterable[int] = ()) -> Directory:
    """The cached directory; reloaded (two queries) when cold or when it does not know one of these ids."""
    found: Directory | None = cache.get(CACHE_KEY)
    if found is None or not found.knows(users=users, teams=teams):
        return _load()
    return found


# The columns the directory reads (a save naming only other fields leaves it valid).
DIRECTORY_FIELDS = {"username", "first_name", "last_name", "role", "is_active", "name"}


def directory_forget() -> None:
    cache.delete(CACHE_KEY)


def forget_after_commit(sender, **kwargs) -> None:
    """Signal receiver (cache invalidation only): now, so the writing transaction reads its own change, and after
    commit, so another process that reloaded the old rows in between does not keep them."""
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not set(update_fields) & DIRECTORY_FIELDS:
        return  # e.g. last_login on sign-in: nothing the directory holds changed
    directory_forget()
    transaction.on_commit(directory_forget)


def connect_invalidation() -> None:
    for model in (User, Team):
        post_save.connect(forget_after_commit, sender=model, dispatch_uid=f"directory-{model.__name__}")
        post_delete.connect(forget_after_commit, sender=model, dispatch_uid=f"directory-del-{model.__name__}")
