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
