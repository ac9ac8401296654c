"""What an operator relies on: the admin covers every model, deploy checks speak up, settings fail loudly."""

from __future__ import annotations

import os
import subprocess
import sys

from django.apps import apps
from django.contrib import admin


def test_every_model_of_every_supportloop_app_is_in_the_admin():
    missing = [
        model._meta.label
        for config in apps.get_app_configs()
        if config.name.startswith("supportloop.")
        for model in config.get_models()
        if model not in admin.site._registry
    ]
    assert missing == []


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "SUPPORTLOOP_DEBUG", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    return subprocess.run(
        [sys.executable, "-m", "supportloop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DATABASE_URL": "sqlite:///:memory:", **env},
    )


def test_check_deploy_reports_the_supportloop_checks():
    ok = _run("check", "--deploy", SECRET_KEY="k" * 60, ALLOWED_HOSTS="support.example")
    out = ok.stdout + ok.stderr
    assert "supportloop.W001" in out and "supportloop.W002" in out and "supportloop.E001" not in out
    debug = _run("check", "--deploy", SECRET_KEY="k" * 60, SUPPORTLOOP_DEBUG="1")
    assert debug.returncode != 0 and "supportloop.E001" in debug.stdout + debug.stderr


def test_production_settings_without_secret_key_fail_with_a_message_naming_it():
    result = _run("check", ALLOWED_HOSTS="support.example")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
    result = _run("check", SECRET_KEY="k" * 60)
    assert result.returncode != 0 and "ALLOWED_HOSTS is required" in result.stderr
