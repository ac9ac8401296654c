"""Role-matrix rows for the feedback API (merged into api/tests/role_matrix_cases.all_cases()).

Each url/body builder creates fresh objects when the request consumes them (delete, merge, status), because
the role-matrix test sends the same case once per allowed role.
"""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case, World

BUG = dict(
    version="2.5",
    environment_browser="Chrome",
    environment_os="Windows",
    environment_device="Desktop",
    environment_plan="pro",
    severity="minor",
    frequency="often",
    steps="Click",
    expected="File",
    actual="Nothing",
)


def _item(w: World, **kwargs):
    from supportloop.feedback.services import evidence_add, feedback_item_create

    item = feedback_item_create(kind="feature_request", title=f"Item {w.n()}", actor=w.admin, **kwargs)
    evidence_add(item=item, actor=w.admin, ticket=w.ticket)
    return item


def _setup(w: World) -> None:
    w.extra["item"] = _item(w, is_public=True)


def _fresh(w: World) -> str:
    w.extra["fresh"] = _item(w)
    return f"feedback/items/{w.extra['fresh'].pk}"


def _evidence_url(w: World) -> str:
    from supportloop.feedback.services import evidence_add

    evidence = evidence_add(item=w.extra["item"], actor=w.admin, source="Call", contact=w.contact)
    return f"feedback/evidence/{evidence.pk}"


def _link_url(w: World) -> str:
    from supportloop.feedback.services import engineering_link_add

    link = engineering_link_add(item=w.extra["item"], url=f"https://github.com/a/b/issues/{w.n()}", actor=w.admin)
    return f"feedback/links/{link.pk}"


def _i(w: World) -> str:
    return f"feedback/items/{w.extra['item'].pk}"


def _gave_up(w: World) -> str:
    """A fresh item whose notice to the world's contact gave up, for the retry to queue again."""
    from supportloop.feedback.models import ClosingNotice

    item = _item(w)
    ClosingNotice.objects.create(
        item=item,
        contact=w.contact,
        kind="shipped",
        status="failed",
        attempts=5,
        email="li@acme.example",
        error="SMTPServerDisconnected",
    )
    return f"feedback/items/{item.pk}/notices/retry"


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/feedback/ranking"): Case("feedback.view", lambda w: "feedback/ranking", setup=_setup),
    ("GET", "/api/v1/feedback/items"): Case("feedback.view", lambda w: "feedback/items", setup=_setup),
    ("POST", "/api/v1/feedback/items"): Case(
        "feedback.create", lambda w: "feedback/items", body=lambda w: {"title": f"Idea {w.n()}"}, status=201
    ),
    ("GET", "/api/v1/feedback/items/{item_id}"): Case("feedback.view", _i, setup=_setup),
    ("PATCH", "/api/v1/feedback/items/{item_id}"): Case(
        "feedback.manage", _i, body=lambda w: {"title": f"Renamed {w.n()}"}, setup=_setup
    ),
    ("DELETE", "/api/v1/feedback/items/{item_id}"): Case("feedback.manage", _fresh, status=204),
    ("POST", "/api/v1/feedback/items/{item_id}/status"): Case(
        "feedback.manage", lambda w: f"{_fresh(w)}/status", body=lambda w: {"status": "planned"}
    ),
    ("GET", "/api/v1/feedback/items/{item_id}/notify-preview"): Case(
        "feedback.manage", lambda w: f"{_i(w)}/notify-preview", setup=_setup
    ),
    ("GET", "/api/v1/feedback/items/{item_id}/notices"): Case(
        "feedback.view", lambda w: f"{_i(w)}/notices", setup=_setup
    ),
    ("POST", "/api/v1/feedback/items/{item_id}/notices/retry"): Case(
        "feedback.manage", _gave_up, body=lambda w: {}, status=202
    ),
    ("POST", "/api/v1/feedback/items/{item_id}/merge"): Case(
        "feedback.manage",
        lambda w: f"{_fresh(w)}/merge",
        setup=_setup,
        body=lambda w: {"target_id": w.extra["item"].pk},
    ),
    ("POST", "/api/v1/feedback/items/{item_id}/links"): Case(
        "feedback.manage",
        lambda w: f"{_i(w)}/links",
        setup=_setup,
        status=201,
        body=lambda w: {"url": f"https://linear.app/x/issue/X-{w.n()}"},
    ),
    ("DELETE", "/api/v1/feedback/links/{link_id}"): Case("feedback.manage", _link_url, setup=_setup, status=204),
    ("GET", "/api/v1/feedback/items/{item_id}/requesters.csv"): Case(
        "feedback.export", lambda w: f"{_i(w)}/requesters.csv", setup=_setup
    ),
    ("GET", "/api/v1/feedback/items/{item_id}/evidence"): Case(
        "feedback.view", lambda w: f"{_i(w)}/evidence", setup=_setup
    ),
    ("POST", "/api/v1/feedback/items/{item_id}/evidence"): Case(
        "feedback.evidence",
        lambda w: f"{_i(w)}/evidence",
        setup=_setup,
        status=201,
        body=lambda w: {"source": "Sales call", "contact_id": w.contact.pk},
    ),
    ("DELETE", "/api/v1/feedback/evidence/{evidence_id}"): Case(
        "feedback.evidence", _evidence_url, setup=_setup, status=204
    ),
    ("GET", "/api/v1/feedback/bug-picklists"): Case("feedback.view", lambda w: "feedback/bug-picklists"),
    ("POST", "/api/v1/feedback/bugs"): Case(
        "feedback.file_bug",
        lambda w: "feedback/bugs",
        status=201,
        body=lambda w: {
            "title": f"Bug {w.n()}",
            "ticket_number": w.ticket.number,
            "product_feature": w.feature.slug,
            **BUG,
        },
    ),
    ("GET", "/api/v1/feedback/roadmap"): Case("feedback.view", lambda w: "feedback/roadmap", setup=_setup),
    ("GET", "/api/v1/feedback/public/roadmap"): Case(
        None, lambda w: "feedback/public/roadmap", public=True, setup=_setup
    ),
    ("GET", "/api/v1/feedback/digest"): Case("feedback.view", lambda w: "feedback/digest"),
    ("POST", "/api/v1/feedback/digest/send"): Case("feedback.manage", lambda w: "feedback/digest/send", status=202),
    ("GET", "/api/v1/feedback/settings"): Case("feedback.view", lambda w: "feedback/settings"),
    ("PATCH", "/api/v1/feedback/settings"): Case(
        "feedback.configure", lambda w: "feedback/settings", body=lambda w: {"w_trend": 1.5}
    ),
    ("GET", "/api/v1/feedback/reports/tag-quality"): Case(
        "report.view", lambda w: "feedback/reports/tag-quality?since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z"
    ),
}
