"""Charts as server-rendered SVG with pygal, so every chart is markup the page inlines (no canvas code of ours).

pygal adds a script for its hover tooltips; the Content-Security-Policy allows no inline script, so it is taken
out: each bar keeps its value as pygal's text, and every chart sits beside the table of the figures it draws.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#334155",
    foreground_strong="#0f172a",
    foreground_subtle="#94a3b8",
    colors=("#2563eb",),
    font_family="system-ui, sans-serif",
)


def bar_chart_svg(
    *, title: str, labels: Sequence[str], values: Sequence[float], series: str, label_every: int = 1
) -> SafeString:
    """One bar series as inline SVG, titled for assistive technology; `label_every` thins the x labels (168 hours
    read as a week of days)."""
    chart = pygal.Bar(
        js=(),
        disable_xml_declaration=True,
        show_legend=False,
        explicit_size=False,
        width=900,
        height=260,
        style=_STYLE,
        x_label_rotation=0,
        show_minor_x_labels=False,
        truncate_label=-1,
        print_values=False,
        spacing=2,
        margin=8,
    )
    chart.title = title
    chart.x_labels = list(labels)
    chart.x_labels_major = list(labels[::label_every])
    chart.add(series, [round(v, 2) for v in values])
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    return mark_safe(svg)  # noqa: S308 - pygal escapes the title, labels and values it writes


_MULTI = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#334155",
    foreground_strong="#0f172a",
    foreground_subtle="#94a3b8",
    colors=("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c"),
    font_family="system-ui, sans-serif",
)


def line_chart_svg(
    *, title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], label_every: int = 1
) -> SafeString:
    """One or more line series as inline SVG (a gap where a value is None), with a legend when there are several."""
    chart = pygal.Line(
        js=(),
        disable_xml_declaration=True,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        explicit_size=False,
        width=900,
        height=260,
        style=_MULTI,
        x_label_rotation=0,
        show_minor_x_labels=False,
        truncate_label=-1,
        allow_interruptions=True,
        dots_size=2,
    )
    chart.title = title
    chart.x_labels = list(labels)
    chart.x_labels_major = list(labels[::label_every])
    for name, values in series.items():
        chart.add(name, [None if v is None else round(float(v), 2) for v in values])
    return mark_safe(_SCRIPT.sub("", chart.render(is_unicode=True)))  # noqa: S308 - pygal escapes what it writes


def weekly_lines_svg(
    *, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | Decimal | None]]]
) -> SafeString:
    """Several series over the same x labels (weeks) as inline SVG lines, with a legend; None leaves a gap (a
    week without data), so a missing figure is not drawn as zero."""
    chart = pygal.Line(
        js=(),
        disable_xml_declaration=True,
        show_legend=True,
        legend_at_bottom=True,
        explicit_size=False,
        width=900,
        height=280,
        style=Style(**{**_STYLE.to_dict(), "colors": ("#2563eb", "#16a34a", "#dc2626", "#9333ea")}),
        x_label_rotation=0,
        truncate_label=-1,
        allow_interruptions=True,
        range=(0, 100),
        margin=8,
    )
    chart.title = title
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, [None if v is None else round(float(v), 1) for v in values])
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    return mark_safe(svg)  # noqa: S308 - pygal escapes the title, labels and values it writes
