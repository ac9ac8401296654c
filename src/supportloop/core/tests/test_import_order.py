"""Imports run downward only: an app imports apps below it in the documented order, never one above it.

The order is docs/architecture.md's ("Apps, lowest first") and INSTALLED_APPS's. Every module of every app is
parsed with `ast`, and every import in it is checked: at module level, inside functions and methods, under
`if TYPE_CHECKING:`, relative or absolute. A tests directory may import anything (a test of a low app may build
its fixtures with a higher app's services). A lower app that must reach higher behaviour exposes a hook or a
registry that the higher app fills from its `AppConfig.ready()` (tickets/hooks.py, core/health.py,
core/schedule.py, the seeding hooks).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

import supportloop

ORDER = [
    "core",
    "accounts",
    "customers",
    "tickets",
    "feedback",
    "mail",
    "automation",
    "surveys",
    "team",
    "quality",
    "analytics",
    "search",
    "privacy",
    "api",
    "web",
    "demo",
]

# Known upward imports still to be removed: (importing module, imported app) -> why it is allowed for now. Keep
# this empty; an entry needs a reason and the issue that removes it.
ALLOWED: dict[tuple[str, str], str] = {}

PACKAGE = Path(supportloop.__file__).parent
ARCHITECTURE = PACKAGE.parent.parent / "docs" / "architecture.md"


def _module_name(path: Path, root: Path) -> str:
    parts = ["supportloop", *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The dotted names one import statement brings in (`from a import b` yields `a.b`, which may be a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:  # relative: resolve against the importing module's package
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = package[: len(package) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    return [f"{target}.{alias.name}" for alias in node.names]


def _app_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    if len(parts) > 1 and parts[0] == "supportloop" and parts[1] in ORDER:
        return parts[1]
    return None


def upward_imports(root: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] not in ORDER or "tests" in rel.parts[1:-1]:
            continue
        app = rel.parts[0]
        module = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for name in _imported(node, module, path.name == "__init__.py"):
                target = _app_of(name)
                if target is None or ORDER.index(target) <= ORDER.index(app):
                    continue
                if (module, target) in ALLOWED:
                    continue
                found.append(f"{rel}:{node.lineno}: {app} imports {target} ({name})")
    return found


def test_no_app_imports_an_app_above_it():
    assert upward_imports() == []


def test_the_order_is_installed_apps_order_and_covers_every_app():
    ours = [name.split(".", 1)[1] for name in settings.INSTALLED_APPS if name.startswith("supportloop.")]
    assert ours == ORDER
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists())
    assert packages == sorted(ORDER)


def test_the_order_is_the_one_documented():
    """docs/architecture.md's table of apps lists them lowest first, in this order, each naming its floor."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    table = text.split("\n## Apps", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| (\d+) \| `(\w+)` \|", table, flags=re.MULTILINE)
    assert [app for _, app in documented] == ORDER
    assert [int(floor) for floor, _ in documented] == list(range(len(ORDER)))


def test_the_checker_sees_every_kind_of_import(tmp_path):
    """The parser itself: a lazy import in a function, a relative import and `from supportloop import x` count."""
    tickets = tmp_path / "tickets"
    (tickets / "tests").mkdir(parents=True)
    (tickets / "__init__.py").write_text("")
    (tickets / "a.py").write_text("import supportloop.core.errors\nfrom supportloop.accounts import models\n")
    (tickets / "b.py").write_text("def f():\n    from supportloop.mail.models import Mailbox\n")
    (tickets / "c.py").write_text("from supportloop import web\n")
    (tickets / "d.py").write_text("from ..api import urls\n")
    (tickets / "tests" / "test_x.py").write_text("from supportloop.web import views\n")
    found = upward_imports(tmp_path)
    assert [line.split(":")[0] for line in found] == ["tickets/b.py", "tickets/c.py", "tickets/d.py"]
