"""The shipped catalogues translate every interface string and keep every placeholder."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{ *[\w.]+ *\}\}")


def entries(lang: str) -> list[dict]:
    """(msgid, msgid_plural, [msgstr...]) of every entry but the header."""
    path = Path(settings.LOCALE_PATHS[0]) / lang / "LC_MESSAGES" / "django.po"
    out = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            out.append(
                {
                    "id": fields["msgid"],
                    "plural": fields.get("msgid_plural"),
                    "strs": [v for k, v in sorted(fields.items()) if k.startswith("msgstr")],
                }
            )
    return out


@pytest.mark.parametrize("lang", ["zh_Hans", "ru"])
def test_every_string_has_a_translation_with_the_same_placeholders(lang):
    found = entries(lang)
    assert len(found) > 400
    for entry in found:
        assert entry["strs"] and all(entry["strs"]), entry
        source = set(PLACEHOLDER.findall(entry["id"] + (entry["plural"] or "")))
        for target in entry["strs"]:
            assert set(PLACEHOLDER.findall(target)) == source, entry


def test_russian_plurals_have_three_forms_and_chinese_one():
    ru = [e for e in entries("ru") if e["plural"]]
    zh = [e for e in entries("zh_Hans") if e["plural"]]
    assert ru and all(len(e["strs"]) == 3 for e in ru)
    assert zh and all(len(e["strs"]) == 1 for e in zh)
