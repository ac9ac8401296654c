"""Issue 12: the focus ring reaches 3:1 against every background it appears on (first 40 tab stops of the inbox and
the ticket page, light and dark), and the dark theme keeps text at 4.5:1 (3:1 for large text)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLOUR_JS = """
window.__contrast = (() => {
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c || '');
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const all = (c) => (String(c || '').match(/rgba?\\([^)]+\\)/g) || []).map(parse);
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  // The colour painted behind an element: its own background and its ancestors', composited over the page.
  const background = (el) => {
    const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let base = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i], base);
    return base;
  };
  const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  return {parse, all, ratio, background, hex, over};
})();
"""

FOCUSED = """() => {
  const {all, parse, ratio, background, hex} = window.__contrast;
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = [parse(style.outlineColor), ...all(style.boxShadow)].filter((c) => c && c[3] > 0);
  const box = el.getBoundingClientRect();
  // What surrounds the ring: the element's own background (inside) and what is painted just outside it.
  const grounds = [['inside', background(el)]];
  const outside = [[box.left - 10, box.top + box.height / 2], [box.right + 10, box.top + box.height / 2],
                   [box.left + box.width / 2, box.top - 10], [box.left + box.width / 2, box.bottom + 10]];
  for (const [x, y] of outside) {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    const under = document.elementsFromPoint(x, y).find((n) => n !== el && !el.contains(n));
    if (under) grounds.push(['outside', background(under)]);
  }
  if (el.parentElement) grounds.push(['parent', background(el.parentElement)]);
  const worst = grounds
    .map(([where, bg]) => ({where, bg: hex(bg), best: Math.max(0, ...ring.map((c) => ratio(c, bg)))}))
    .sort((a, b) => a.best - b.best)[0];
  return {
    el: el.outerHTML.slice(0, 90), outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
    ring: ring.map(hex), worst,
  };
}"""


def _tab_through(page, count=40, shots=None):
    """Press Tab `count` times from the top; describe each focused element (a screenshot at the stops in `shots`)."""
    page.evaluate(COLOUR_JS)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops = []
    for n in range(1, count + 1):
        page.keyboard.press("Tab")
        info = page.evaluate(FOCUSED)
        if info:
            stops.append(info)
        if shots and n in shots:
            page.screenshot(path=str(shots[n]))
    return stops


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_reaches_3_to_1_on_the_first_40_tab_stops(browse, demo, scheme, tmp_path):
    page = browse(demo.agent)
    page.emulate_media(color_scheme=scheme)
    problems, seen = [], 0
    for path in ("/", f"/t/{demo.refund_ticket.number}/"):
        page.goto(path)
        name = path.strip("/").replace("/", "-") or "inbox"
        stops = _tab_through(page, shots={n: tmp_path / f"focus-{scheme}-{name}-{n}.png" for n in (3, 12, 20)})
        assert len(stops) >= 30, (path, len(stops))
        seen += len(stops)
        problems.extend(
            (path, stop)
            for stop in stops
            if stop["outline"] == "none" or stop["width"] < 2 or stop["worst"]["best"] < 3
        )
    assert problems == [], problems[:5]
    assert seen >= 60


TEXT_JS = """(limit) => {
  const {parse, ratio, background, hex, over} = window.__contrast;
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.checkVisibility || !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2 || el.closest('.sr-only, .skip, option')) continue;
    const style = getComputedStyle(el);
    const bg = background(el);
    let fg = parse(style.color);
    if (fg[3] < 1) fg = over(fg, bg);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const got = ratio(fg, bg);
    checked++;
    if (got < need) bad.push({text: el.textContent.trim().slice(0, 40), fg: hex(fg), bg: hex(bg), got: got.toFixed(2)});
    if (bad.length >= limit) break;
  }
  return {checked, bad};
}"""


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_text_keeps_4_5_to_1_in_the_dark_and_light_themes(browse, demo, scheme, tmp_path):
    from supportloop.feedback.services import evidence_add, feedback_item_create
    from supportloop.tickets.services import ticket_add_note

    item = feedback_item_create(kind="feature_request", title="Export all invoices as PDF", actor=demo.pm)
    evidence_add(item=item, actor=demo.agent, ticket=demo.refund_ticket, quote="all invoices as PDF")
    ticket_add_note(ticket=demo.refund_ticket, actor=demo.agent, body="Checked Stripe: charged twice.")
    page = browse(demo.agent)
    page.emulate_media(color_scheme=scheme)
    for path in ("/", f"/t/{demo.refund_ticket.number}/", f"/feedback/{item.pk}/", "/feedback/", "/account/"):
        page.goto(path)
        page.evaluate(COLOUR_JS)
        result = page.evaluate(TEXT_JS, 20)
        assert result["checked"] > 20, path
        assert result["bad"] == [], (path, result["bad"])
        page.screenshot(
            path=str(tmp_path / f"{scheme}-{path.strip('/').replace('/', '-') or 'inbox'}.png"), full_page=True
        )
    # The key pairs, named: body text on the page, muted text on a panel, a link, a button, an internal note.
    page.goto(f"/t/{demo.refund_ticket.number}/")
    page.evaluate(COLOUR_JS)
    pairs = page.evaluate(
        """() => {
        const {parse, ratio, background} = window.__contrast;
        const pair = (sel) => {
            const el = document.querySelector(sel);
            return ratio(parse(getComputedStyle(el).color), background(el));
        };
        return {body: pair('h1'), muted: pair('.panel .muted, .muted'), link: pair('aside .panel a'),
                button: pair('button[data-send]'), note: pair('.thread .msg.note .body'), field: pair('#id_body')};
    }"""
    )
    assert all(v >= 4.5 for v in pairs.values()), pairs
    if scheme == "dark":
        bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert bg == "rgb(15, 20, 28)", bg  # the dark theme is on
        expect(page.locator("body")).to_be_visible()
