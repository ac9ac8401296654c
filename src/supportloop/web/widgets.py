"""Form widgets the hot pages render many of."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


class QuickSelect(forms.Select):
    """A select written out in Python: the same HTML as Django's template (web/tests/test_widgets.py compares
    them), without a template render per option, nor the per-option dicts of Select.get_context. The ticket page
    has seven pickers and about seventy options."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        selected = set(self.format_value(value))
        parts: list[str] = [f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>']
        chosen = False

        def option(option_value: Any, label: Any) -> str:
            nonlocal chosen
            text = "" if option_value is None else str(option_value)
            mark = ""
            if text in selected and not chosen:  # as Select: only the first match of a single select
                mark, chosen = " selected", True
            return f'<option value="{escape(text)}"{mark}>{escape(label)}</option>'

        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                parts.append(f'<optgroup label="{escape(option_value)}">')
                parts.extend(option(v, sub_label) for v, sub_label in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(option_value, label))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - the name, attributes, values and labels are escaped above
