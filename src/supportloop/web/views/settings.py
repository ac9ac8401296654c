"""Settings pages: users and roles, teams, macros, taxonomy (admins; leads see macros) and API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.forms import Form
from django.http import HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.accounts.permissions import can
from supportloop.accounts.selectors import api_tokens_of, teams_with_members
from supportloop.accounts.selectors import people as people_list
from supportloop.accounts.selectors import teams as team_list_plain
from supportloop.accounts.services import api_token_create, api_token_revoke, team_create, user_create, user_update
from supportloop.core.errors import DomainError, NotFound
from supportloop.core.lookup import object_or_404
from supportloop.search.selectors import index_lag
from supportloop.tickets.selectors import contact_reasons, macro_list, product_area_list, product_feature_list
from supportloop.tickets.services import (
    contact_reason_create,
    contact_reason_update,
    macro_create,
    macro_update,
    product_area_create,
    product_area_update,
    product_feature_create,
    product_feature_update,
)
from supportloop.web.forms import (
    AreaForm,
    FeatureForm,
    MacroForm,
    ReasonForm,
    TeamForm,
    TokenForm,
    UserCreateForm,
    UserRoleForm,
    add_domain_error,
)
from supportloop.web.views.common import PageRequest, page


@page("macro.view")
def settings_home(request: PageRequest) -> HttpResponseBase:
    return render(
        request,
        "web/settings/home.html",
        {
            "section": "settings",
            "can_users": can(request.user, "user.write"),
            "can_macros": can(request.user, "macro.write"),
            "can_taxonomy": can(request.user, "taxonomy.write"),
            "can_routing": can(request.user, "routing.manage"),
            "can_sla": can(request.user, "sla.manage"),
            "can_webhooks": can(request.user, "webhook.manage"),
            "can_triggers": can(request.user, "triggers.manage"),
            "can_privacy": can(request.user, "privacy.manage"),
            # how far the search index lags behind its rows (search.selectors): for admins, who can rebuild it
            "index_lag": index_lag() if can(request.user, "user.write") else None,
        },
    )


@page("user.write")
def users(request: PageRequest) -> HttpResponseBase:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.username})
            return redirect("web:users")
    people = list(people_list()[:500])
    return render(
        request,
        "web/settings/users.html",
        {"section": "settings", "form": form, "people": people, "role_form": UserRoleForm()},
    )


@require_POST
@page("user.write")
def user_role(request, pk: int):
    person = object_or_404(people_list(), pk=pk)
    form = UserRoleForm(request.POST)
    if form.is_valid():
        if person.pk == request.user.pk and (
            form.cleaned_data["role"] != person.role or not form.cleaned_data["is_active"]
        ):
            messages.error(request, _("You cannot change your own role or deactivate yourself."))
        else:
            try:
                user_update(user=person, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                messages.error(request, exc.detail)
            else:
                messages.success(request, _("Saved."))
    return redirect("web:users")


@page("team.write")
def teams(request: PageRequest) -> HttpResponseBase:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"].strip()
        try:
            team_create(
                name=name,
                slug=slugify(name) or f"team-{team_list_plain().count() + 1}",
                members=list(form.cleaned_data["members"]),
                actor=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Team created."))
            return redirect("web:teams")
    return render(
        request,
        "web/settings/teams.html",
        {"section": "settings", "form": form, "teams": list(teams_with_members())},
    )


@page("macro.view")
def macros(request: PageRequest) -> HttpResponseBase:
    form = MacroForm(request.POST or None)
    if request.method == "POST":
        if not can(request.user, "macro.write"):
            messages.error(request, _("Your role may not change macros."))
            return redirect("web:macros")
        if form.is_valid():
            data = form.cleaned_data
            try:
                macro_create(
                    name=data["name"],
                    body=data["body"],
                    actions=form.actions(),
                    is_active=data["is_active"],
                    actor=request.user,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Macro created."))
                return redirect("web:macros")
    return render(
        request,
        "web/settings/macros.html",
        {
            "section": "settings",
            "form": form,
            "macros": list(macro_list()[:500]),
            "can_write": can(request.user, "macro.write"),
        },
    )


@page("macro.write")
def macro_edit(request, pk: int):
    macro = object_or_404(macro_list(), pk=pk)
    actions = macro.actions or {}
    initial = {
        "name": macro.name,
        "body": macro.body,
        "status": actions.get("status", ""),
        "add_tags": ", ".join(actions.get("add_tags", [])),
        "is_active": macro.is_active,
    }
    form = MacroForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            macro_update(
                macro=macro,
                actor=request.user,
                name=data["name"].strip(),
                body=data["body"],
                actions=form.actions(),
                is_active=data["is_active"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Macro saved."))
            return redirect("web:macros")
    return render(request, "web/settings/macro_edit.html", {"section": "settings", "form": form, "macro": macro})


@page("taxonomy.view")
def taxonomy(request: PageRequest) -> HttpResponseBase:
    """Product areas, their features and contact reasons; admins add and retire them."""
    can_write = can(request.user, "taxonomy.write")
    forms_ = {
        "area": AreaForm(prefix="area"),
        "feature": FeatureForm(prefix="feature"),
        "reason": ReasonForm(prefix="reason"),
    }
    if request.method == "POST":
        if not can_write:
            messages.error(request, _("Only admins change the taxonomy."))
            return redirect("web:taxonomy")
        kind = request.POST.get("kind")
        form: Form
        try:
            if kind == "area":
                form = forms_["area"] = AreaForm(request.POST, prefix="area")
                if form.is_valid():
                    product_area_create(name=form.cleaned_data["name"], actor=request.user)
                    return _saved(request)
            elif kind == "feature":
                form = forms_["feature"] = FeatureForm(request.POST, prefix="feature")
                if form.is_valid():
                    product_feature_create(
                        area=form.cleaned_data["area"], name=form.cleaned_data["name"], actor=request.user
                    )
                    return _saved(request)
            elif kind == "reason":
                form = forms_["reason"] = ReasonForm(request.POST, prefix="reason")
                if form.is_valid():
                    contact_reason_create(actor=request.user, **form.cleaned_data)
                    return _saved(request)
            elif kind == "toggle":
                _toggle(request)
                return _saved(request)
        except NotFound:
            raise  # an unknown or malformed id in the toggle form: the page's 404, not a message
        except DomainError as exc:
            target = forms_.get(kind or "")
            if target is not None:
                add_domain_error(target, exc)
            else:
                messages.error(request, exc.detail)
    areas = list(product_area_list().prefetch_related("features"))
    return render(
        request,
        "web/settings/taxonomy.html",
        {
            "section": "settings",
            "areas": areas,
            "reasons": list(contact_reasons()),
            "can_write": can_write,
            **{f"{k}_form": v for k, v in forms_.items()},
        },
    )


def _saved(request: PageRequest) -> HttpResponseRedirect:
    messages.success(request, _("Saved."))
    return redirect("web:taxonomy")


def _toggle(request: PageRequest) -> None:
    model = request.POST.get("model")
    pk = request.POST.get("pk")
    if model == "area":
        area = object_or_404(product_area_list(), pk=pk)
        product_area_update(area=area, actor=request.user, is_active=not area.is_active)
    elif model == "feature":
        feature = object_or_404(product_feature_list(), pk=pk)
        product_feature_update(feature=feature, actor=request.user, is_active=not feature.is_active)
    elif model == "reason":
        reason = object_or_404(contact_reasons(), pk=pk)
        contact_reason_update(reason=reason, actor=request.user, is_active=not reason.is_active)


@page("token.manage_own")
def tokens(request: PageRequest) -> HttpResponseBase:
    """The user's own API tokens. A new secret is shown once, on the response to its creation."""
    may_write = can(request.user, "token.read_write")
    form = TokenForm(request.POST or None, may_write=may_write)
    secret = None
    if request.method == "POST" and form.is_valid():
        _token, secret = api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            read_only=form.cleaned_data["read_only"] or not may_write,
            actor=request.user,
        )
        form = TokenForm(may_write=may_write)
    response = render(
        request,
        "web/settings/tokens.html",
        {
            "section": "account",
            "form": form,
            "secret": secret,
            "tokens": list(api_tokens_of(user=request.user)[:100]),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@page("token.manage_own")
def token_revoke(request, pk: int):
    token = object_or_404(api_tokens_of(user=request.user), pk=pk)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("web:tokens")
