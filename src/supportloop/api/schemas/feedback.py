"""Schemas of feedback: items with their figures, evidence, bug reports, notices, roadmap, digest, settings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from ninja import Field, Schema

from supportloop.api.schemas.common import StrictIn, UtcDatetime, choices_of
from supportloop.customers.choices import Plan
from supportloop.feedback.choices import Importance, ItemStatus, Kind, NoticeKind, NoticeStatus, Tracker
from supportloop.feedback.models import (
    BugReport,
    ClosingNotice,
    EngineeringLink,
    Evidence,
    FeedbackItem,
    FeedbackSettings,
    StatusChange,
)
from supportloop.feedback.selectors.ranking import SORTS
from supportloop.feedback.services.loop import MAX_ATTEMPTS as NOTICE_MAX_ATTEMPTS

if TYPE_CHECKING:  # mypy cannot build a Literal at run time: for it, a value is a str
    KindT = str
    StatusT = str
    SettableStatusT = str
    PlanT = str
    ImportanceT = str
    SortT = str
    NoticeKindT = str
    NoticeStatusT = str
    TrackerT = str
else:  # pydantic and the OpenAPI document get the Literal of the choices
    KindT = choices_of(Kind)
    StatusT = choices_of(ItemStatus)
    SettableStatusT = choices_of(ItemStatus, exclude=[ItemStatus.MERGED])  # merged is set by a merge, not by hand
    PlanT = choices_of(Plan)
    ImportanceT = choices_of(Importance)
    SortT = choices_of(SORTS)  # the ranking selector's sort keys
    NoticeKindT = choices_of(NoticeKind)
    NoticeStatusT = choices_of(NoticeStatus)
    TrackerT = choices_of(Tracker)


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

    @classmethod
    def from_change(cls, s: StatusChange) -> dict:
        return {
            "from_status": s.from_status,
            "to_status": s.to_status,
            "actor_id": s.actor_id,
            "actor": str(s.actor) if s.actor_id else "system",
            "note": s.note,
            "created_at": s.created_at,
        }


class EngineeringLinkOut(Schema):
    id: int
    tracker: str
    url: str
    key: str

    @classmethod
    def from_link(cls, link: EngineeringLink) -> dict:
        return {"id": link.pk, "tracker": link.tracker, "url": link.url, "key": link.key}


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

    @classmethod
    def from_bug(cls, bug: BugReport) -> dict:
        return {
            "ticket_number": bug.ticket.number if bug.ticket else None,
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
        }


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
    public_description: str
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

    @classmethod
    def from_item(cls, item: FeedbackItem, *, stats: dict, bug: BugReport | None) -> dict:
        """`item` as feedback_item_detail reads it (history, links, merged items prefetched); `stats` its figures
        (feedback_item_stats); `bug` its bug report or None (bug_report_of)."""
        return {
            "id": item.pk,
            "reference": item.reference,
            "kind": item.kind,
            "title": item.title,
            "problem": item.problem,
            "proposed_solution": item.proposed_solution,
            "product_area": item.product_area.slug if item.product_area else None,
            "product_feature": item.product_feature.slug if item.product_feature else None,
            "status": item.status,
            "owner_id": item.owner_id,
            "is_public": item.is_public,
            "public_description": item.public_description,
            "release_note": item.release_note,
            "decline_reason": item.decline_reason,
            "merged_into_id": item.merged_into_id,
            "merged_item_ids": sorted(i.pk for i in item.merged_items.all()),
            "created_at": item.created_at,
            "updated_at": item.updated_at,
            "shipped_at": item.shipped_at,
            "stats": stats,
            "history": [FeedbackStatusChangeOut.from_change(s) for s in item.status_changes.all()],
            "links": [EngineeringLinkOut.from_link(link) for link in item.links.all()],
            "bug_report": None if bug is None else FeedbackBugReportOut.from_bug(bug),
        }


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

    @classmethod
    def from_evidence(cls, ev: Evidence) -> dict:
        return {
            "id": ev.pk,
            "item_id": ev.item_id,
            "ticket_number": ev.ticket.number if ev.ticket else None,
            "message_id": ev.message_id,
            "quote": ev.quote,
            "contact_id": ev.contact_id,
            "contact_name": ev.contact.name if ev.contact else "",
            "company_id": ev.company_id,
            "company_name": ev.company.name if ev.company else "",
            "company_plan": ev.company_plan,
            "company_mrr": ev.company_mrr,
            "importance": ev.importance,
            "source": ev.source,
            "linked_by_id": ev.linked_by_id,
            "merged_from_id": ev.merged_from_id,
            "created_at": ev.created_at,
            "linked_at": ev.linked_at,
        }


class FeedbackItemCreateIn(StrictIn):
    kind: KindT = "feature_request"
    title: str = Field(..., max_length=300)
    problem: str = ""
    proposed_solution: str = ""
    product_area: str | None = Field(None, description="slug")
    product_feature: str | None = Field(None, description="slug")
    owner_id: int | None = None
    is_public: bool = False
    public_description: str = Field("", description="shown on the public feedback board; never customer data")


class FeedbackItemUpdateIn(StrictIn):
    kind: KindT | None = None
    title: str | None = Field(None, max_length=300)
    problem: str | None = None
    proposed_solution: str | None = None
    product_area: str | None = None
    product_feature: str | None = None
    owner_id: int | None = None
    is_public: bool | None = None
    public_description: str | None = Field(None, description="shown on the public feedback board; never customer data")
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
    kind: NoticeKindT | None = None


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
    kind: NoticeKindT
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

    @classmethod
    def from_notice(cls, notice: ClosingNotice) -> dict:
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
            "ticket_number": notice.ticket.number if notice.ticket else None,
        }


class ClosingNoticeRetryIn(StrictIn):
    kind: NoticeKindT | None = Field(None, description="default: every kind")


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
    tracker: TrackerT | None = None


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

    @classmethod
    def from_settings(cls, row: FeedbackSettings) -> dict:
        return {
            "workspace_name": row.workspace_name,
            "w_contacts": row.w_contacts,
            "w_companies": row.w_companies,
            "w_mrr": row.w_mrr,
            "w_blockers": row.w_blockers,
            "w_trend": row.w_trend,
            "notice_from_email": row.notice_from_email,
        }


class FeedbackSettingsIn(StrictIn):
    workspace_name: str | None = Field(None, max_length=100)
    w_contacts: float | None = None
    w_companies: float | None = None
    w_mrr: float | None = None
    w_blockers: float | None = None
    w_trend: float | None = None
    notice_from_email: str | None = Field(None, max_length=254)


class BugPickListsOut(Schema):
    version: list[str]
    environment_browser: list[str]
    environment_os: list[str]
    environment_device: list[str]
    environment_plan: list[str]
    severity: list[str]
    frequency: list[str]
