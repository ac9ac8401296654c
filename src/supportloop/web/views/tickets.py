"""The ticket workspace: thread, composer with macros, controls, customer panel, feedback links, bug filing."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.accounts.permissions import can
from supportloop.core.errors import DomainError
from supportloop.customers.models import CustomerNote
from supportloop.customers.selectors import addresses_bounced, contact_emails_with_bounces
from supportloop.tickets import selectors as ticket_selectors
from supportloop.tickets.choices import MessageKind
from supportloop.tickets.filenames import content_disposition
from supportloop.tickets.models import Attachment, Macro, Message, Ticket
from supportloop.tickets.services import (
    macro_apply,
    macro_render,
    ticket_add_note,
    ticket_reply,
    ticket_update,
)
from supportloop.web import selectors
from supportloop.web.forms import (
    BugReportForm,
    ComposerForm,
    LinkFeedbackForm,
    TicketControlsForm,
    add_domain_error,
)
from supportloop.web.views.common import PageRequest, feedback_ready, int_or_none, page, require_page


def _controls_initial(ticket: Ticket) -> dict:
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee_id,
        "team": ticket.team_id,
        "product_feature": ticket.product_feature_id,
        "contact_reason": ticket.contact_reason_id,
        "tags": ", ".join(t.name for t in ticket.tags.all()),
    }


def _customer_panel(ticket: Ticket) -> dict:
    contact = ticket.requester
    company = ticket.company
    notes = list(CustomerNote.objects.filter(contact_id=contact.pk).select_related("author")[:5])
    company_notes = (
        list(CustomerNote.objects.filter(company_id=company.pk).select_related("author")[:5]) if company else []
    )
    rows = list(contact_emails_with_bounces().filter(contact_id=contact.pk)[:5])
    emails = [e.email for e in rows]
    # Replies to these still go out; the agent should know they probably will not arrive. The requester's
    # addresses come with their bounce in the query above; followers cost a query only when there are some.
    now = timezone.now()
    bounced = [
        {"email": e.email, "status": e.bounce_status, "bounced_at": e.bounced_at}
        for e in rows
        if e.suppressed_until is not None and e.suppressed_until > now
    ]
    if ticket.followers:
        bounced += [
            {"email": b.email, "status": b.status, "bounced_at": b.bounced_at}
            for b in addresses_bounced(list(ticket.followers))
        ]
    linked = []
    if feedback_ready():
        from supportloop.feedback.selectors import feedback_items_for_contact

        linked = list(feedback_items_for_contact(contact=contact))[:20]
    return {
        "contact": contact,
        "company": company,
        "emails": emails,
        "bounced": bounced,
        "contact_notes": notes,
        "company_notes": company_notes,
        "other_tickets": selectors.contact_recent_tickets(contact_id=contact.pk, exclude_id=ticket.pk),
        "contact_feedback": linked,
    }


def _follower_proposals(ticket: Ticket) -> list:
    from supportloop.mail.selectors import follower_proposals_open

    return follower_proposals_open(ticket_id=ticket.pk)


def _workspace_context(request: PageRequest, ticket: Ticket, *, composer=None, controls=None, link_form=None) -> dict:
    ticket_feedback = []
    if feedback_ready():
        from supportloop.feedback.selectors import feedback_items_for_ticket

        ticket_feedback = list(feedback_items_for_ticket(ticket=ticket))
    can_reply = can(request.user, "ticket.reply")
    if composer is None:
        composer = ComposerForm(initial={"kind": MessageKind.REPLY if can_reply else MessageKind.NOTE})
    if not can_reply:  # product managers write internal notes only
        composer.fields["kind"].choices = [(MessageKind.NOTE, MessageKind.NOTE.label)]
    return {
        "section": "inbox",
        "ticket": ticket,
        "thread": selectors.ticket_thread(ticket=ticket),
        "body_display_limit": selectors.BODY_DISPLAY_LIMIT,
        "composer": composer,
        "controls": controls or TicketControlsForm(initial=_controls_initial(ticket)),
        "link_form": link_form or LinkFeedbackForm(),
        "timeline": selectors.ticket_timeline(ticket=ticket),
        "follower_proposals": _follower_proposals(ticket),
        "ticket_feedback": ticket_feedback,
        "feedback_ready": feedback_ready(),
        "can_reply": can_reply,
        "can_update": can(request.user, "ticket.update"),
        "can_note": can(request.user, "ticket.note"),
        "can_link": can(request.user, "feedback.evidence"),
        "can_file_bug": can(request.user, "feedback.file_bug"),
        **_customer_panel(ticket),
    }


@page("ticket.view")
def ticket(request: PageRequest, number: int) -> HttpResponseBase:
    t = selectors.ticket_for_page(number=number)
    return render(request, "web/ticket.html", _workspace_context(request, t))


@page("ticket.view")
def message_text(request: PageRequest, number: int, message_id: int) -> HttpResponseBase:
    """The whole text of a message, as text/plain (the page clips bodies over BODY_DISPLAY_LIMIT)."""
    text = selectors.message_text(number=number, message_id=message_id)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = content_disposition(f"ticket-{number}-message-{message_id}.txt", inline=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@page("ticket.note")
def ticket_compose(request: PageRequest, number: int) -> HttpResponseBase:
    """Post a reply (optionally from a macro, whose placeholders were filled into the body) or a note."""
    t = ticket_selectors.ticket_get(number=number)
    form = ComposerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == MessageKind.NOTE:
                ticket_add_note(ticket=t, actor=request.user, body=data["body"])
                messages.success(request, _("Note added."))
            else:
                require_page(request.user, "ticket.reply")
                macro = Macro.objects.filter(pk=data["macro"], is_active=True).first() if data["macro"] else None
                if macro is not None:
                    macro_apply(macro=macro, ticket=t, actor=request.user, body_override=data["body"])
                    if data["after_status"]:
                        ticket_update(ticket=t, actor=request.user, status=data["after_status"])
                else:
                    ticket_reply(ticket=t, actor=request.user, body=data["body"], status=data["after_status"] or None)
                messages.success(request, _("Reply sent."))
            return redirect("web:ticket", number=number)
        except DomainError as exc:
            add_domain_error(form, exc)
    t = selectors.ticket_for_page(number=number)
    return render(request, "web/ticket.html", _workspace_context(request, t, composer=form), status=422)


@require_POST
@page("ticket.update")
def ticket_controls(request: PageRequest, number: int) -> HttpResponseBase:
    t = selectors.ticket_for_page(number=number)
    form = TicketControlsForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        tags = data.pop("tags")
        try:
            ticket_update(ticket=t, actor=request.user, tags=tags, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            selectors.inbox_counts_forget(request.user)
            messages.success(request, _("Ticket updated."))
            return redirect("web:ticket", number=number)
    return render(request, "web/ticket.html", _workspace_context(request, t, controls=form), status=422)


@require_POST
@page("ticket.update")
def follower_decide(request: PageRequest, number: int, proposal_id: int, decision: str) -> HttpResponseBase:
    """Accept or dismiss a follower that a customer's unauthenticated mail proposed (one click each)."""
    from supportloop.mail.selectors import follower_proposal_get
    from supportloop.mail.services.followers import follower_proposal_accept, follower_proposal_dismiss

    t = ticket_selectors.ticket_get(number=number)
    proposal = follower_proposal_get(ticket_id=t.pk, proposal_id=proposal_id)
    service = follower_proposal_accept if decision == "accept" else follower_proposal_dismiss
    try:
        service(proposal=proposal, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            _("%(email)s now follows this ticket.") % {"email": proposal.email}
            if decision == "accept"
            else _("Dismissed %(email)s.") % {"email": proposal.email},
        )
    return redirect("web:ticket", number=number)


@require_POST
@page("ticket.update")
def follower_remove(request: PageRequest, number: int) -> HttpResponseBase:
    """Stop copying a follower on this ticket's replies."""
    from supportloop.mail.services.followers import ticket_follower_remove

    t = ticket_selectors.ticket_get(number=number)
    try:
        ticket_follower_remove(ticket=t, email=request.POST.get("email", ""), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Removed %(email)s from the followers.") % {"email": request.POST["email"]})
    return redirect("web:ticket", number=number)


@page("ticket.view")
def macro_search(request: PageRequest, number: int) -> HttpResponseBase:
    """Type-to-search over active macros (htmx fragment)."""
    q = (request.GET.get("q") or "").strip()
    macros = Macro.objects.filter(is_active=True)
    if q:
        macros = macros.filter(name__icontains=q)
    return render(
        request,
        "web/partials/macro_results.html",
        {"macros": list(macros.order_by("-usage_count", "name")[:8]), "number": number, "q": q},
    )


@page("ticket.view")
def macro_fill(request: PageRequest, number: int, macro_id: int) -> HttpResponseBase:
    """The composer body with the macro's placeholders filled for this ticket (htmx fragment)."""
    t = ticket_selectors.ticket_get(number=number)
    macro = get_object_or_404(Macro, pk=macro_id, is_active=True)
    form = ComposerForm(
        initial={
            "kind": MessageKind.REPLY,
            "macro": macro.pk,
            "body": macro_render(macro=macro, ticket=t, actor=request.user),
            "after_status": (macro.actions or {}).get("status", ""),
        }
    )
    return render(request, "web/partials/composer_body.html", {"composer": form, "macro": macro})


@page("feedback.view")
def feedback_search(request: PageRequest) -> HttpResponseBase:
    """Type-ahead over feedback items (htmx fragment): radio choices for the link form."""
    q = (request.GET.get("q") or "").strip()
    items = []
    if q and feedback_ready():
        from supportloop.feedback.selectors import feedback_search as search

        exclude = int_or_none(request.GET.get("exclude"))
        items = [i for i in search(q=q, limit=11) if i.pk != exclude][:10]
    field = "target" if request.GET.get("field") == "target" else "item"
    return render(request, "web/partials/feedback_results.html", {"items": items, "q": q, "field": field})


@require_POST
@page("feedback.evidence")
def ticket_link_feedback(request: PageRequest, number: int) -> HttpResponseBase:
    """Link the ticket to an existing feedback item, or create one in place, quoting the selected text."""
    from supportloop.feedback.models import FeedbackItem
    from supportloop.feedback.services import evidence_add, feedback_item_create

    t = ticket_selectors.ticket_get(number=number)
    form = LinkFeedbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        message = Message.objects.filter(pk=data["message"], ticket=t).first() if data["message"] else None
        try:
            if data["item"]:
                item = FeedbackItem.objects.filter(pk=data["item"]).first()
                if item is None:
                    raise DomainError(_("That feedback item does not exist."), errors={"item": "not found"})
            else:
                require_page(request.user, "feedback.create")
                item = feedback_item_create(
                    kind=data["new_kind"],
                    title=data["new_title"].strip(),
                    problem=data["quote"],
                    product_feature=t.product_feature,
                    product_area=t.product_area,
                    actor=request.user,
                )
            evidence_add(
                item=item,
                actor=request.user,
                ticket=t,
                message=message,
                quote=data["quote"],
                importance=data["importance"],
                source="ticket",
            )
        except DomainError as exc:
            if "existing_evidence_id" in exc.extra:  # a repeat link: say so above the form, not on a hidden field
                form.add_error(None, exc.detail)
            else:
                add_domain_error(form, exc)
        else:
            messages.success(request, _("Linked to “%(title)s”.") % {"title": item.title})
            return redirect("web:ticket", number=number)
    t = selectors.ticket_for_page(number=number)
    return render(request, "web/ticket.html", _workspace_context(request, t, link_form=form), status=422)


def _bug_initial(ticket: Ticket) -> dict:
    first = ticket.messages.filter(kind=MessageKind.REPLY).order_by("created_at", "id").first()
    company = ticket.company
    return {
        "title": ticket.subject,
        "product_feature": ticket.product_feature_id,
        "environment_plan": company.plan if company else "",
        "steps": first.body_text if first else "",
        "severity": "major" if ticket.priority in ("high", "urgent") else "minor",
    }


@page("feedback.file_bug")
def ticket_file_bug(request: PageRequest, number: int) -> HttpResponseBase:
    """The structured bug form, pre-filled from the ticket; filing links the ticket as evidence."""
    t = ticket_selectors.ticket_get(number=number)
    attachments = list(Attachment.objects.filter(message__ticket=t).order_by("id")[:50])
    if request.method == "POST":
        form = BugReportForm(request.POST, attachments=attachments)
        if form.is_valid():
            from supportloop.feedback.services import bug_report_file

            data = form.cleaned_data
            try:
                item = bug_report_file(actor=request.user, ticket=t, **data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Bug filed as #%(id)d.") % {"id": item.pk})
                return redirect("web:ticket", number=number)
    else:
        initial = _bug_initial(t)
        quote = (request.GET.get("quote") or "").strip()
        if quote:
            initial["actual"] = quote[:5000]
        form = BugReportForm(initial=initial, attachments=attachments)
    return render(
        request,
        "web/file_bug.html",
        {"section": "inbox", "ticket": t, "form": form, "cancel_url": reverse("web:ticket", args=[number])},
    )


@page("ticket.view")
def ticket_by_number(request: PageRequest) -> HttpResponseBase:
    """Jump to a ticket by its number (the header search box)."""
    number = int_or_none((request.GET.get("number") or "").lstrip("#"))
    if number is None:
        return redirect("web:inbox")
    return redirect("web:ticket", number=number)
