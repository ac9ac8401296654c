"""Feedback: items, evidence, bug reports, merges, status changes (closing the loop), ranking, roadmap, digest.

Role rules (accounts/permissions.py): everyone reads; agents add evidence and file bugs; product managers own
items, statuses and merges; product managers and leads export requesters. The public roadmap is anonymous
and carries no customer data.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.db import transaction
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts import selectors as account_selectors
from supportloop.accounts.models import User
from supportloop.accounts.permissions import require
from supportloop.analytics.selectors import tag_quality_report
from supportloop.api.schemas import PROBLEMS, StrictIn, UtcDatetime
from supportloop.core.errors import ValidationFailed
from supportloop.customers import selectors as customer_selectors
from supportloop.feedback import selectors, services
from supportloop.feedback.rollups import feedback_settings
from supportloop.feedback.services.loop import MAX_ATTEMPTS as NOTICE_MAX_ATTEMPTS
from supportloop.tickets import selectors as ticket_selectors
from supportloop.tickets.lookups import resolve_ticket_refs
from supportloop.tickets.models import Ticket

router = Router(tags=["feedback"])

KindT = Literal["feature_request", "bug", "improvement"]
StatusT = Literal["new", "under_review", "planned", "in_progress", "shipped", "declined", "merged"]
SettableStatusT = Literal["new", "under_review", "planned", "in_progress", "shipped", "declined"]
PlanT = Literal["free", "starter", "pro", "enterprise"]
ImportanceT = Literal["nice_to_have", "important", "blocker"]
SortT = Literal[
    "score",
    "mentions",
    "unique_contacts",
    "unique_companies",
    "mrr",
    "growth",
    "blocker_contacts",
    "first_heard",
    "last_heard",
    "created_at",
    "title",
]


# ---------------------------------------------------------------------------------------------- schemas
class FeedbackRankingRowOut(Schema):
    id: int
    title: str
    kind: str
    status: str
    product_area_id: int | None
    product_feature_id: int | None
    owner_id: int | None
    is_public: bool
    created_at: datetime
    mentions: int
    unique_contacts: int
    unique_companies: int
    blocker_contacts: int
    mrr: Decimal
    score: float
    weekly: list[int] = Field(..., description="mentions per week, 12 weeks, oldest first (last = this week)")
    recent_4w: int
    previous_4w: int
    growth: int = Field(..., description="mentions in the last 4 weeks minus the 4 weeks before")
    growth_pct: float | None
    first_heard: datetime | None
    last_heard: datetime | None


class FeedbackRankingPageOut(Schema):
    items: list[FeedbackRankingRowOut]
    total: int
    limit: int
    offset: int


class FeedbackRankingQuery(Schema):
    kind: list[KindT] = Field(default_factory=list)
    product_area: str | None = Field(None, description="slug")
    product_feature: str | None = Field(None, description="slug")
    status: list[StatusT] = Field(default_factory=list, description="default: every status except merged")
    plan: list[PlanT] = Field(default_factory=list, description="current plan of the requesting companies")
    since: UtcDatetime | None = Field(
        None,
        description="evidence heard at or after; a Monday's midnight in the "
        "workspace time zone (alone, without until or plan) is answered from rollups, "
        "any other moment by a slower live count",
    )
    until: UtcDatetime | None = Field(None, description="evidence heard before")
    owner_id: int | None = None
    q: str | None = Field(None, max_length=200, description="title contains")
    sort: SortT = "score"
    order: Literal["asc", "desc"] | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class FeedbackPlanFigures(Schema):
    contacts: int
    mentions: int
    companies: int
    mrr: Decimal


class FeedbackStatsOut(Schema):
    mentions: int
    unique_contacts: int
    unique_companies: int
    blocker_contacts: int
    mrr: Decimal
    score: float
    weekly: list[int]
    recent_4w: int
    previous_4w: int
    growth: int
    growth_pct: float | None
    first_heard: datetime | None
    last_heard: datetime | None
    by_plan: dict[str, FeedbackPlanFigures]


class FeedbackStatusChangeOut(Schema):
    from_status: str
    to_status: str
    actor_id: int | None
    actor: str
    note: str
    created_at: datetime


class EngineeringLinkOut(Schema):
    id: int
    tracker: str
    url: str
    key: str


class FeedbackBugReportOut(Schema):
    ticket_number: int | None
    version: str
    environment_browser: str
    environment_os: str
    environment_device: str
    environment_plan: str
    severity: str
    frequency: str
    steps: str
    expected: str
    actual: str
    attachment_ids: list[int]


class FeedbackItemOut(Schema):
    id: int
    reference: str
    kind: str
    title: str
    problem: str
    proposed_solution: str
    product_area: str | None
    product_feature: str | None
    status: str
    owner_id: int | None
    is_public: bool
    release_note: str
    decline_reason: str
    merged_into_id: int | None
    merged_item_ids: list[int]
    created_at: datetime
    updated_at: datetime
    shipped_at: datetime | None
    stats: FeedbackStatsOut
    history: list[FeedbackStatusChangeOut]
    links: list[EngineeringLinkOut]
    bug_report: FeedbackBugReportOut | None


class FeedbackEvidenceOut(Schema):
    id: int
    item_id: int
    ticket_number: int | None
    message_id: int | None
    quote: str
    contact_id: int | None
    contact_name: str
    company_id: int | None
    company_name: str
    company_plan: str = Field(..., description="plan when heard")
    company_mrr: Decimal = Field(..., description="MRR when heard")
    importance: str
    source: str
    linked_by_id: int | None
    merged_from_id: int | None
    created_at: datetime = Field(..., description="when it was heard")
    linked_at: datetime


class FeedbackItemCreateIn(StrictIn):
    kind: KindT = "feature_request"
    title: str = Field(..., max_length=300)
    problem: str = ""
    proposed_solution: str = ""
    product_area: str | None = Field(None, description="slug")
    product_feature: str | None = Field(None, description="slug")
    owner_id: int | None = None
    is_public: bool = False


class FeedbackItemUpdateIn(StrictIn):
    kind: KindT | None = None
    title: str | None = Field(None, max_length=300)
    problem: str | None = None
    proposed_solution: str | None = None
    product_area: str | None = None
    product_feature: str | None = None
    owner_id: int | None = None
    is_public: bool | None = None
    release_note: str | None = None
    decline_reason: str | None = None


class FeedbackEvidenceIn(StrictIn):
    ticket_number: int | None = None
    message_id: int | None = None
    quote: str = ""
    contact_id: int | None = None
    importance: ImportanceT = "important"
    source: str = Field("", max_length=100, description="required without a ticket, e.g. 'Sales call'")
    heard_at: UtcDatetime | None = None


class FeedbackBugIn(StrictIn):
    title: str = Field(..., max_length=300)
    ticket_number: int | None = None
    product_feature: str | None = Field(None, description="slug")
    version: str = ""
    environment_browser: str = ""
    environment_os: str = ""
    environment_device: str = ""
    environment_plan: str = ""
    severity: str = ""
    frequency: str = ""
    steps: str = ""
    expected: str = ""
    actual: str = ""
    problem: str = ""
    importance: ImportanceT = "important"
    carry_attachment_ids: list[int] = Field(default_factory=list, max_length=50)


class FeedbackMergeIn(StrictIn):
    target_id: int
    note: str = ""


class FeedbackStatusIn(StrictIn):
    status: SettableStatusT
    note: str = ""
    notify: bool | None = Field(None, description="tell the requesters; default: yes when shipped, no when declined")
    release_note: str | None = None
    decline_reason: str | None = None


class NotifyPreviewQuery(Schema):
    kind: Literal["shipped", "declined"] | None = None


NoticeStatusT = Literal["pending", "sending", "sent", "skipped", "failed"]


class NotifyPreviewRowOut(Schema):
    contact_id: int
    name: str
    email: str
    language: str
    company: str
    ticket_id: int | None
    already_told: bool
    will_be_told: bool = Field(..., description="a run would mail them: not told yet, not given up, mailable")
    notice_status: NoticeStatusT | None = Field(..., description="their notice so far (none: not queued yet)")
    attempts: int
    error: str = Field(..., description="the last attempt's error, or why they cannot be mailed")


class ClosingNoticeOut(Schema):
    id: int
    contact_id: int
    contact_name: str
    email: str
    kind: Literal["shipped", "declined"]
    status: NoticeStatusT = Field(
        ...,
        description="pending (queued), sending, sent (told), skipped (not mailed), "
        "failed (gave up; a product manager may retry)",
    )
    attempts: int
    max_attempts: int
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    error: str = Field(..., description="the last attempt's error, or why the contact is not mailed")
    message_id: str = Field(..., description="the Message-ID every attempt carries")
    ticket_number: int | None


class ClosingNoticeRetryIn(StrictIn):
    kind: Literal["shipped", "declined"] | None = Field(None, description="default: every kind")


class ClosingNoticeRetryOut(Schema):
    retried: list[int] = Field(..., description="ids of the notices queued again")


class NotifyPreviewOut(Schema):
    kind: str
    recipients: list[NotifyPreviewRowOut]
    will_be_told: int
    sample_subject: str
    sample_body: str


class EngineeringLinkIn(StrictIn):
    url: str = Field(..., max_length=500)
    key: str = Field("", max_length=100)
    tracker: Literal["jira", "github", "linear", "gitlab", "other"] | None = None


class FeedbackPublicRoadmapItemOut(Schema):
    id: int
    title: str
    kind: str
    status: str
    product_area: str
    shipped_at: datetime | None
    release_note: str


class FeedbackPublicRoadmapOut(Schema):
    planned: list[FeedbackPublicRoadmapItemOut]
    in_progress: list[FeedbackPublicRoadmapItemOut]
    shipped: list[FeedbackPublicRoadmapItemOut]


class FeedbackRoadmapItemOut(FeedbackPublicRoadmapItemOut):
    problem: str
    is_public: bool
    owner_id: int | None
    owner: str
    unique_contacts: int
    unique_companies: int
    mrr: Decimal


class FeedbackRoadmapOut(Schema):
    planned: list[FeedbackRoadmapItemOut]
    in_progress: list[FeedbackRoadmapItemOut]
    shipped: list[FeedbackRoadmapItemOut]


class FeedbackDigestQuery(Schema):
    week_start: date | None = Field(None, description="any day of the week; default: last full week")


class FeedbackDigestOut(Schema):
    week_start: date
    week_end: date
    new_by_area: dict[str, list[dict]]
    growing_by_area: dict[str, list[dict]]
    bugs_by_severity: dict[str, list[dict]]
    shipped: list[dict]
    customers_told: int
    totals: dict[str, int]


class FeedbackSettingsOut(Schema):
    workspace_name: str
    w_contacts: float
    w_companies: float
    w_mrr: float
    w_blockers: float
    w_trend: float
    notice_from_email: str


class FeedbackSettingsIn(StrictIn):
    workspace_name: str | None = Field(None, max_length=100)
    w_contacts: float | None = None
    w_companies: float | None = None
    w_mrr: float | None = None
    w_blockers: float | None = None
    w_trend: float | None = None
    notice_from_email: str | None = Field(None, max_length=254)


class TagQualityQuery(Schema):
    since: UtcDatetime
    until: UtcDatetime


class TagQualityRowOut(Schema):
    agent_id: int | None
    agent: str
    tickets: int
    without_area: int
    without_reason: int
    catch_all: int
    poorly_tagged: int
    without_area_share: float
    without_reason_share: float
    catch_all_share: float
    poorly_tagged_share: float


class BugPickListsOut(Schema):
    version: list[str]
    environment_browser: list[str]
    environment_os: list[str]
    environment_device: list[str]
    environment_plan: list[str]
    severity: list[str]
    frequency: list[str]


# ---------------------------------------------------------------------------------------------- helpers
def _item_out(item_id: int) -> dict:
    item = selectors.feedback_item_detail(item_id=item_id)
    bug = selectors.bug_report_of(item)
    return {
        "id": item.pk,
        "reference": item.reference,
        "kind": item.kind,
        "title": item.title,
        "problem": item.problem,
        "proposed_solution": item.proposed_solution,
        "product_area": item.product_area.slug if item.product_area_id else None,
        "product_feature": item.product_feature.slug if item.product_feature_id else None,
        "status": item.status,
        "owner_id": item.owner_id,
        "is_public": item.is_public,
        "release_note": item.release_note,
        "decline_reason": item.decline_reason,
        "merged_into_id": item.merged_into_id,
        "merged_item_ids": sorted(i.pk for i in item.merged_items.all()),
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "shipped_at": item.shipped_at,
        "stats": selectors.feedback_item_stats(item=item),
        "history": [
            {
                "from_status": s.from_status,
                "to_status": s.to_status,
                "actor_id": s.actor_id,
                "actor": str(s.actor) if s.actor_id else "system",
                "note": s.note,
                "created_at": s.created_at,
            }
            for s in item.status_changes.all()
        ],
        "links": [
            {"id": link.pk, "tracker": link.tracker, "url": link.url, "key": link.key} for link in item.links.all()
        ],
        "bug_report": None
        if bug is None
        else {
            "ticket_number": bug.ticket.number if bug.ticket_id else None,
            "version": bug.version,
            "environment_browser": bug.environment_browser,
            "environment_os": bug.environment_os,
            "environment_device": bug.environment_device,
            "environment_plan": bug.environment_plan,
            "severity": bug.severity,
            "frequency": bug.frequency,
            "steps": bug.steps,
            "expected": bug.expected,
            "actual": bug.actual,
            "attachment_ids": sorted(a.pk for a in bug.attachments.all()),
        },
    }


def _evidence_out(ev) -> dict:
    return {
        "id": ev.pk,
        "item_id": ev.item_id,
        "ticket_number": ev.ticket.number if ev.ticket_id else None,
        "message_id": ev.message_id,
        "quote": ev.quote,
        "contact_id": ev.contact_id,
        "contact_name": ev.contact.name if ev.contact_id else "",
        "company_id": ev.company_id,
        "company_name": ev.company.name if ev.company_id else "",
        "company_plan": ev.company_plan,
        "company_mrr": ev.company_mrr,
        "importance": ev.importance,
        "source": ev.source,
        "linked_by_id": ev.linked_by_id,
        "merged_from_id": ev.merged_from_id,
        "created_at": ev.created_at,
        "linked_at": ev.linked_at,
    }


def _user(user_id: int | None, field: str = "owner_id") -> User | None:
    return account_selectors.user_ref(user_id=user_id, field=field)


def _ticket(number: int | None) -> Ticket | None:
    return ticket_selectors.ticket_ref(number=number, field="ticket_number")


def _ranking_args(query: FeedbackRankingQuery) -> dict:
    refs = resolve_ticket_refs(product_area=query.product_area, product_feature=query.product_feature)
    return {
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


# ---------------------------------------------------------------------------------------------- ranking
def _ranking_page(query: FeedbackRankingQuery, sort: str) -> dict:
    args = _ranking_args(query)
    rows = selectors.feedback_ranking(**args, sort=sort, order=query.order, limit=query.limit, offset=query.offset)
    return {
        "items": rows,
        "total": selectors.feedback_ranking_count(**args),
        "limit": query.limit,
        "offset": query.offset,
    }


@router.get(
    "/ranking",
    response={200: FeedbackRankingPageOut, **PROBLEMS},
    summary="Rank items by unique customers, revenue, trend or the workspace score",
)
def feedback_ranking(request, query: Query[FeedbackRankingQuery]):
    require(request.auth, "feedback.view")
    return _ranking_page(query, query.sort)


@router.get(
    "/items",
    response={200: FeedbackRankingPageOut, **PROBLEMS},
    summary="List items with their figures (same filters and sorts as the ranking)",
)
def feedback_item_list(request, query: Query[FeedbackRankingQuery]):
    require(request.auth, "feedback.view")
    return _ranking_page(query, query.sort)


# ---------------------------------------------------------------------------------------------- items
@router.post("/items", response={201: FeedbackItemOut, **PROBLEMS}, summary="Create a feedback item")
def feedback_item_create(request, payload: FeedbackItemCreateIn):
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
            actor=request.auth,
            **refs,
        )
    return Respond(201, _item_out(item.pk))


@router.get(
    "/items/{int:item_id}",
    response={200: FeedbackItemOut, **PROBLEMS},
    summary="Read an item with its figures, history and links (a merged item names merged_into_id)",
)
def feedback_item_read(request, item_id: int):
    require(request.auth, "feedback.view")
    return _item_out(item_id)


@router.patch("/items/{int:item_id}", response={200: FeedbackItemOut, **PROBLEMS}, summary="Update an item")
def feedback_item_update(request, item_id: int, payload: FeedbackItemUpdateIn):
    require(request.auth, "feedback.manage")
    data = payload.model_dump(exclude_unset=True)
    with transaction.atomic():
        item = selectors.feedback_item_get(item_id=item_id)
        refs = resolve_ticket_refs(**{k: data.pop(k) for k in ("product_area", "product_feature") if k in data})
        if "owner_id" in data:
            data["owner"] = _user(data.pop("owner_id"))
        for key in ("kind", "title", "problem", "proposed_solution", "is_public", "release_note", "decline_reason"):
            if key in data and data[key] is None:
                raise ValidationFailed(f"{key} cannot be null.", errors={key: "cannot be null"})
        services.feedback_item_update(item=item, actor=request.auth, **data, **refs)
    return _item_out(item_id)


@router.delete("/items/{int:item_id}", response={204: None, **PROBLEMS}, summary="Delete an item and its evidence")
def feedback_item_delete(request, item_id: int):
    require(request.auth, "feedback.manage")
    services.feedback_item_delete(item=selectors.feedback_item_get(item_id=item_id), actor=request.auth)
    return Respond(204, None)


@router.post(
    "/items/{int:item_id}/status",
    response={200: FeedbackItemOut, **PROBLEMS},
    summary="Change an item's status (shipped/declined may tell the requesters)",
)
def feedback_item_status(request, item_id: int, payload: FeedbackStatusIn):
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
)
def feedback_item_notify_preview(request, item_id: int, query: Query[NotifyPreviewQuery]):
    require(request.auth, "feedback.manage")
    item = selectors.feedback_item_get(item_id=item_id)
    kind = query.kind or ("declined" if item.status == "declined" else "shipped")
    rows = services.close_the_loop_preview(item=item, kind=kind)
    sample = {"subject": "", "body": ""}
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


def _notice_out(notice) -> dict:
    return {
        "id": notice.pk,
        "contact_id": notice.contact_id,
        "contact_name": notice.contact.name,
        "email": notice.email,
        "kind": notice.kind,
        "status": notice.status,
        "attempts": notice.attempts,
        "max_attempts": NOTICE_MAX_ATTEMPTS,
        "last_attempt_at": notice.attempted_at,
        "next_attempt_at": notice.next_attempt_at,
        "sent_at": notice.sent_at,
        "error": notice.error,
        "message_id": notice.message_id,
        "ticket_number": notice.ticket.number if notice.ticket_id else None,
    }


@router.get(
    "/items/{int:item_id}/notices",
    response={200: list[ClosingNoticeOut], **PROBLEMS},
    summary="Closing-the-loop notices per contact: told, queued, failed, with attempts and the last error",
)
def feedback_item_notices(request, item_id: int):
    require(request.auth, "feedback.view")
    item = selectors.feedback_item_get(item_id=item_id)
    return [_notice_out(n) for n in selectors.notices_for_item(item=item)]


@router.post(
    "/items/{int:item_id}/notices/retry",
    response={202: ClosingNoticeRetryOut, **PROBLEMS},
    summary="Queue again the notices that gave up (409 when none did); they are sent in the background",
)
def feedback_item_notices_retry(request, item_id: int, payload: ClosingNoticeRetryIn):
    require(request.auth, "feedback.manage")
    item = selectors.feedback_item_get(item_id=item_id)
    return Respond(202, {"retried": services.closing_notices_retry(item=item, actor=request.auth, kind=payload.kind)})


@router.post(
    "/items/{int:item_id}/merge",
    response={200: FeedbackItemOut, **PROBLEMS},
    summary="Merge this item (a duplicate) into target_id; returns the target",
)
def feedback_item_merge(request, item_id: int, payload: FeedbackMergeIn):
    require(request.auth, "feedback.manage")
    source = selectors.feedback_item_get(item_id=item_id)
    target = selectors.feedback_item_ref(item_id=payload.target_id, field="target_id")
    target = services.feedback_item_merge(source=source, target=target, actor=request.auth, note=payload.note)
    return _item_out(target.pk)


@router.post(
    "/items/{int:item_id}/links",
    response={201: EngineeringLinkOut, **PROBLEMS},
    summary="Link an engineering tracker issue",
)
def feedback_link_add(request, item_id: int, payload: EngineeringLinkIn):
    require(request.auth, "feedback.manage")
    link = services.engineering_link_add(
        item=selectors.feedback_item_get(item_id=item_id),
        url=payload.url,
        key=payload.key,
        tracker=payload.tracker,
        actor=request.auth,
    )
    return Respond(201, {"id": link.pk, "tracker": link.tracker, "url": link.url, "key": link.key})


@router.delete("/links/{int:link_id}", response={204: None, **PROBLEMS}, summary="Remove an engineering link")
def feedback_link_remove(request, link_id: int):
    require(request.auth, "feedback.manage")
    link = selectors.engineering_link_get(link_id=link_id)
    services.engineering_link_remove(link=link, actor=request.auth)
    return Respond(204, None)


@router.get(
    "/items/{int:item_id}/requesters.csv",
    response={200: str, **PROBLEMS},
    summary="CSV of requesters (contact, company, plan, MRR, quote) for research recruiting",
)
def feedback_requesters_csv(request, item_id: int):
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
)
def feedback_evidence_list(request, item_id: int):
    require(request.auth, "feedback.view")
    item = selectors.feedback_item_get(item_id=item_id)
    return [_evidence_out(ev) for ev in selectors.evidence_for_item(item=item)]


@router.post(
    "/items/{int:item_id}/evidence",
    response={201: FeedbackEvidenceOut, **PROBLEMS},
    summary="Add evidence: a ticket (and message), or a source label such as 'Sales call'",
)
def feedback_evidence_add(request, item_id: int, payload: FeedbackEvidenceIn):
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
    return Respond(201, _evidence_out(evidence))


@router.delete("/evidence/{int:evidence_id}", response={204: None, **PROBLEMS}, summary="Remove evidence")
def feedback_evidence_remove(request, evidence_id: int):
    require(request.auth, "feedback.evidence")
    services.evidence_remove(evidence=selectors.evidence_get(evidence_id=evidence_id), actor=request.auth)
    return Respond(204, None)


# ---------------------------------------------------------------------------------------------- bugs
@router.get("/bug-picklists", response={200: BugPickListsOut, **PROBLEMS}, summary="The bug form's pick-lists")
def feedback_bug_picklists(request):
    require(request.auth, "feedback.view")
    from supportloop.customers.choices import Plan
    from supportloop.feedback.choices import Frequency, Severity

    out = {f: [] for f in ("version", "environment_browser", "environment_os", "environment_device")}
    for field, value in selectors.bug_picklist_values():
        out[field].append(value)
    return {**out, "environment_plan": Plan.values, "severity": Severity.values, "frequency": Frequency.values}


@router.post(
    "/bugs",
    response={201: FeedbackItemOut, **PROBLEMS},
    summary="File a bug from the structured form (errors name each missing field)",
)
def feedback_bug_file(request, payload: FeedbackBugIn):
    require(request.auth, "feedback.file_bug")
    with transaction.atomic():
        refs = resolve_ticket_refs(product_feature=payload.product_feature)
        data = payload.model_dump(exclude={"ticket_number", "product_feature"})
        item = services.bug_report_file(
            actor=request.auth, ticket=_ticket(payload.ticket_number), product_feature=refs["product_feature"], **data
        )
    return Respond(201, _item_out(item.pk))


# ---------------------------------------------------------------------------------------------- roadmap, digest
@router.get("/roadmap", response={200: FeedbackRoadmapOut, **PROBLEMS}, summary="Team roadmap with customer counts")
def feedback_roadmap(request):
    require(request.auth, "feedback.view")
    return selectors.roadmap(public=False)


@router.get(
    "/public/roadmap",
    auth=None,
    response={200: FeedbackPublicRoadmapOut, **PROBLEMS},
    summary="Public roadmap: public items only, no customer data; no authentication",
)
def feedback_public_roadmap(request):
    return selectors.roadmap(public=True)


@router.get("/digest", response={200: FeedbackDigestOut, **PROBLEMS}, summary="Weekly digest for product managers")
def feedback_digest(request, query: Query[FeedbackDigestQuery]):
    require(request.auth, "feedback.view")
    return selectors.weekly_digest(week_start=query.week_start)


@router.post("/digest/send", response={202: dict, **PROBLEMS}, summary="Mail the weekly digest to product managers")
def feedback_digest_send(request, query: Query[FeedbackDigestQuery]):
    require(request.auth, "feedback.manage")
    from supportloop.feedback.tasks import send_weekly_digest

    week = query.week_start.isoformat() if query.week_start else None
    transaction.on_commit(lambda: send_weekly_digest.enqueue(week_start=week))
    return Respond(202, {"queued": True})


# ---------------------------------------------------------------------------------------------- settings, reports
def _settings_out() -> dict:
    row = feedback_settings()
    return {
        "workspace_name": row.workspace_name,
        "w_contacts": row.w_contacts,
        "w_companies": row.w_companies,
        "w_mrr": row.w_mrr,
        "w_blockers": row.w_blockers,
        "w_trend": row.w_trend,
        "notice_from_email": row.notice_from_email,
    }


@router.get("/settings", response={200: FeedbackSettingsOut, **PROBLEMS}, summary="Score weights and sender")
def feedback_settings_read(request):
    require(request.auth, "feedback.view")
    return _settings_out()


@router.patch("/settings", response={200: FeedbackSettingsOut, **PROBLEMS}, summary="Change score weights (admins)")
def feedback_settings_update(request, payload: FeedbackSettingsIn):
    require(request.auth, "feedback.configure")
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    services.feedback_settings_update(actor=request.auth, **data)
    return _settings_out()


@router.get(
    "/reports/tag-quality",
    response={200: list[TagQualityRowOut], **PROBLEMS},
    summary="Per agent: share of tickets without product area or contact reason, or under a catch-all",
)
def feedback_tag_quality(request, query: Query[TagQualityQuery]):
    require(request.auth, "report.view")
    return tag_quality_report(since=query.since, until=query.until)
