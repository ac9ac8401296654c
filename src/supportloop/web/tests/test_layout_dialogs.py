"""The shortcuts dialog and the command palette are rendered once per language and single-key setting: a page
must still get the variant of its own language and of its user's setting."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from supportloop.web.templatetags import web_tags

pytestmark = pytest.mark.django_db


def _dialogs(user) -> str:
    return Template("{% load web_tags %}{% layout_dialogs %}").render(Context({"user": user}))


def test_each_language_and_single_key_setting_gets_its_own_dialogs(make_user, settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setattr(web_tags, "_dialogs", {})
    keys_on, keys_off = make_user("agent"), make_user("agent")
    keys_off.keyboard_shortcuts = False
    with translation.override("en"):
        english_on, english_off = _dialogs(keys_on), _dialogs(keys_off)
        assert _dialogs(keys_on) == english_on  # served from the process's copy
    with translation.override("ru"):
        russian_on = _dialogs(keys_on)
    assert 'id="shortcuts-dialog"' in english_on and 'id="palette"' in english_on
    assert "data-single-off" in english_off and "data-single-off" not in english_on
    assert "Keyboard shortcuts" in english_on and "Keyboard shortcuts" not in russian_on
    assert len(web_tags._dialogs) == 3
