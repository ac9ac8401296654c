"""The ticket workspace: thread, composer with macros, controls, customer panel, feedback links, bug filing."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.accounts.permissions import can
from supportloop.core.errors import DomainError, ValidationFailed
from supportloop.core.lookup import object_or_404, reference_or_422
from supportloop.feedback.selectors import feedback_items
from supportloop.feedback.services import bug_report_file, ticket_feedback_link
from supportloop.mail.selectors import follower_proposal_get
from supportloop.mail.services.followers import (
    follower_proposal_accept,
    follower_proposal_dismiss,
    ticket_follower_remove,
)
from supportloop.search.engine import feedback_typeahead
from supportloop.search.query import QueryError
from supportloop.tickets import selectors as ticket_selectors
from supportloop.tickets import services as ticket_services
from supportloop.tickets.choices import MessageKind, Status
from supportloop.tickets.filenames import content_disposition
from supportloop.tickets.models import Ticket
from supportloop.tickets.services import macro_render, ticket_update
from supportloop.tickets.services.reading import ticket_mark_read
from supportloop.tickets.services.snooze import SNOOZE_CHOICES, snooze_until_for, ticket_snooze, ticket_unsnooze
from supportloop.web import selectors
from supportloop.web.collab import ticket_collab
from supportloop.web.forms import (
    BugReportForm,
    ComposerForm,
    LinkFeedbackForm,
    TicketControlsForm,
    add_domain_error,
)
from supportloop.web.views.common import PageRequest, int_or_none, page, require_page, safe_next


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


def _page_context(request, workspace: dict, *, composer=None, controls=None, link_form=None, collision=None) -> dict:
    """The ticket_workspace selector's reads plus the page's forms (bound ones when a post was refused), and who
    else works on the ticket (web/collab.py: the drafts come with the workspace)."""
    collab = ticket_collab(workspace=workspace, user=request.user)
    if composer is None:  # the agent's draft comes back into the composer
        draft = collab["my_draft"]
        kind = MessageKind.REPLY if workspace["can_reply"] else MessageKind.NOTE
        composer = ComposerForm(
            initial={
                "kind": draft.kind if draft and workspace["can_reply"] else kind,
                "body": draft.body if draft else "",
                "seen_public_id": collab["seen_public_id"],
            }
        )
    if not workspace["can_reply"]:  # product managers write internal notes only
        composer.fields["kind"].choices = [(MessageKind.NOTE, MessageKind.NOTE.label)]
    return {
        **workspace,
        **collab,
        "collision": collision,
        "section": "inbox",
        "composer": composer,
        "controls": controls or TicketControlsForm(initial=_controls_initial(workspace["ticket"])),
        "link_form": link_form or LinkFeedbackForm(),
        "can_create_feedback": can(request.user, "feedback.create"),
    }


def jinja(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A fragment rendered with Jinja2 (the ticket workspace and its htmx panels: docs/decisions/0005). Jinja2
    runs no context processors: the user comes in explicitly, the CSRF field from the request."""
    return render(request, template, {**context, "user": request.user}, status=status, using="jinja2")


def _ticket_page(request, context: dict, status: int = 200) -> HttpResponse:
    """The workspace rendered with Jinja2 (autoescaped, so marked safe here) inside the Django-template layout."""
    workspace_html = render_to_string(
        "web/ticket_workspace.jinja", {**context, "user": request.user}, request=request, using="jinja2"
    )
    page_context = {"ticket": context["ticket"], "section": "inbox", "workspace_html": mark_safe(workspace_html)}  # noqa: S308 - Jinja2 escaped every value in it
    return render(request, "web/ticket.html", page_context, status=status)


def _refused(request, number: int, status: int = 422, **forms_) -> HttpResponse:
    """The ticket page again, with the refused form bound and its errors shown (422)."""
    workspace = selectors.ticket_workspace(number=number, user=request.user)
    return _ticket_page(request, _page_context(request, workspace, **forms_), status=status)


def _refusal(form, exc: DomainError, *, hidden: tuple[str, ...] = ()) -> None:
    """A refusal on a hidden field (an id the page filled in) is shown above the form, where it can be seen."""
    if hidden and any(field in hidden for field in exc.errors or {}):
        form.add_error(None, exc.detail)
    else:
        add_domain_error(form, exc)


@page("ticket.view")
def ticket(request, number: int):
    workspace = selectors.ticket_workspace(number=number, user=request.user)
    ticket_mark_read(ticket=workspace["ticket"], user=request.user)  # the inbox's Unread filter: one upsert
    return _ticket_page(request, _page_context(request, workspace))


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
        is_note = data["kind"] == MessageKind.NOTE
        if not is_note:
            require_page(request.user, "ticket.reply")
        try:
            macro = None
            if data["macro"] and not is_note:  # only an active macro may be applied
                macro = reference_or_422(ticket_selectors.macro_list(active=True), "macro", data["macro"])
            hold = 0 if is_note else ticket_services.undo_send_seconds()
            ticket_services.ticket_compose(
                ticket=t,
                actor=request.user,
                kind=data["kind"],
                body=data["body"],
                macro=macro,
                status=data["after_status"] or None,
                seen_public_message_id=None if data["send_anyway"] else data["seen_public_id"],
                hold_seconds=hold,
            )
            if not hold:  # a held reply is announced by the "Sent. Undo" toast instead
                messages.success(request, _("Note added.") if is_note else _("Reply sent."))
            return redirect("web:ticket", number=number)
        except ticket_services.ReplyCollision as exc:
            # Held, not sent: the text stays in the composer and in the draft (Review reloads the page).
            ticket_services.draft_save(ticket=t, user=request.user, body=data["body"], kind=data["kind"])
            return _refused(request, number, status=409, composer=form, collision=exc)
        except DomainError as exc:
            _refusal(form, exc, hidden=("macro",))
    return _refused(request, number, composer=form)


@require_POST
@page("ticket.update")
def ticket_controls(request: PageRequest, number: int) -> HttpResponseBase:
    t = ticket_selectors.ticket_get(number=number)
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
            if request.htmx:  # saved in place: the panel, the header badges and an announcement
                return _controls_saved(request, number)
            messages.success(request, _("Ticket updated."))
            return redirect("web:ticket", number=number)
    if request.htmx:  # the panel again with the errors beside their fields (app.js swaps a 422 here)
        t = selectors.ticket_for_page(number=number)
        return jinja(request, "web/partials/ticket_controls.jinja", {"ticket": t, "controls": form}, status=422)
    return _refused(request, number, controls=form)


def _controls_saved(request: PageRequest, number: int) -> HttpResponse:
    """The Properties panel after an in-place save, with the header badges out of band and what changed said in
    the role=status region."""
    t = selectors.ticket_for_page(number=number)
    assignee = t.assignee.display_name if t.assignee else _("Unassigned")
    announcement = _("Ticket updated: %(status)s, %(assignee)s.") % {
        "status": t.get_status_display(),
        "assignee": assignee,
    }
    return jinja(
        request,
        "web/partials/ticket_controls_saved.jinja",
        {"ticket": t, "controls": TicketControlsForm(initial=_controls_initial(t)), "announcement": announcement},
    )


@require_POST
@page("ticket.update")
def ticket_solve(request: PageRequest, number: int) -> HttpResponseBase:
    """Set the ticket solved (key c) and open `next`: the following ticket of the inbox view the agent came from,
    or that view; app.js fills it in. Without a `next`, back to the ticket."""
    t = ticket_selectors.ticket_get(number=number)
    try:
        ticket_update(ticket=t, actor=request.user, status=Status.SOLVED)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("web:ticket", number=number)
    selectors.inbox_counts_forget(request.user)
    messages.success(request, _("Ticket #%(number)d solved.") % {"number": number})
    return redirect(safe_next(request, reverse("web:ticket", args=[number])))


def _snooze_until(choice: str, custom: str) -> datetime:
    """The end of a snooze from the page's choice, or its custom date and time (the agent's time zone)."""
    if choice in SNOOZE_CHOICES:
        return snooze_until_for(choice)
    try:
        chosen = datetime.fromisoformat(custom)
    except ValueError:
        raise ValidationFailed(_("Choose when the ticket should come back."), errors={"until": "invalid"}) from None
    return timezone.make_aware(chosen) if timezone.is_naive(chosen) else chosen


@require_POST
@page("ticket.update")
def ticket_snooze_set(request: PageRequest, number: int) -> HttpResponseBase:
    """Snooze the ticket (later today, tomorrow, next week, or a chosen moment), or wake it now."""
    t = ticket_selectors.ticket_get(number=number)
    try:
        if request.POST.get("until") == "wake":
            ticket_unsnooze(ticket=t, actor=request.user)
            messages.success(request, _("Ticket #%(number)d is back in the inbox.") % {"number": number})
        else:
            until = _snooze_until(request.POST.get("until", ""), request.POST.get("at", ""))
            ticket_snooze(ticket=t, until=until, actor=request.user)
            local = timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
            messages.success(
                request, _("Ticket #%(number)d snoozed until %(until)s.") % {"number": number, "until": local}
            )
    except DomainError as exc:
        messages.error(request, exc.detail)
    selectors.inbox_counts_forget(request.user)
    return redirect("web:ticket", number=number)


@require_POST
@page("ticket.update")
def follower_decide(request: PageRequest, number: int, proposal_id: int, decision: str) -> HttpResponseBase:
    """Accept or dismiss a follower that a customer's unauthenticated mail proposed (one click each)."""
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
    return render(
        request,
        "web/partials/macro_results.html",
        {"macros": ticket_selectors.macro_search(q=q, limit=8), "number": number, "q": q},
    )


@page("ticket.view")
def macro_fill(request: PageRequest, number: int, macro_id: int) -> HttpResponseBase:
    """The composer body with the macro's placeholders filled for this ticket (htmx fragment)."""
    t = ticket_selectors.ticket_get(number=number)
    macro = object_or_404(ticket_selectors.macro_list(active=True), pk=macro_id)
    form = ComposerForm(
        initial={
            "kind": MessageKind.REPLY,
            "macro": macro.pk,
            "body": macro_render(macro=macro, ticket=t, actor=request.user),
            "after_status": (macro.actions or {}).get("status", ""),
        }
    )
    return jinja(request, "web/partials/composer_body.jinja", {"composer": form, "macro": macro})


@page("feedback.view")
def feedback_search(request: PageRequest) -> HttpResponseBase:
    """Type-ahead over feedback items (htmx fragment): radio choices for the link and merge forms, which the
    selection's "Link to feedback" combobox reads too. Ranked by the search engine (issue 13: one engine)."""
    q = (request.GET.get("q") or "").strip()
    items: list = []
    error = ""
    if q:
        try:
            items = feedback_typeahead(
                user=request.user, q=q, limit=10, exclude_id=int_or_none(request.GET.get("exclude"))
            )
        except QueryError as exc:
            error = exc.detail
    field = "target" if request.GET.get("field") == "target" else "item"
    return render(
        request, "web/partials/feedback_results.html", {"items": items, "q": q, "field": field, "error": error}
    )


@require_POST
@page("feedback.evidence")
def ticket_link_feedback(request: PageRequest, number: int) -> HttpResponseBase:
    """Link the ticket to an existing feedback item, or create one in place, quoting the selected text."""
    t = ticket_selectors.ticket_get(number=number)
    form = LinkFeedbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            message = None
            if data["message"]:  # a message of this ticket only
                message = reference_or_422(ticket_selectors.ticket_messages(ticket=t), "message", data["message"])
            item = None
            if data["item"]:
                try:
                    item = reference_or_422(feedback_items(), "item", data["item"])
                except ValidationFailed:
                    raise DomainError(_("That feedback item does not exist."), errors={"item": "not found"}) from None
            else:
                require_page(request.user, "feedback.create")
            item, _evidence = ticket_feedback_link(
                ticket=t,
                actor=request.user,
                item=item,
                new_kind=data["new_kind"],
                new_title=data["new_title"],
                message=message,
                quote=data["quote"],
                importance=data["importance"],
            )
        except DomainError as exc:
            if "existing_evidence_id" in exc.extra:  # a repeat link: say so above the form, not on a hidden field
                form.add_error(None, exc.detail)
            else:
                _refusal(form, exc, hidden=("message",))
        else:
            messages.success(request, _("Linked to “%(title)s”.") % {"title": item.title})
            return redirect("web:ticket", number=number)
    return _refused(request, number, link_form=form)


def _bug_initial(ticket) -> dict:
    first = ticket_selectors.ticket_first_reply(ticket=ticket)
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
    attachments = ticket_selectors.ticket_attachments(ticket=t, limit=50)
    if request.method == "POST":
        form = BugReportForm(request.POST, attachments=attachments)
        if form.is_valid():
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
