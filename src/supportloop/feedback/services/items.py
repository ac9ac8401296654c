"""Writes to feedback items: create, update, delete, status changes (with history), merges, engineering links."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.indexing import FEEDBACK, index_changed
from supportloop.core.jobs import job_enqueue
from supportloop.core.services import event_record, model_update
from supportloop.core.validation import clean_text
from supportloop.feedback.choices import SETTABLE_STATUSES, ItemStatus, Kind, NoticeKind, ProposalStatus, Tracker
from supportloop.feedback.models import (
    EngineeringLink,
    Evidence,
    FeedbackItem,
    FeedbackSettings,
    ItemStats,
    StatusChange,
)
from supportloop.feedback.rollups import feedback_settings, stats_recompute
from supportloop.tickets.models import ProductArea, ProductFeature

TITLE_MAX = 300
OWNER_ROLES = (Role.PRODUCT, Role.ADMIN)
UPDATABLE = {
    "kind",
    "title",
    "problem",
    "proposed_solution",
    "product_area",
    "product_feature",
    "owner",
    "is_public",
    "public_description",
    "release_note",
    "decline_reason",
}


def _check_kind(kind: str) -> None:
    if kind not in Kind.values:
        raise ValidationFailed(f"Unknown kind {kind!r}.", errors={"kind": f"must be one of {', '.join(Kind.values)}"})


def _check_owner(owner: User | None) -> None:
    if owner is not None and (owner.role not in OWNER_ROLES or not owner.is_active):
        raise ValidationFailed(
            "The owner must be an active product manager (or admin).", errors={"owner": "not a product user"}
        )


def _area_for(product_area: ProductArea | None, product_feature: ProductFeature | None) -> ProductArea | None:
    """The area follows the feature; an explicit area that contradicts the feature is refused."""
    if product_feature is None:
        return product_area
    if not product_feature.is_active:
        raise ValidationFailed("That product feature is retired.", errors={"product_feature": "inactive"})
    if product_area is not None and product_area.pk != product_feature.area_id:
        raise ValidationFailed(
            "The feature belongs to another product area.",
            errors={"product_area": f"the feature belongs to area {product_feature.area_id}"},
        )
    return product_feature.area


def _refuse_if_merged(item: FeedbackItem) -> None:
    if item.status == ItemStatus.MERGED:
        raise Conflict(
            f"{item.reference} was merged into FB-{item.merged_into_id}; change that item instead.",
            errors={"item": f"merged into FB-{item.merged_into_id}"},
        )


@transaction.atomic
def feedback_item_create(
    *,
    kind: str,
    title: str,
    problem: str = "",
    proposed_solution: str = "",
    product_feature: ProductFeature | None = None,
    product_area: ProductArea | None = None,
    owner: User | None = None,
    is_public: bool = False,
    public_description: str = "",
    actor: User | None,
    created_at: datetime | None = None,
) -> FeedbackItem:
    """Open a feedback item in status `new`, with an empty rollup row and the first status-history step."""
    _check_kind(kind)
    title = clean_text(title, field="title", required=True, max_length=TITLE_MAX).strip()
    problem = clean_text(problem, field="problem")
    proposed_solution = clean_text(proposed_solution, field="proposed_solution")
    public_description = clean_text(public_description, field="public_description")
    _check_owner(owner)
    area = _area_for(product_area, product_feature)
    now = created_at or timezone.now()
    item = FeedbackItem.objects.create(
        kind=kind,
        title=title,
        problem=problem,
        proposed_solution=proposed_solution,
        product_area=area,
        product_feature=product_feature,
        owner=owner,
        is_public=is_public,
        public_description=public_description,
        created_by=actor,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    ItemStats.objects.create(item=item)
    StatusChange.objects.create(item=item, from_status="", to_status=ItemStatus.NEW, actor=actor, created_at=now)
    event_record(
        actor=actor,
        verb="feedback_item.created",
        target=item,
        changes={
            "kind": [None, kind],
            "title": [None, title],
            "product_area": [None, area.pk if area else None],
            "owner": [None, owner.pk if owner else None],
            "is_public": [None, is_public],
            **({"public_description": [None, public_description]} if public_description else {}),
        },
    )
    index_changed(FEEDBACK, [item.pk])
    return item


@transaction.atomic
def feedback_item_update(*, item: FeedbackItem, actor: User | None, **fields: Any) -> FeedbackItem:
    """Change an item's descriptive fields. Status goes through feedback_item_set_status, merging through merge."""
    if "status" in fields:
        raise ValidationFailed(
            "Change the status with the status action (it keeps history and may notify).",
            errors={"status": "use the status change"},
        )
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown field")
        )
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    _refuse_if_merged(item)
    if "kind" in fields:
        _check_kind(fields["kind"])
    if "title" in fields:
        fields["title"] = clean_text(fields["title"], field="title", required=True, max_length=TITLE_MAX).strip()
    for name in ("problem", "proposed_solution", "public_description", "release_note", "decline_reason"):
        if name in fields:
            fields[name] = clean_text(fields[name], field=name)
    if "owner" in fields:
        _check_owner(fields["owner"])
    if "product_feature" in fields:
        feature = fields["product_feature"]
        # Not fields.get(..., item.product_area): that would read the item's area even when it is not needed.
        area = fields["product_area"] if "product_area" in fields else (item.product_area if feature is None else None)  # noqa: SIM401
        fields["product_area"] = _area_for(area, feature)
    elif "product_area" in fields:
        area, feature = fields["product_area"], item.product_feature
        # Moving an item to another area drops a feature that belongs to the old one.
        fields["product_feature"] = feature if feature and area and feature.area_id == area.pk else None
    changes = model_update(item, fields, allowed_fields=UPDATABLE, touch={"updated_at": timezone.now()})
    if changes:
        event_record(actor=actor, verb="feedback_item.updated", target=item, changes=changes)
        index_changed(FEEDBACK, [item.pk])
    return item


@transaction.atomic
def feedback_item_delete(*, item: FeedbackItem, actor: User | None) -> None:
    """Delete an item and its evidence (the counts of other items are unaffected). Refused while items redirect here."""
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    redirected = list(FeedbackItem.objects.filter(merged_into=item).values_list("pk", flat=True))
    if redirected:
        raise Conflict(
            f"{item.reference} is the target of merged items; it cannot be deleted.",
            errors={"item": "merged items point here: " + ", ".join(f"FB-{pk}" for pk in redirected)},
        )
    event_record(
        actor=actor,
        verb="feedback_item.deleted",
        target=item,
        changes={"title": [item.title, None], "evidence": [item.evidence.count(), 0]},
    )
    item_id = item.pk
    item.delete()
    index_changed(FEEDBACK, [item_id])


_NOTICE_KIND_FOR: dict[str, str] = {ItemStatus.SHIPPED: NoticeKind.SHIPPED, ItemStatus.DECLINED: NoticeKind.DECLINED}


def _notice_kind_for(status: str) -> str | None:
    return _NOTICE_KIND_FOR.get(status)


def feedback_item_status_check(
    *,
    item: FeedbackItem,
    status: str,
    notify: bool | None = None,
    release_note: str | None = None,
    decline_reason: str | None = None,
) -> bool:
    """The business rules of a status change, checked without writing (a page asks before its confirm step):
    raises ValidationFailed or Conflict, else returns whether customers will be notified (notify resolved: by
    default yes when the item ships, no when it is declined)."""
    if status not in ItemStatus.values:
        raise ValidationFailed(
            f"Unknown status {status!r}.", errors={"status": f"must be one of {', '.join(SETTABLE_STATUSES)}"}
        )
    if status == ItemStatus.MERGED:
        raise ValidationFailed(
            "An item becomes merged only by merging it into another item.", errors={"status": "use merge"}
        )
    _refuse_if_merged(item)
    if notify is None:
        notify = status == ItemStatus.SHIPPED
    if notify and _notice_kind_for(status) is None:
        raise ValidationFailed(
            "Only shipping or declining an item tells customers.", errors={"notify": "only for shipped or declined"}
        )
    reason = decline_reason if decline_reason is not None else item.decline_reason
    if status == ItemStatus.DECLINED and not (reason or "").strip():
        raise ValidationFailed(
            "Say why the item is declined; customers deserve an honest reason.",
            errors={"decline_reason": "required when declining"},
        )
    note = release_note if release_note is not None else item.release_note
    if notify and status == ItemStatus.SHIPPED and not (note or "").strip():
        raise ValidationFailed(
            "Write the release note the customers will receive.",
            errors={"release_note": "required to notify on shipping"},
        )
    return bool(notify)


@transaction.atomic
def feedback_item_set_status(
    *,
    item: FeedbackItem,
    status: str,
    actor: User | None,
    note: str = "",
    notify: bool | None = None,
    release_note: str | None = None,
    decline_reason: str | None = None,
) -> FeedbackItem:
    """Move an item to a status, keeping history (who, when, from, to, note).

    notify: tell every contact in the evidence. Default: yes when the item ships, no when it is declined (the
    product manager chooses). The notices are queued in this transaction (the item page shows them queued at
    once) and sent after commit by a background task. Telling is idempotent per (item, contact, kind), so
    repeating a status change never mails a contact twice.
    """
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    note = clean_text(note, field="note")
    values: dict[str, Any] = {}
    if release_note is not None:
        values["release_note"] = clean_text(release_note, field="release_note")
    if decline_reason is not None:
        values["decline_reason"] = clean_text(decline_reason, field="decline_reason")
    notify = feedback_item_status_check(
        item=item,
        status=status,
        notify=notify,
        release_note=values.get("release_note"),
        decline_reason=values.get("decline_reason"),
    )
    kind = _notice_kind_for(status)
    old = item.status
    now = timezone.now()
    if status != old:
        values["status"] = status
        values["status_changed_at"] = now
        if status == ItemStatus.SHIPPED:
            values["shipped_at"] = now
    changes = model_update(
        item,
        values,
        allowed_fields=("status", "status_changed_at", "shipped_at", "release_note", "decline_reason"),
        touch={"updated_at": now},
    )
    if status != old:
        StatusChange.objects.create(
            item=item, from_status=old, to_status=status, actor=actor, note=note, created_at=now
        )
        if status == ItemStatus.SHIPPED:
            from supportloop.feedback.services.proposals import ship_proposals_settle

            # A tracker's ship proposals are accepted by shipping the item, whichever way it was shipped.
            if ship_proposals_settle(item=item, actor=actor):
                changes["ship_proposals"] = [ProposalStatus.PENDING, ProposalStatus.ACCEPTED]
    if changes or notify:
        event_record(
            actor=actor,
            verb="feedback_item.status_changed",
            target=item,
            changes={**changes, "note": [None, note] if note else None, "notify": [None, bool(notify)]},
        )
    if notify:
        from supportloop.feedback.services.loop import closing_notices_queue

        closing_notices_queue(item=item, kind=str(kind))
        transaction.on_commit(partial(job_enqueue, "feedback.close_the_loop", item_id=item.pk, kind=str(kind)))
    if changes:
        index_changed(FEEDBACK, [item.pk])
    return item


def _merge_chain(item: FeedbackItem) -> list[int]:
    chain: list[int] = []
    seen: set[int] = set()
    current: FeedbackItem | None = item
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        chain.append(current.pk)
        current = current.merged_into
    return chain


@transaction.atomic
def feedback_item_merge(
    *, source: FeedbackItem, target: FeedbackItem, actor: User | None, note: str = ""
) -> FeedbackItem:
    """Merge duplicate `source` into `target`: evidence moves, source stays as a redirecting `merged` record.

    Unique counts stay exact because they are COUNT(DISTINCT) over the moved rows; evidence of the same ticket
    message, or of the same ticket and quote, already on the target is dropped rather than counted twice.
    Returns the target.
    """
    if source.pk == target.pk:
        raise ValidationFailed("An item cannot be merged into itself.", errors={"target": "same as source"})
    locked = {
        i.pk: i for i in FeedbackItem.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.pk in _merge_chain(target):
        raise Conflict(
            f"Merging {source.reference} into {target.reference} would create a cycle "
            f"({target.reference} is already merged into {source.reference}).",
            errors={"target": "would create a cycle"},
        )
    if source.status == ItemStatus.MERGED:
        raise Conflict(
            f"{source.reference} is already merged into FB-{source.merged_into_id}.",
            errors={"source": f"already merged into FB-{source.merged_into_id}"},
        )
    if target.status == ItemStatus.MERGED:
        raise Conflict(
            f"{target.reference} is itself merged into FB-{target.merged_into_id}; merge into that item.",
            errors={"target": f"merged into FB-{target.merged_into_id}"},
        )
    note = clean_text(note, field="note")
    # The same ticket message, or the same ticket and quote, on both items: the target's link is kept.
    target_messages = set(
        Evidence.objects.filter(item=target, message__isnull=False).values_list("message_id", flat=True)
    )
    target_links = set(Evidence.objects.filter(item=target, link_key__isnull=False).values_list("link_key", flat=True))
    duplicates = list(
        Evidence.objects.filter(
            Q(message_id__in=target_messages) | Q(link_key__in=target_links), item=source
        ).values_list("pk", flat=True)
    )
    if duplicates:
        Evidence.objects.filter(pk__in=duplicates).delete()
    moving = Evidence.objects.filter(item=source)
    moved_ids = list(moving.values_list("pk", flat=True))
    moving.filter(merged_from__isnull=True).update(merged_from=source)
    Evidence.objects.filter(pk__in=moved_ids).update(item=target)
    # Items merged earlier into the source now redirect straight to the target (no chains to follow).
    earlier = list(FeedbackItem.objects.filter(merged_into=source).values_list("pk", flat=True))
    FeedbackItem.objects.filter(pk__in=earlier).update(merged_into=target)
    now = timezone.now()
    old_status = source.status
    source.status = ItemStatus.MERGED
    source.merged_into = target
    source.status_changed_at = source.updated_at = now
    source.save(update_fields=["status", "merged_into", "status_changed_at", "updated_at"])
    StatusChange.objects.create(
        item=source,
        from_status=old_status,
        to_status=ItemStatus.MERGED,
        actor=actor,
        note=note or f"Merged into {target.reference}",
        created_at=now,
    )
    target.updated_at = now
    target.save(update_fields=["updated_at"])
    stats_recompute(item_ids=[source.pk, target.pk])
    event_record(
        actor=actor,
        verb="feedback_item.merged",
        target=source,
        changes={
            "status": [old_status, ItemStatus.MERGED],
            "merged_into": [None, target.pk],
            "evidence_moved": [moved_ids, []],
            "duplicates_dropped": [duplicates, []],
        },
    )
    event_record(
        actor=actor,
        verb="feedback_item.merged_in",
        target=target,
        changes={"merged_from": [None, source.pk], "evidence_moved": [[], moved_ids], "redirects_moved": [[], earlier]},
    )
    index_changed(FEEDBACK, [source.pk, target.pk])
    return target


def _tracker_for(url: str) -> str:
    host = url.split("//", 1)[-1].split("/", 1)[0].lower()
    if "atlassian" in host or "jira" in host:
        return Tracker.JIRA
    if "github" in host:
        return Tracker.GITHUB
    if "linear.app" in host:
        return Tracker.LINEAR
    if "gitlab" in host:
        return Tracker.GITLAB
    return Tracker.OTHER


@transaction.atomic
def engineering_link_add(
    *, item: FeedbackItem, url: str, key: str = "", tracker: str | None = None, actor: User | None
) -> EngineeringLink:
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    url = clean_text(url, field="url", required=True, max_length=500).strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationFailed("The link must be an http(s) URL.", errors={"url": "not an http(s) URL"}) from None
    tracker = tracker or _tracker_for(url)
    if tracker not in Tracker.values:
        raise ValidationFailed("Unknown tracker.", errors={"tracker": f"must be one of {', '.join(Tracker.values)}"})
    if EngineeringLink.objects.filter(item=item, url=url).exists():
        raise Conflict("That link is already on the item.", errors={"url": "already linked"})
    link = EngineeringLink.objects.create(
        item=item, url=url, key=clean_text(key, field="key", max_length=100).strip(), tracker=tracker
    )
    event_record(actor=actor, verb="feedback_item.link_added", target=item, changes={"link": [None, url]})
    return link


@transaction.atomic
def engineering_link_remove(*, link: EngineeringLink, actor: User | None) -> None:
    event_record(actor=actor, verb="feedback_item.link_removed", target=link.item, changes={"link": [link.url, None]})
    link.delete()


WEIGHTS = ("w_contacts", "w_companies", "w_mrr", "w_blockers", "w_trend")


@transaction.atomic
def feedback_settings_update(*, actor: User | None, **values: Any) -> FeedbackSettings:
    """Change the workspace's score weights, sender or name."""
    allowed = set(WEIGHTS) | {"workspace_name", "notice_from_email"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationFailed(
            f"Unknown setting(s): {', '.join(sorted(unknown))}.",
            errors=dict.fromkeys(sorted(unknown), "unknown setting"),
        )
    for name in WEIGHTS:
        if name in values:
            try:
                values[name] = float(values[name])
            except (TypeError, ValueError):
                raise ValidationFailed(f"{name} must be a number.", errors={name: "not a number"}) from None
            if not -1000 <= values[name] <= 1000:
                raise ValidationFailed(f"{name} must be between -1000 and 1000.", errors={name: "out of range"})
    row = feedback_settings()
    changes = model_update(row, values, allowed_fields=allowed)
    if changes:
        event_record(actor=actor, verb="feedback_settings.updated", target=row, changes=changes)
    return row
