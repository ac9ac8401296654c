"""The form renderer (core/form_renderer.py): built-in widgets through Jinja2, and every admin form still renders,
including the admin's own widgets that exist only as Django templates."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.jinja2 import Template as Jinja2Template
from django.test import Client
from django.urls import reverse

from supportloop.core.form_renderer import JinjaFirstRenderer


def test_built_in_widgets_come_from_jinja2_and_admin_widgets_from_django_templates():
    renderer = JinjaFirstRenderer()
    assert isinstance(renderer.get_template("django/forms/widgets/select.html"), Jinja2Template)
    assert isinstance(renderer.get_template("admin/widgets/foreign_key_raw_id.html"), DjangoTemplate)


@pytest.mark.django_db
def test_every_admin_add_page_renders(make_user):
    from supportloop.accounts.choices import Role

    superuser = make_user(Role.ADMIN, username="root")
    superuser.is_superuser = superuser.is_staff = True
    superuser.save()
    client = Client()
    client.force_login(superuser)
    failures = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        status = client.get(url).status_code
        if status not in (200, 403):  # 403: the admin does not add these by hand (derived or append-only rows)
            failures.append((url, status))
    assert failures == []
