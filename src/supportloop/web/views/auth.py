"""Sign-in with throttling, sign-out, password change and the account page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from supportloop.accounts.permissions import can
from supportloop.accounts.services import user_update
from supportloop.accounts.services.security import user_session_password_changed
from supportloop.accounts.signin import ThrottledAuthenticationMixin
from supportloop.automation.selectors.routing import agent_is_away
from supportloop.core.errors import DomainError
from supportloop.web.forms import AccountForm, add_domain_error
from supportloop.web.views.common import PageRequest, page


class ThrottledAuthenticationForm(ThrottledAuthenticationMixin, AuthenticationForm):
    """Refuses further attempts for a while after repeated failures for one account or from one address
    (accounts/signin.py: counted in the database or the shared cache, so the limit holds across processes)."""


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"

    def get_success_url(self):
        return "/account/"

    def form_valid(self, form) -> HttpResponse:
        old_key = self.request.session.session_key
        response = super().form_valid(form)  # saves the password and cycles this session's key
        user_session_password_changed(user=form.user, old_key=old_key, new_key=self.request.session.session_key)
        messages.success(self.request, _("Your password was changed. Every other session is signed out."))
        return response


@page()
def account(request: PageRequest) -> HttpResponseBase:
    user = request.user
    if request.method == "POST":
        form = AccountForm(request.POST)
        if form.is_valid():
            try:
                user_update(user=user, actor=user, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("web:account")
    else:
        form = AccountForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "language": user.language,
                "signature": user.signature,
                "keyboard_shortcuts": user.keyboard_shortcuts,
            }
        )
    # Agents set themselves away here (automation's routing: new tickets skip them, open ones move as teams say).
    away = agent_is_away(user=user) if can(user, "routing.away_own") else None
    return render(request, "web/account.html", {"form": form, "away": away})
