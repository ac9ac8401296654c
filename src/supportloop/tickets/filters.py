"""The ticket-list filters: one definition shared by the inbox page and the API (NetBox's habit: a list page's
filter form and the REST list read one FilterSet, so they cannot drift apart).

`TicketListParams` declares what a client or a browser may send, with types and limits taken from the models
(statuses and priorities from their choices). `TicketListParams.parse(mapping, strict=...)` reads a query
string (a QueryDict or any mapping; a list parameter may repeat), `.filters(strict=...)` resolves taxonomy
slugs into ids and returns `TicketFilters`, whose `apply(qs)` narrows a ticket queryset.

Strict (the API): a value that does not fit is a 422 naming the parameter. Lenient (the inbox page): such a
value is dropped, as a hand-edited or old URL should not break the page; an unknown area or reason matches
nothing rather than everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_origin

from django.db.models import Exists, OuterRef, QuerySet
from pydantic import BaseModel, Field, ValidationError, field_validator

from supportloop.core.errors import ValidationFailed
from supportloop.core.validation import DbId, UtcDatetime
from supportloop.tickets.choices import ACTIVE_STATUSES, Priority, Status
from supportloop.tickets.models import ContactReason, ProductArea, Ticket, TicketRead

if TYPE_CHECKING:  # mypy cannot build a Literal at run time: for it, a value is a str
    StatusValue = str
    PriorityValue = str
else:  # pydantic and the OpenAPI document get the Literal of the model choices
    StatusValue = Literal[tuple(Status.values)]
    PriorityValue = Literal[tuple(Priority.values)]


@dataclass
class TicketFilters:
    """The validated filters, ids resolved; `apply` narrows a ticket queryset."""

    status: list[str] = field(default_factory=list)
    active: bool | None = None
    assignee: int | None = None
    unassigned: bool = False
    team: int | None = None
    requester: int | None = None
    company: int | None = None
    product_area: int | None = None
    contact_reason: int | None = None
    priority: list[str] = field(default_factory=list)
    tag: str | None = None
    q: str | None = None
    created_since: datetime | None = None
    created_before: datetime | None = None
    updated_since: datetime | None = None
    updated_before: datetime | None = None
    # Only these tickets (ids a search matched, at most search.engine.MATCH_LIMIT): set by the pages, never parsed.
    ids: list[int] | None = None
    # Set by the inbox, never parsed: True only snoozed tickets, False only awake ones (None: both, as the API).
    snoozed: bool | None = None
    # Set by the inbox, never parsed: only tickets with a customer message this user (id) has not seen.
    unread_for: int | None = None

    def apply(self, qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.ids is not None:
            qs = qs.filter(pk__in=self.ids)
        if self.status:
            unknown = set(self.status) - set(Status.values)
            if unknown:
                raise ValidationFailed("Unknown status filter.", errors={"status": ", ".join(sorted(unknown))})
            qs = qs.filter(status__in=self.status) if len(self.status) > 1 else qs.filter(status=self.status[0])
        elif self.active:
            qs = qs.filter(status__in=ACTIVE_STATUSES)
        if self.unassigned:
            qs = qs.filter(assignee__isnull=True)
        elif self.assignee is not None:
            qs = qs.filter(assignee_id=self.assignee)
        for name in ("team", "requester", "company", "product_area", "contact_reason"):
            value = getattr(self, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        if self.priority:
            qs = qs.filter(priority__in=self.priority)
        if self.tag:
            qs = qs.filter(tags__name=self.tag.lower())
        if self.q:
            qs = qs.filter(subject__icontains=self.q)
        if self.snoozed is not None:
            qs = qs.filter(snoozed_until__isnull=not self.snoozed)
        if self.unread_for is not None:
            seen = TicketRead.objects.filter(
                user_id=self.unread_for, ticket_id=OuterRef("pk"), read_at__gte=OuterRef("last_customer_message_at")
            )
            qs = qs.filter(~Exists(seen), last_customer_message_at__isnull=False)
        for name, lookup in (
            ("created_since", "created_at__gte"),
            ("created_before", "created_at__lt"),
            ("updated_since", "updated_at__gte"),
            ("updated_before", "updated_at__lt"),
        ):
            value = getattr(self, name)
            if value is not None:
                qs = qs.filter(**{lookup: value})
        return qs


class TicketListParams(BaseModel):
    """The parameters of a ticket list, as the API documents them and the inbox page reads them."""

    status: list[StatusValue] = Field(default_factory=list)
    active: bool | None = Field(None, description="only new, open, pending and on-hold tickets (ignored with status)")
    assignee: DbId | None = Field(None, description="user id")
    unassigned: bool = False
    team: DbId | None = Field(None, description="team id")
    requester: DbId | None = Field(None, description="contact id")
    company: DbId | None = Field(None, description="company id")
    product_area: str | None = Field(None, max_length=100, description="slug (or id)")
    contact_reason: str | None = Field(None, max_length=100, description="slug (or id)")
    priority: list[PriorityValue] = Field(default_factory=list)
    tag: str | None = Field(None, max_length=100)
    q: str | None = Field(None, max_length=200, description="subject contains")
    created_since: UtcDatetime | None = None
    created_before: UtcDatetime | None = None
    updated_since: UtcDatetime | None = None
    updated_before: UtcDatetime | None = None

    @field_validator("tag", "q", "product_area", "contact_reason")
    @classmethod
    def _blank_is_absent(cls, value: str | None) -> str | None:
        value = value.strip() if value is not None else None
        return value or None

    @classmethod
    def filter_names(cls) -> list[str]:
        return list(TicketListParams.model_fields)

    @classmethod
    def parse(cls, params: Mapping[str, Any], *, strict: bool = True) -> TicketListParams:
        """Read the filter parameters from a query string; other keys are not this definition's business."""
        data: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if name not in params:
                continue
            values = params.getlist(name) if hasattr(params, "getlist") else params[name]
            values = list(values) if isinstance(values, (list, tuple)) else [values]
            values = [v for v in values if v not in ("", None)]
            if not values:
                continue
            data[name] = values if get_origin(info.annotation) is list else values[-1]
        while True:
            try:
                return cls.model_validate(data)
            except ValidationError as exc:
                errors = {str(err["loc"][0]): err["msg"] for err in exc.errors() if err["loc"]}
                if strict or not errors or not set(errors) <= set(data):
                    detail = "; ".join(f"{name}: {msg}" for name, msg in errors.items())
                    raise ValidationFailed(f"Invalid filter ({detail}).", errors=errors) from None
                for name in errors:  # lenient: drop what does not fit and read the rest
                    data.pop(name)

    def filters(self, *, strict: bool = True) -> TicketFilters:
        """The filter object, with the area and reason slugs (or ids) resolved: an unknown one is a 422 naming
        the parameter when strict, and matches no ticket when lenient."""
        return TicketFilters(
            status=list(self.status),
            active=self.active,
            assignee=self.assignee,
            unassigned=self.unassigned,
            team=self.team,
            requester=self.requester,
            company=self.company,
            product_area=_taxonomy_id(ProductArea, "product_area", self.product_area, strict=strict),
            contact_reason=_taxonomy_id(ContactReason, "contact_reason", self.contact_reason, strict=strict),
            priority=list(self.priority),
            tag=self.tag,
            q=self.q,
            created_since=self.created_since,
            created_before=self.created_before,
            updated_since=self.updated_since,
            updated_before=self.updated_before,
        )


NO_ROW = 0  # no row has id 0: an unknown area in a lenient filter matches nothing, not everything


def _taxonomy_id(model: type[ProductArea] | type[ContactReason], name: str, value: str | None, *, strict: bool):
    if value is None:
        return None
    found = model.objects.filter(slug=value).values_list("pk", flat=True).first()
    if found is None and value.isdigit() and int(value) <= 2**63 - 1:
        found = int(value)
        if strict and not model.objects.filter(pk=found).exists():
            found = None
    if found is None:
        if strict:
            noun = model._meta.verbose_name
            raise ValidationFailed(f"No {noun} matches {name}.", errors={name: f"no such {noun}"})
        return NO_ROW
    return found
