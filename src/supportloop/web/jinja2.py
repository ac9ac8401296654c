"""The Jinja2 environment for the hot inbox rows: Django's gettext and nothing else (no per-row URL reversing)."""

from django.utils import translation
from jinja2 import Environment


def environment(**options) -> Environment:
    env = Environment(**options)
    env.install_gettext_translations(translation, newstyle=True)  # type: ignore[attr-defined]
    return env
