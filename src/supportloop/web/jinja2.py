"""The Jinja2 environment for the hot inbox rows: Django's gettext and nothing else (no per-row URL reversing)."""

from typing import Any

from django.utils import translation
from jinja2 import Environment


def environment(**options: Any) -> Environment:
    # The rows are HTML filled with customers' text: autoescape always (Django's backend passes True by default;
    # web/views/inbox.py marks the rendered rows safe on the strength of it).
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.install_gettext_translations(translation, newstyle=True)  # type: ignore[attr-defined]
    return env
