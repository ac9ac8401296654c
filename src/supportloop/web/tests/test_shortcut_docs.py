"""docs/web.md lists every shortcut the "?" dialog shows (issue 12): the two stay in step."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
DIALOG = ROOT / "src/supportloop/web/templates/web/partials/shortcuts.html"
DOCS = ROOT / "docs/web.md"


def test_docs_list_every_key_of_the_shortcuts_dialog():
    keys = set(re.findall(r"<kbd>([^<]+)</kbd>", DIALOG.read_text()))
    section = DOCS.read_text().split("## Keyboard", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([^`]+)`", section))
    assert len(keys) >= 15
    assert keys - documented == set()
    # and every key handled in app.js by physical position is in the dialog
    codes = re.search(r"var CODES = \{([^}]+)\}", (ROOT / "src/supportloop/web/static/web/app.js").read_text())
    bound = set(re.findall(r':\s*"([^"]+)"', codes.group(1)))
    assert bound - keys == set()
