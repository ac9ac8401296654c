"""The form renderer: Django's Jinja2 widget templates first, the Django template engine for the rest.

The ticket page has a dozen pickers; rendering their widgets through the Django template engine took 8 of its
35 ms at 1,000,000 tickets (benchmarks/RESULTS.md), and Django ships a Jinja2 copy of every built-in widget and
form template that renders the same HTML several times faster. The admin's own widgets (raw id, related-object
wrappers) exist only as Django templates, so a name Jinja2 does not know is looked up there.
"""

from __future__ import annotations

from functools import cached_property

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template.exceptions import TemplateDoesNotExist


class JinjaFirstRenderer(BaseRenderer):
    @cached_property
    def _jinja2(self) -> Jinja2:
        return Jinja2()

    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str):
        try:
            return self._jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
