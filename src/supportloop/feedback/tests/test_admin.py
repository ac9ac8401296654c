"""Every feedback model is in the admin, and its list and add pages render."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from supportloop.accounts.choices import Role


@pytest.mark.parametrize("model", list(apps.get_app_config("feedback").get_models()), ids=lambda m: m.__name__)
def test_registered_and_pages_render(model, make_user, item):
    assert admin.site.is_registered(model)
    item("Seen in the admin")
    client = Client()
    client.force_login(make_user(Role.ADMIN))
    opts = model._meta
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)  # the settings singleton refuses a second row
