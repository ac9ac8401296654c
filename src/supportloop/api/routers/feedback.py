"""Feedback: items, evidence, bug reports, merges, status changes (closing the loop), ranking, roadmap, digest.

Role rules (accounts/permissions.py): everyone reads; agents add evidence and file bugs; product managers own
items, statuses and merges; product managers and leads export requesters. The public roadmap is anonymous
and carries no customer data. Schemas: api/schemas/feedback.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpResponse
from ninja import Query, Router
from ninja import Status as Respond

from supportloop.accounts import selectors as account_selectors
from supportloop.accounts.models import User
from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS
from supportloop.api.schemas.feedback import (
    BugPickListsOut,
    ClosingNoticeOut,
    ClosingNoticeRetryIn,
    ClosingNoticeRetryOut,
    EngineeringLinkIn,
    EngineeringLinkOut,
    FeedbackBugIn,
    FeedbackDigestOut,
    FeedbackDigestQuery,
    FeedbackEvidenceIn,
    FeedbackEvidenceOut,
    FeedbackItemCreateIn,
    FeedbackItemOut,
    FeedbackItemUpdateIn,
    FeedbackMergeIn,
    FeedbackPublicRoadmapOut,
    FeedbackRankingPageOut,
    FeedbackRankingQuery,
    FeedbackRoadmapOut,
    FeedbackSettingsIn,
    FeedbackSettingsOut,
    FeedbackStatusIn,
    NotifyPreviewOut,
    NotifyPreviewQuery,
)
from supportloop.core.errors import ValidationFailed
from supportloop.customers import selectors as customer_selectors
from supportloop.feedback import selectors, services
from supportloop.feedback.rollups import feedback_settings
from supportloop.feedback.selectors.reports import WeeklyDigest
from supportloop.tickets import selectors as ticket_selectors
from supportloop.tickets.lookups import resolve_ticket_refs
from supportloop.tickets.models import Ticket

router = Router(tags=["feedback"])


# ---------------------------------------------------------------------------------------------- helpers
def _item_out(item_id: int) -> dict:
    item = selectors.feedback_item_detail(item_id=item_id)
    return FeedbackItemOut.from_item(
        item, stats=selectors.feedback_item_stats(item=item), bug=selectors.bug_report_of(item)
    )


def _user(user_id: int | None, field: str = "owner_id") -> User | None:
    return account_selectors.user_ref(user_id=user_id, field=field)


def _ticket(number: int | None) -> Ticket | None:
    return ticket_selectors.ticket_ref(number=number, field="ticket_number")


# ---------------------------------------------------------------------------------------------- ranking
# One function, two addresses: /items lists what /ranking ranks, with the same filters and sorts.
@router.get(
    "/ranking",
    response={200: FeedbackRankingPageOut, **PROBLEMS},
    summary="Rank items by unique customers, revenue, trend or the workspace score",
    operation_id="ranking_list",
)
@router.get(
    "/items",
    response={200: FeedbackRankingPageOut, **PROBLEMS},
    summary="List items with their figures (same filters and sorts as the ranking)",
    operation_id="items_list",
)
def feedback_ranking(request: ApiRequest, query: Query[FeedbackRankingQuery]) -> dict[str, Any]:
    require(request.auth, "feedback.view")
    refs = resolve_ticket_refs(product_area=query.product_area, product_feature=query.product_feature)
    filters = {
        "kind": list(query.kind),
        "status": list(query.status),
        "plan": list(query.plan),
        "since": query.since,
        "until": query.until,
        "product_area": refs["product_area"],
        "product_feature": refs["product_feature"],
        "owner": query.owner_id,
        "q": query.q,
    }
    rows = selectors.feedback_ranking(
        **filters, sort=query.sort, order=query.order, limit=query.limit, offset=query.offset
    )
    return {
        "items": rows,
        "total": selectors.feedback_ranking_count(**filters),
        "limit": query.limit,
        "offset": query.offset,
    }


# ---------------------------------------------------------------------------------------------- items
@router.post(
    "/items", response={201: FeedbackItemOut, **PROBLEMS}, summary="Create a feedback item", operation_id="item_create"
)
def feedback_item_create(request: ApiRequest, payload: FeedbackItemCreateIn) -> Respond[Any]:
    require(request.auth, "feedback.create")
    with transaction.atomic():
        refs = resolve_ticket_refs(product_area=payload.product_area, product_feature=payload.product_feature)
        item = services.feedback_item_create(
            kind=payload.kind,
            title=payload.title,
            problem=payload.problem,
            proposed_solution=payload.proposed_solution,
            owner=_user(payload.owner_id),
            is_public=payload.is_public,
            public_description=payload.public_description,
            actor=request.auth,
            **refs,
        )
    return Respond(201, _item_out(item.pk))


@router.get(
    "/items/{int:item_id}",
    response={200: FeedbackItemOut, **PROBLEMS},
    summary="Read an item with its figures, history and links (a merged item names merged_into_id)",
    operation_id="item_get",
)
def feedback_item_read(request: ApiRequest, item_id: int) -> dict[str, Any]:
    require(request.auth, "feedback.view")
    return _item_out(item_id)


@router.patch(
    "/items/{int:item_id}",
    response={200: FeedbackItemOut, **PROBLEMS},
    summary="Update an item",
    operation_id="item_update",
)
def feedback_item_update(request: ApiRequest, item_id: int, payload: FeedbackItemUpdateIn) -> dict[str, Any]:
    require(request.auth, "feedback.manage")
    data = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        item = selectors.feedback_item_get(item_id=item_id)
        refs = resolve_ticket_refs(**{k: data.pop(k) for k in ("product_area", "product_feature") if k in data})
        if "owner_id" in data:
            data["owner"] = _user(data.pop("owner_id"))
        for key in (
            "kind",
            "title",
            "problem",
            "proposed_solution",
            "is_public",
            "public_description",
            "release_note",
            "decline_reason",
        ):
            if key in data and data[key] is None:
                raise ValidationFailed(f"{key} cannot be null.", errors={key: "cannot be null"})
        services.feedback_item_update(item=item, actor=request.auth, **data, **refs)
    return _item_out(item_id)


@router.delete(
    "/items/{int:item_id}",
    response={204: None, **PROBLEMS},
    summary="Delete an item and its evidence",
    operation_id="item_delete",
)
def feedback_item_delete(request: ApiRequest, item_id: int) -> Respond[Any]:
    require(request.auth, "feedback.manage")
    services.feedback_item_delete(item=selectors.feedback_item_get(item_id=item_id), actor=request.auth)
    return Respond(204, None)


@router.post(
    "/items/{int:item_id}/status",
    response={200: FeedbackItemOut, **PROBLEMS},
    summary="Change an item's status (shipped/declined may tell the requesters)",
    operation_id="item_status_set",
)
def feedback_item_status(request: ApiRequest, item_id: int, payload: FeedbackStatusIn) -> dict[str, Any]:
    require(request.auth, "feedback.manage")
    item = selectors.feedback_item_get(item_id=item_id)
    services.feedback_item_set_status(
        item=item,
        status=payload.status,
        actor=request.auth,
        note=payload.note,
        notify=payload.notify,
        release_note=payload.release_note,
        decline_reason=payload.decline_reason,
    )
    return _item_out(item_id)


@router.get(
    "/items/{int:item_id}/notify-preview",
    response={200: NotifyPreviewOut, **PROBLEMS},
    summary="Who would be told, and a sample message, before shipping or declining",
    operation_id="item_notify_preview",
)
def feedback_item_notify_preview(request: ApiRequest, item_id: int, query: Query[NotifyPreviewQuery]) -> dict[str, Any]:
    require(request.auth, "feedback.manage")
    item = selectors.feedback_item_get(item_id=item_id)
    kind = query.kind or ("declined" if item.status == "declined" else "shipped")
    rows = services.close_the_loop_preview(item=item, kind=kind)
    sample: Mapping[str, object] = {"subject": "", "body": ""}
    first = next((r for r in rows if r["will_be_told"]), None)
    if first is not None:
        sample = services.notice_render(
            item=item, contact=customer_selectors.contact_get(contact_id=first["contact_id"]), kind=kind
        )
    return {
        "kind": kind,
        "recipients": rows,
        "will_be_told": sum(1 for r in rows if r["will_be_told"]),
        "sample_subject": sample["subject"],
        "sample_body": sample["body"],
    }


@router.get(
    "/items/{int:item_id}/notices",
    response={200: list[ClosingNoticeOut], **PROBLEMS},
    summary="Closing-the-loop notices per contact: told, queued, failed, with attempts and the last error",
    operation_id="item_notices_list",
)
def feedback_item_notices(request: ApiRequest, item_id: int) -> list[Any]:
    require(request.auth, "feedback.view")
    item = selectors.feedback_item_get(item_id=item_id)
    return [ClosingNoticeOut.from_notice(n) for n in selectors.notices_for_item(item=item)]


@router.post(
    "/items/{int:item_id}/notices/retry",
    response={202: ClosingNoticeRetryOut, **PROBLEMS},
    summary="Queue again the notices that gave up (409 when none did); they are sent in the background",
    operation_id="item_notices_retry",
)
def feedback_item_notices_retry(request: ApiRequest, item_id: int, payload: ClosingNoticeRetryIn) -> Respond[Any]:
    require(request.auth, "feedback.manage")
    item = selectors.feedback_item_get(item_id=item_id)
    return Respond(202, {"retried": services.closing_notices_retry(item=item, actor=request.auth, kind=payload.kind)})


@router.post(
    "/items/{int:item_id}/merge",
    response={200: FeedbackItemOut, **PROBLEMS},
    summary="Merge this item (a duplicate) into target_id; returns the target",
    operation_id="item_merge",
)
def feedback_item_merge(request: ApiRequest, item_id: int, payload: FeedbackMergeIn) -> dict[str, Any]:
    require(request.auth, "feedback.manage")
    source = selectors.feedback_item_get(item_id=item_id)
    target = selectors.feedback_item_ref(item_id=payload.target_id, field="target_id")
    target = services.feedback_item_merge(source=source, target=target, actor=request.auth, note=payload.note)
    return _item_out(target.pk)


@router.post(
    "/items/{int:item_id}/links",
    response={201: EngineeringLinkOut, **PROBLEMS},
    summary="Link an engineering tracker issue",
    operation_id="item_link_add",
)
def feedback_link_add(request: ApiRequest, item_id: int, payload: EngineeringLinkIn) -> Respond[Any]:
    require(request.auth, "feedback.manage")
    link = services.engineering_link_add(
        item=selectors.feedback_item_get(item_id=item_id),
        url=payload.url,
        key=payload.key,
        tracker=payload.tracker,
        actor=request.auth,
    )
    return Respond(201, EngineeringLinkOut.from_link(link))


@router.delete(
    "/links/{int:link_id}",
    response={204: None, **PROBLEMS},
    summary="Remove an engineering link",
    operation_id="link_remove",
)
def feedback_link_remove(request: ApiRequest, link_id: int) -> Respond[Any]:
    require(request.auth, "feedback.manage")
    link = selectors.engineering_link_get(link_id=link_id)
    services.engineering_link_remove(link=link, actor=request.auth)
    return Respond(204, None)


@router.get(
    "/items/{int:item_id}/requesters.csv",
    response={200: str, **PROBLEMS},
    summary="CSV of requesters (contact, company, plan, MRR, quote) for research recruiting",
    operation_id="item_requesters_csv",
)
def feedback_requesters_csv(request: ApiRequest, item_id: int) -> HttpResponse:
    require(request.auth, "feedback.export")
    item = selectors.feedback_item_get(item_id=item_id)
    response = HttpResponse(selectors.requesters_csv(item=item), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="FB-{item.pk}-requesters.csv"'
    return response


# ---------------------------------------------------------------------------------------------- evidence
@router.get(
    "/items/{int:item_id}/evidence",
    response={200: list[FeedbackEvidenceOut], **PROBLEMS},
    summary="The item's evidence, most recent first",
    operation_id="item_evidence_list",
)
def feedback_evidence_list(request: ApiRequest, item_id: int) -> list[Any]:
    require(request.auth, "feedback.view")
    item = selectors.feedback_item_get(item_id=item_id)
    return [FeedbackEvidenceOut.from_evidence(ev) for ev in selectors.evidence_for_item(item=item)]


@router.post(
    "/items/{int:item_id}/evidence",
    response={201: FeedbackEvidenceOut, **PROBLEMS},
    summary="Add evidence: a ticket (and message), or a source label such as 'Sales call'",
    operation_id="item_evidence_add",
)
def feedback_evidence_add(request: ApiRequest, item_id: int, payload: FeedbackEvidenceIn) -> Respond[Any]:
    require(request.auth, "feedback.evidence")
    with transaction.atomic():
        item = selectors.feedback_item_get(item_id=item_id)
        ticket = _ticket(payload.ticket_number)
        message = ticket_selectors.message_ref(ticket=ticket, message_id=payload.message_id)  # of THIS ticket
        contact = customer_selectors.contact_ref(contact_id=payload.contact_id)
        evidence = services.evidence_add(
            item=item,
            actor=request.auth,
            ticket=ticket,
            message=message,
            quote=payload.quote,
            contact=contact,
            importance=payload.importance,
            source=payload.source,
            heard_at=payload.heard_at,
        )
    evidence = selectors.evidence_of_item(item=item, evidence_id=evidence.pk)
    return Respond(201, FeedbackEvidenceOut.from_evidence(evidence))


@router.delete(
    "/evidence/{int:evidence_id}",
    response={204: None, **PROBLEMS},
    summary="Remove evidence",
    operation_id="evidence_remove",
)
def feedback_evidence_remove(request: ApiRequest, evidence_id: int) -> Respond[Any]:
    require(request.auth, "feedback.evidence")
    services.evidence_remove(evidence=selectors.evidence_get(evidence_id=evidence_id), actor=request.auth)
    return Respond(204, None)


# ---------------------------------------------------------------------------------------------- bugs
@router.get(
    "/bug-picklists",
    response={200: BugPickListsOut, **PROBLEMS},
    summary="The bug form's pick-lists",
    operation_id="bug_picklists_get",
)
def feedback_bug_picklists(request: ApiRequest) -> dict[str, Any]:
    require(request.auth, "feedback.view")
    from supportloop.customers.choices import Plan
    from supportloop.feedback.choices import Frequency, Severity

    out: dict[str, list[str]] = {
        f: [] for f in ("version", "environment_browser", "environment_os", "environment_device")
    }
    for field, value in selectors.bug_picklist_values():
        out[field].append(value)
    return {**out, "environment_plan": Plan.values, "severity": Severity.values, "frequency": Frequency.values}


@router.post(
    "/bugs",
    response={201: FeedbackItemOut, **PROBLEMS},
    summary="File a bug from the structured form (errors name each missing field)",
    operation_id="bug_file",
)
def feedback_bug_file(request: ApiRequest, payload: FeedbackBugIn) -> Respond[Any]:
    require(request.auth, "feedback.file_bug")
    with transaction.atomic():
        refs = resolve_ticket_refs(product_feature=payload.product_feature)
        data = payload.model_dump(exclude={"ticket_number", "product_feature"})
        item = services.bug_report_file(
            actor=request.auth, ticket=_ticket(payload.ticket_number), product_feature=refs["product_feature"], **data
        )
    return Respond(201, _item_out(item.pk))


# ---------------------------------------------------------------------------------------------- roadmap, digest
@router.get(
    "/roadmap",
    response={200: FeedbackRoadmapOut, **PROBLEMS},
    summary="Team roadmap with customer counts",
    operation_id="roadmap_get",
)
def feedback_roadmap(request: ApiRequest) -> dict[str, list[dict[str, Any]]]:
    require(request.auth, "feedback.view")
    return selectors.roadmap(public=False)


@router.get(
    "/public/roadmap",
    auth=None,
    response={200: FeedbackPublicRoadmapOut, **PROBLEMS},
    summary="Public roadmap: public items only, no customer data; no authentication",
    operation_id="public_roadmap_get",
)
def feedback_public_roadmap(request: ApiRequest) -> dict[str, list[dict[str, Any]]]:
    return selectors.roadmap(public=True)


@router.get(
    "/digest",
    response={200: FeedbackDigestOut, **PROBLEMS},
    summary="Weekly digest for product managers",
    operation_id="digest_get",
)
def feedback_digest(request: ApiRequest, query: Query[FeedbackDigestQuery]) -> WeeklyDigest:
    require(request.auth, "feedback.view")
    return selectors.weekly_digest(week_start=query.week_start)


@router.post(
    "/digest/send",
    response={202: dict, **PROBLEMS},
    summary="Mail the weekly digest to product managers",
    operation_id="digest_send",
)
def feedback_digest_send(request: ApiRequest, query: Query[FeedbackDigestQuery]) -> Respond[Any]:
    require(request.auth, "feedback.manage")
    services.weekly_digest_queue(week_start=query.week_start)
    return Respond(202, {"queued": True})


# ---------------------------------------------------------------------------------------------- settings
def _settings_out() -> dict:
    return FeedbackSettingsOut.from_settings(feedback_settings())


@router.get(
    "/settings",
    response={200: FeedbackSettingsOut, **PROBLEMS},
    summary="Score weights and sender",
    operation_id="feedback_settings_get",
)
def feedback_settings_read(request: ApiRequest) -> dict[str, Any]:
    require(request.auth, "feedback.view")
    return _settings_out()


@router.patch(
    "/settings",
    response={200: FeedbackSettingsOut, **PROBLEMS},
    summary="Change score weights (admins)",
    operation_id="feedback_settings_update",
)
def feedback_settings_update(request: ApiRequest, payload: FeedbackSettingsIn) -> dict[str, Any]:
    require(request.auth, "feedback.configure")
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    services.feedback_settings_update(actor=request.auth, **data)
    return _settings_out()
