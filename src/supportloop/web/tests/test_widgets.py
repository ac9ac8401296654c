"""QuickSelect writes the HTML Django's Select template writes, for every kind of option."""

from __future__ import annotations

from html.parser import HTMLParser

from django import forms

from supportloop.web.widgets import QuickSelect

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
