"""In-app notifications (a trigger's or a time rule's "notify"): the cached unread count the header shows on every
agent page, and marking one or all of a user's notifications read.

The count is cached per user under a key that carries a version; the version is bumped (after commit) whenever a
notification is created for that user (trigger_actions.notify) or one of theirs is read, so a page costs no query
for the count while the cache is warm and one query when it is cold. A count computed while a bump happens is
stored under the old version, which nobody reads again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.automation.models import Notification
from supportloop.automation.selectors.notifications import notification_unread_count
from supportloop.core.services import event_record

COUNT_CACHE_SECONDS = 300  # a bound on a stale count if a bump is ever lost (e.g. a cache restart mid-write)
_VERSION_KEY = "automation:notices:v:{user_id}"
_COUNT_KEY = "automation:notices:n:{user_id}:{version}"


def _version(user_id: int) -> int:
    key = _VERSION_KEY.format(user_id=user_id)
    version = cache.get(key)
    if version is None:
        version = time.time_ns()
        if not cache.add(key, version, None):  # another process set one meanwhile: use theirs
            version = cache.get(key) or version
    return int(version)


def unread_count(*, user_id: int) -> int:
    """The user's unread notifications: cache reads only when warm, one query when cold."""
    key = _COUNT_KEY.format(user_id=user_id, version=_version(user_id))
    count = cache.get(key)
    if count is None:
        count = notification_unread_count(user_id=user_id)
        cache.set(key, count, COUNT_CACHE_SECONDS)
    return int(count)


def notifications_changed(user_ids: Iterable[int]) -> None:
    """Bump the users' count versions now (call it after commit, see `notifications_changed_on_commit`)."""
    stamp = time.time_ns()
    cache.set_many({_VERSION_KEY.format(user_id=uid): stamp for uid in set(user_ids)}, None)


def notifications_changed_on_commit(user_ids: Iterable[int]) -> None:
    ids = sorted(set(user_ids))
    if ids:
        transaction.on_commit(partial(notifications_changed, ids))


@transaction.atomic
def notification_mark_read(*, notification: Notification, actor: User | None) -> bool:
    """Mark one notification read (the caller has checked it is the actor's). False if it already was read."""
    now = timezone.now()
    updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    if not updated:
        return False
    notification.read_at = now
    event_record(actor=actor, verb="notification.read", target=notification, changes={"read_at": [None, now]})
    notifications_changed_on_commit([notification.user_id])
    return True


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of `user` read: one update and one audit event with the count."""
    now = timezone.now()
    count = Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(read_at=now)
    if count:
        event_record(actor=user, verb="notification.read_all", target=user, changes={"read": [0, count]})
        notifications_changed_on_commit([user.pk])
    return count
