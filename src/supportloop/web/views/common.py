"""Small helpers shared by the page views: role checks, safe redirects, htmx partials."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from supportloop.accounts.models import User
from supportloop.accounts.permissions import can
from supportloop.core.errors import NotFound


class PageRequest(HttpRequest):
    """For annotations: a request to a view behind @page, so from a signed-in user; django-htmx's details."""

    user: User
    htmx: HtmxDetails


def page(action: str | None = None):
    """Sign-in required, then the role matrix action (accounts.permissions) if given."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if action and not can(request.user, action):
                raise DjangoPermissionDenied(action)
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.detail) from exc

        return login_required(wrapped)

    return decorator


def require_page(user: User, action: str) -> None:
    if not can(user, action):
        raise DjangoPermissionDenied(action)


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    return redirect(safe_next(request, fallback))


def render_page(
    request: PageRequest, template: str, context: dict, partial: str | None = None, status: int = 200
) -> HttpResponse:
    """One code path per screen: htmx asks for the partial, a normal request gets the page."""
    if partial and getattr(request, "htmx", False) and not request.htmx.boosted:
        return render(request, partial, context, status=status)
    return render(request, template, context, status=status)


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
