"""The OpenAPI document: reachable, complete, unambiguous, and honest about the problem format."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from supportloop.api.urls import api


def test_openapi_and_docs_are_served(client, db):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["info"]["title"] == "supportloop API"
    assert "/api/v1/changes" in doc["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_schema_class_names_are_unique_so_components_cannot_collide():
    """Ninja names OpenAPI components by class name: two classes with one name silently share a schema."""
    api.get_openapi_schema(path_prefix="/api/v1/")
    modules: dict[str, set[str]] = defaultdict(set)

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("supportloop."):
                modules[sub.__name__].add(f"{sub.__module__}.{sub.__qualname__}")
            walk(sub)

    walk(Schema)
    assert {name: where for name, where in modules.items() if len(where) > 1} == {}


def test_every_operation_documents_problems_as_problem_json():
    doc = api.get_openapi_schema(path_prefix="/api/v1/")
    operation_ids = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            responses = {str(code): response for code, response in operation["responses"].items()}
            if operation.get("security"):
                assert {"401", "403", "422", "429"} <= set(responses), (method, path)
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (method, path, code)
    assert len(operation_ids) == len(set(operation_ids))


def test_operation_ids_are_short_stable_snake_case_without_module_paths():
    """Generated clients name their functions after operationId: `tickets_list`, not
    `supportloop_api_routers_tickets_ticket_list`. Each is given explicitly, so renaming a view changes nothing."""
    import re

    doc = api.get_openapi_schema(path_prefix="/api/v1/")
    ids = {
        (method.upper(), path): operation["operationId"]
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
    }
    assert len(ids) > 70
    bad = {key: oid for key, oid in ids.items() if not re.fullmatch(r"[a-z]+(_[a-z]+){0,3}", oid) or len(oid) > 30}
    assert bad == {}
    assert not [oid for oid in ids.values() if "supportloop" in oid or "routers" in oid or "api" in oid.split("_")]
    assert len(set(ids.values())) == len(ids)
    assert ids[("GET", "/api/v1/tickets")] == "tickets_list"
    assert ids[("GET", "/api/v1/tickets/{number}")] == "ticket_get"
    assert ids[("POST", "/api/v1/tickets/{number}/replies")] == "ticket_reply"
    assert ids[("GET", "/api/v1/feedback/items")] == "items_list"
    assert ids[("GET", "/api/v1/feedback/ranking")] == "ranking_list"


def test_attachment_download_declares_a_binary_body():
    doc = api.get_openapi_schema(path_prefix="/api/v1/")
    ok = doc["paths"]["/api/v1/tickets/{number}/attachments/{attachment_id}"]["get"]["responses"]["200"]
    assert ok["content"] == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
