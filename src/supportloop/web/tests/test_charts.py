"""Charts are pygal's SVG, inlined: one bar per value, the title and labels escaped, no script (the page's CSP
allows none inline)."""

from __future__ import annotations

import re

from supportloop.web.charts import bar_chart_svg


def test_a_bar_chart_is_inline_svg_with_a_bar_per_value_and_no_script():
    svg = bar_chart_svg(
        title="Tickets <per> hour & day",
        labels=["Mon 09:00", "Mon 10:00", "Пн 11:00", "周一 12:00"],
        values=[1.5, 0.0, 4.25, 2.0],
        series="Expected",
        label_every=2,
    )
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<script" not in svg.lower()
    assert "Tickets &lt;per&gt; hour &amp; day" in svg and "<per>" not in svg
    assert len(re.findall(r'<rect[^>]*class="rect reactive', svg)) == 4
    assert "Пн 11:00" in svg or "Mon 09:00" in svg  # the major labels are written out
