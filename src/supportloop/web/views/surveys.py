"""Survey pages: the customer's answer page behind a link (no sign-in), and the leads' bad ratings page.

Thin: each view calls one service or selector. Why a GET of a score link records the answer is in
docs/surveys.md (the customer who only clicks the score in the mail must count; mail scanners that prefetch
links are why a second score needs the page's form, and why a HEAD records nothing).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from supportloop.core.errors import DomainError, NotFound
from supportloop.feedback.selectors import feedback_item_ref, feedback_items_to_pick
from supportloop.surveys.choices import BadRatingReason, BadRatingStatus, score_range
from supportloop.surveys.models import BadRating, SurveySend
from supportloop.surveys.selectors import bad_rating_list
from supportloop.surveys.services import (
    SurveyLinkRefused,
    bad_rating_handle,
    score_label,
    survey_answer,
    survey_question,
    survey_send_for_token,
    survey_settings,
    survey_settings_update,
)
from supportloop.web.forms import add_domain_error
from supportloop.web.survey_forms import SurveySettingsForm
from supportloop.web.views.common import PageRequest, page

# Lazy, so makemessages finds them and each page translates them in the language it renders in.
REFUSALS = {
    "forged": (
        404,
        gettext_lazy("This survey link is not valid"),
        gettext_lazy("Please use the link from your email exactly as it was sent."),
    ),
    "expired": (
        410,
        gettext_lazy("This survey has expired"),
        gettext_lazy("The time to answer this survey has passed."),
    ),
    "used": (
        410,
        gettext_lazy("This survey was already answered"),
        gettext_lazy("Thank you: your answer was saved earlier."),
    ),
}


def _refused(request: HttpRequest, refusal: SurveyLinkRefused) -> HttpResponse:
    """The page of a link that records nothing: in the contact's language when the link is a real (expired or
    used) one; a forged link tells us nobody, so it keeps the request's language."""
    status, heading, detail = REFUSALS[refusal.reason]
    language = _language(refusal.send) if refusal.send is not None else translation.get_language()
    with translation.override(language):
        result = render(request, "web/surveys/refused.html", {"heading": heading, "detail": detail}, status=status)
    result["Referrer-Policy"] = "no-referrer"
    result["Cache-Control"] = "no-store"
    return result


def _language(send: SurveySend) -> str:
    from supportloop.feedback.services.loop import template_language

    return send.language or template_language(send.contact.language)


# No CSRF check: there is no session to ride on. The unguessable token in the URL is the only credential, and a
# page that does not know it cannot post to it; customers whose browsers refuse cookies can still answer.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponseBase:
    """GET ?s=N records score N (first answer) and offers the comment form; POST sends the form (a changed score
    and a comment) and uses the link up. Forged, expired and used links record nothing and say why."""
    try:
        send = survey_send_for_token(token=token)
    except SurveyLinkRefused as exc:
        return _refused(request, exc)
    with translation.override(_language(send)):
        error = ""
        status = 200
        response = getattr(send, "response", None) if hasattr(send, "response") else None
        try:
            if request.method == "POST":
                survey_answer(
                    raw=token, score=request.POST.get("score", ""), comment=request.POST.get("comment", ""), close=True
                )
                return render(request, "web/surveys/done.html", {})
            if request.method == "GET" and "s" in request.GET and response is None:
                response = survey_answer(raw=token, score=request.GET["s"]).response
        except SurveyLinkRefused as exc:
            return _refused(request, exc)
        except DomainError as exc:
            error = _("Please choose a score from the list.") if "score" in exc.errors else exc.detail
            status = 422
        low, high = score_range(send.kind, send.scale)
        scores = [{"score": n, "label": score_label(send.kind, send.scale, n)} for n in range(low, high + 1)]
        context = {
            "question": survey_question(send.kind, ticket=send.ticket),
            "scores": scores,
            "response": response,
            "response_label": score_label(send.kind, send.scale, response.score) if response else "",
            "error": error,
        }
        result = render(request, "web/surveys/answer.html", context, status=status)
        result["Referrer-Policy"] = "no-referrer"  # the token must not leak to other sites
        result["Cache-Control"] = "no-store"
        return result


@page("survey.bad_ratings")
def bad_ratings(request: PageRequest) -> HttpResponseBase:
    """Bad CSATs and NPS detractors to review: open ones by default, the lead's teams first when they have any."""
    status = request.GET.get("status", BadRatingStatus.OPEN)
    if status not in BadRatingStatus.values and status != "all":
        status = BadRatingStatus.OPEN
    mine = request.GET.get("teams") != "all"
    team_ids = list(request.user.teams.values_list("pk", flat=True)) if mine else []
    rows = list(bad_rating_list(status=None if status == "all" else status, team_ids=team_ids)[:200])
    return render(
        request,
        "web/surveys/bad_ratings.html",
        {
            "section": "bad_ratings",
            "rows": rows,
            "status": status,
            "mine": mine and bool(team_ids),
            "statuses": BadRatingStatus.choices,
            "reasons": BadRatingReason.choices,
            "product_reason": BadRatingReason.PRODUCT,
            # Only open rows have the review form; the list is read once for all of them.
            "items": feedback_items_to_pick() if any(b.status == BadRatingStatus.OPEN for b in rows) else [],
        },
    )


@require_POST
@page("survey.bad_ratings")
def bad_rating_review(request: PageRequest, pk: int) -> HttpResponseBase:
    """A lead picks the reason; for a product issue, the feedback item picked gets the ticket as evidence. An
    unknown item is refused with a message and nothing changes."""
    bad = BadRating.objects.filter(pk=pk).first()
    if bad is None:
        raise NotFound("No such bad rating.")
    picked = request.POST.get("feedback_item", "").strip()  # the pick-list's id, or FB-12 typed by hand
    item = None
    if picked:
        digits = picked.upper().removeprefix("FB-")
        try:
            item = feedback_item_ref(item_id=int(digits) if digits.isdigit() else 0, field="feedback_item")
        except DomainError:  # pk 0 is never an item: anything unreadable lands here too
            messages.error(request, _("No feedback item %(item)s: nothing was saved.") % {"item": picked[:20]})
            return redirect("web:bad_ratings")
    try:
        bad_rating_handle(
            bad_rating=bad,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
            feedback_item=item,
        )
        messages.success(request, _("Bad rating reviewed."))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("web:bad_ratings")


@page("survey.configure")
def survey_settings_page(request: PageRequest) -> HttpResponseBase:
    """Settings → Surveys (admins): when surveys go out, the CSAT scale, CES reasons, NPS schedule, throttle."""
    current = survey_settings()
    if request.method == "POST":
        form = SurveySettingsForm(request.POST)
        if form.is_valid():
            try:
                survey_settings_update(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Survey settings saved."))
                return redirect("web:survey_settings")
    else:
        initial = {
            name: getattr(current, name) for name in SurveySettingsForm.base_fields if name != "ces_contact_reasons"
        }
        initial["ces_contact_reasons"] = list(current.ces_contact_reasons.values_list("slug", flat=True))
        form = SurveySettingsForm(initial=initial)
    return render(request, "web/surveys/settings.html", {"form": form, "section": "settings"})
