"""Services queue background work by name (core/jobs.py), so no services module imports a tasks module and every
tasks module imports its services at module level: no import circle between the two, and none hidden inside a
function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import supportloop
from supportloop.core import jobs

PACKAGE = Path(supportloop.__file__).parent


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, id(node) in top))
        elif isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
    return found


def _runtime_modules(kind: str) -> list[Path]:
    paths = [p for p in PACKAGE.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]
    if kind == "services":
        return [p for p in paths if "services" in p.parts or p.name == "services.py"]
    return [p for p in paths if p.name == "tasks.py"]


def test_no_services_module_imports_a_tasks_module():
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in _runtime_modules("services")
        for module, _top in _imports(path)
        if module.startswith("supportloop.") and module.split(".")[-1] == "tasks"
    ]
    assert offenders == []


def test_tasks_modules_import_services_at_module_level_only():
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {module} inside a function"
        for path in _runtime_modules("tasks")
        for module, top in _imports(path)
        if module.startswith("supportloop.") and ".services" in module and not top
    ]
    assert offenders == []


def test_every_job_a_service_names_is_registered_by_its_app():
    for name in ("feedback.close_the_loop", "feedback.send_weekly_digest", "mail.autoresponse_send"):
        assert name in jobs._registry


def test_an_unknown_job_is_an_error_not_a_silent_no_op():
    with pytest.raises(LookupError, match=r"no\.such"):
        jobs.job_enqueue("no.such", x=1)
