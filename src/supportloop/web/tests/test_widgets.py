"""QuickSelect writes the HTML Django's Select template writes, for every kind of option."""

from __future__ import annotations

from html.parser import HTMLParser

from django import forms

from supportloop.web.widgets import (
    QuickHiddenInput,
    QuickNumberInput,
    QuickSelect,
    QuickTextarea,
    QuickTextInput,
)

CHOICES = [
    ("", "None"),
    ("a", "Plain"),
    ("b", 'Quotes " & <angle>'),
    ("Group", [("g1", "In a group"), ("g2", "Другой 选项")]),
]


def _normalised(html: str) -> list[tuple]:
    """The elements, their attributes (as a browser reads them: unescaped, in any order) and their text."""

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[tuple] = []

        def handle_starttag(self, tag, attrs):
            self.seen.append(("start", tag, sorted((k, v or "") for k, v in attrs)))

        def handle_endtag(self, tag):
            self.seen.append(("end", tag))

        def handle_data(self, data):
            if data.strip():
                self.seen.append(("text", data.strip()))

    reader = Reader()
    reader.feed(html)
    return reader.seen


def test_quick_select_writes_what_the_select_template_writes():
    for value in ("", "b", "g2", None):
        attrs = {"id": "id_pick", "aria-keyshortcuts": "s", "required": True, "data-x": 'a"b'}
        slow = forms.Select(choices=CHOICES).render("pick", value, attrs=attrs)
        quick = QuickSelect(choices=CHOICES).render("pick", value, attrs=attrs)
        assert _normalised(quick) == _normalised(slow), value
    assert "&lt;angle&gt;" in quick and "<angle>" not in quick


def test_quick_select_marks_the_bound_value_selected_in_a_form():
    class Pick(forms.Form):
        pick = forms.ChoiceField(choices=CHOICES, widget=QuickSelect)

    html = str(Pick(initial={"pick": "g1"})["pick"])
    assert '<option value="g1" selected>In a group</option>' in html
    assert html.count(" selected") == 1


def test_quick_inputs_and_textarea_write_what_the_templates_write():
    attrs = {"id": "id_f", "required": True, "disabled": False, "data-x": 'a"b <c>', "rows": 3, "maxlength": None}
    pairs = [
        (forms.TextInput(), QuickTextInput()),
        (forms.NumberInput(), QuickNumberInput()),
        (forms.HiddenInput(attrs={"data-quote-message": "1"}), QuickHiddenInput(attrs={"data-quote-message": "1"})),
        (forms.Textarea(attrs={"rows": 6}), QuickTextarea(attrs={"rows": 6})),
    ]
    for slow, quick in pairs:
        for value in ("", None, 0, 42, 'Quotes " & <b>bold</b>', "Другой 选项\nline two"):
            quick_html, slow_html = quick.render("f", value, attrs=attrs), slow.render("f", value, attrs=attrs)
            assert _normalised(quick_html) == _normalised(slow_html), (slow, value)
            assert quick_html.count("\n") == slow_html.count("\n")  # a textarea's leading newline too
    assert "&lt;b&gt;" in QuickTextarea().render("f", "<b>x</b>") and "<b>" not in QuickTextarea().render("f", "<b>")
