"""Sign-in security pages: the two-factor step of sign-in, two-factor set-up, the account's security page (two-factor
status, recovery codes, browser sessions), password reset by email and the admins' security settings.

Thin: the sign-in steps are in accounts/signin.py, the writes in accounts/services/security.py.
"""

from __future__ import annotations

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from supportloop.accounts.choices import Role
from supportloop.accounts.selectors import two_factor_roles, two_factor_status, user_sessions_of
from supportloop.accounts.services.security import (
    password_reset_completed,
    password_reset_send,
    recovery_codes_regenerate,
    security_settings_update,
    totp_enrolment_begin,
    totp_enrolment_confirm,
    two_factor_disable,
    user_session_revoke,
    user_sessions_revoke_others,
)
from supportloop.accounts.signin import STEP_ENROL, STEP_KEY, STEP_VERIFY, locked_message, second_factor_check
from supportloop.core import ratelimit
from supportloop.core.clients import address_bucket, client_address
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.lookup import object_or_404
from supportloop.web.views.common import PageRequest, page, safe_next


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class SecuritySettingsForm(forms.Form):
    two_factor_roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles that must use two-factor sign-in"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Members of these roles set up an authenticator app at their next sign-in and cannot use the "
            "product until they have. API tokens are not affected."
        ),
    )


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@login_required
def two_factor_verify(request: PageRequest) -> HttpResponseBase:
    """The sign-in's second step: the authenticator's code, or a recovery code."""
    if request.session.get(STEP_KEY) != STEP_VERIFY:
        return redirect(safe_next(request, "/"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = second_factor_check(request, form.cleaned_data["code"])
        if result.refused:
            form.add_error(None, locked_message(result.retry_after))
        elif not result.method:
            form.add_error(
                "code", _("That code is not right. Type the current code from your app, or a recovery code.")
            )
        else:
            if result.method == "recovery_code":
                messages.warning(
                    request,
                    _("You signed in with a recovery code. It cannot be used again; make new codes if few are left."),
                )
            return redirect(safe_next(request, "/"))
    return _no_store(
        render(
            request,
            "web/two_factor_verify.html",
            {"form": form, "next": request.GET.get("next", ""), "sign_in_pending": True},
        )
    )


@page("account.security_own")
def two_factor_setup(request: PageRequest) -> HttpResponseBase:
    """Scan the QR code (or type the secret), confirm with the current code; the recovery codes are shown once."""
    user = request.user
    try:
        device = totp_enrolment_begin(user=user)
    except Conflict:
        messages.info(request, _("Two-factor sign-in is already on."))
        return redirect("web:account_security")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_enrolment_confirm(user=user, code=form.cleaned_data["code"])
        except ValidationFailed:
            form.add_error("code", _("That code is not right. Check the time on your phone and type the current code."))
        else:
            if request.session.get(STEP_KEY) == STEP_ENROL:
                request.session.pop(STEP_KEY, None)  # the enrolment proved the second factor for this session
            return _no_store(render(request, "web/recovery_codes.html", {"codes": codes, "first_time": True}))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    secret = _base32(device.bin_key)
    context = {
        "form": form,
        "qr_svg": qr_svg,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "enforced": request.session.get(STEP_KEY) == STEP_ENROL,
        "sign_in_pending": request.session.get(STEP_KEY) == STEP_ENROL,
    }
    return _no_store(render(request, "web/two_factor_setup.html", context))


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def user_agent_label(user_agent: str) -> str:
    """ "Firefox on Linux" from a User-Agent header (the raw header stays in the row's title); "" when unknown."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


@page("account.security_own")
def account_security(request: PageRequest) -> HttpResponseBase:
    """Two-factor status, recovery codes, browser sessions (with revoke) and a link to the API tokens."""
    user = request.user
    disable_form = PasswordConfirmForm(prefix="disable")
    codes_form = PasswordConfirmForm(prefix="codes")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "disable":
            disable_form = PasswordConfirmForm(request.POST, prefix="disable")
            if disable_form.is_valid():
                try:
                    two_factor_disable(user=user, password=disable_form.cleaned_data["password"], actor=user)
                except ValidationFailed:
                    disable_form.add_error("password", _("Wrong password."))
                except Conflict:
                    disable_form.add_error("password", _("Your role must use two-factor sign-in."))
                else:
                    messages.success(request, _("Two-factor sign-in is off."))
                    return redirect("web:account_security")
        elif action == "codes":
            codes_form = PasswordConfirmForm(request.POST, prefix="codes")
            if codes_form.is_valid():
                try:
                    codes = recovery_codes_regenerate(user=user, password=codes_form.cleaned_data["password"])
                except (ValidationFailed, Conflict) as exc:
                    codes_form.add_error(
                        "password", _("Wrong password.") if isinstance(exc, ValidationFailed) else exc.detail
                    )
                else:
                    return _no_store(render(request, "web/recovery_codes.html", {"codes": codes, "first_time": False}))
    current = request.session.session_key
    sessions = [
        {"row": row, "current": row.session_key == current, "label": user_agent_label(row.user_agent)}
        for row in user_sessions_of(user=user)[:100]
    ]
    context = {
        "status": two_factor_status(user=user),
        "disable_form": disable_form,
        "codes_form": codes_form,
        "sessions": sessions,
    }
    return _no_store(render(request, "web/account_security.html", context))


@require_POST
@page("account.security_own")
def session_revoke(request: PageRequest, pk: int) -> HttpResponseBase:
    row = object_or_404(user_sessions_of(user=request.user), pk=pk)
    if row.session_key == request.session.session_key:
        messages.error(request, _("This is the session you are using: sign out instead."))
    else:
        user_session_revoke(session=row, actor=request.user)
        messages.success(request, _("That session is signed out."))
    return redirect("web:account_security")


@require_POST
@page("account.security_own")
def sessions_revoke_others(request: PageRequest) -> HttpResponseBase:
    count = user_sessions_revoke_others(
        user=request.user, keep_session_key=request.session.session_key, actor=request.user
    )
    messages.success(request, _("Signed out %(count)d other sessions.") % {"count": count})
    return redirect("web:account_security")


@page("security.manage")
def security_settings(request: PageRequest) -> HttpResponseBase:
    form = SecuritySettingsForm(request.POST or None, initial={"two_factor_roles": two_factor_roles()})
    if request.method == "POST" and form.is_valid():
        security_settings_update(two_factor_roles=form.cleaned_data["two_factor_roles"], actor=request.user)
        messages.success(request, _("Saved."))
        return redirect("web:security_settings")
    return render(request, "web/settings/security.html", {"form": form, "section": "settings"})


# -- password reset by email ------------------------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset: the same answer whether or not the address belongs to anyone (no enumeration). Requests per
    client address past SUPPORTLOOP_PASSWORD_RESET_RATE get a clear refusal; per email address past it, the same
    answer as always but no mail (so a stranger cannot flood someone's inbox, nor learn anything)."""

    template_name = "web/password_reset.html"
    success_url = reverse_lazy("web:password_reset_done")  # the mail: accounts.services.security.password_reset_send

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        rate = ratelimit.Rate.parse(settings.SUPPORTLOOP_PASSWORD_RESET_RATE)
        address = client_address(self.request)
        by_address = ratelimit.hit(
            f"password-reset:address:{address_bucket(address)}", limit=rate.limit, window=rate.window
        )
        if not by_address.allowed:
            form.add_error(
                None,
                _("Too many reset requests from here. Try again in %(minutes)d minutes.")
                % {"minutes": max(1, -(-by_address.retry_after // 60))},
            )
            return self.form_invalid(form)
        email = form.cleaned_data["email"].strip().casefold()
        by_email = ratelimit.hit(f"password-reset:email:{email[:200]}", limit=rate.limit, window=rate.window)
        if not by_email.allowed:
            return redirect(self.get_success_url())
        password_reset_send(email=form.cleaned_data["email"], address=address)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        password_reset_completed(user=form.user, address=client_address(self.request))
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/password_reset_complete.html"
