import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from supportloop.accounts.signin import SEEN_KEY, STEP_ENROL, STEP_KEY, STEP_VERIFY


class UserLanguageMiddleware:
    """Activates the signed-in user's chosen interface language; otherwise LocaleMiddleware's choice stands."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response


class SignInStepsMiddleware:
    """A session whose password was right but whose two-factor step is still due (accounts/signin.py STEP_KEY) can
    reach only that step and sign-out: pages redirect there, the API treats the session as no session at all (a
    bearer token is unaffected: it is a credential of its own). Costs no query: the step is in the session.

    For finished sign-ins it writes the session's "last seen" in the list of sessions at most every
    SUPPORTLOOP_SESSION_TOUCH_SECONDS."""

    OPEN_PREFIXES = ("/static/", "/health/", "/favicon")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            step = request.session.get(STEP_KEY)
            if step in (STEP_VERIFY, STEP_ENROL):
                refused = self._refuse(request, step)
                if refused is not None:
                    return refused
            else:
                self._touch(request, user)
        return self.get_response(request)

    def _refuse(self, request, step):
        target = reverse("web:two_factor_verify" if step == STEP_VERIFY else "web:two_factor_setup")
        path = request.path
        if path in (target, reverse("web:logout")) or path.startswith(self.OPEN_PREFIXES):
            return None
        if path.startswith("/api/"):
            request.user = AnonymousUser()
            return None
        query = "?" + urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return redirect(target + query)

    def _touch(self, request, user):
        session = request.session
        now = int(time.time())
        if now - int(session.get(SEEN_KEY) or 0) < settings.SUPPORTLOOP_SESSION_TOUCH_SECONDS:
            return
        if not session.session_key:
            return
        from supportloop.accounts.services.security import user_session_touch
        from supportloop.core.clients import client_address

        user_session_touch(
            user=user,
            session_key=session.session_key,
            address=client_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        session[SEEN_KEY] = now
