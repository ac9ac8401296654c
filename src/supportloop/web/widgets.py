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


def _attributes(attrs: dict[str, Any]) -> str:
    """Django's attrs.html: True prints the bare name, False nothing, anything else name="value" (escaped)."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickInputMixin:
    """An input written out in Python: the HTML of Django's input.html (web/tests/test_widgets.py compares them)
    without a template render; the ticket page has about a dozen text, number and hidden inputs."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = "" if widget["value"] is None else f' value="{escape(widget["value"])}"'
        html = f'<input type="{escape(widget["type"])}" name="{escape(name)}"{shown}{_attributes(widget["attrs"])}>'
        return mark_safe(html)  # noqa: S308 - the type, name, value and attributes are escaped above


class QuickTextInput(QuickInputMixin, forms.TextInput):
    pass


class QuickNumberInput(QuickInputMixin, forms.NumberInput):
    pass


class QuickHiddenInput(QuickInputMixin, forms.HiddenInput):
    pass


class QuickTextarea(forms.Textarea):
    """A textarea written out in Python: the HTML of Django's textarea.html, without a template render."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        text = escape(widget["value"]) if widget["value"] else ""
        html = f'<textarea name="{escape(name)}"{_attributes(widget["attrs"])}>\n{text}</textarea>'
        return mark_safe(html)  # noqa: S308 - the name, attributes and text are escaped above
