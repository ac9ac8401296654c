"""Fill the Chinese (zh_Hans) and Russian (ru) catalogues from catalog_a.py / catalog_b.py.

Run after `supportloop makemessages -l zh_Hans -l ru -l en -e html,txt,jinja,py` (from src/supportloop):
    python src/supportloop/locale/catalog.py        # fills msgstr, lists any msgid still untranslated
English needs no msgstr: the source strings are English.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from catalog_a import T as A  # noqa: E402
from catalog_b import P  # noqa: E402
from catalog_b import T as B  # noqa: E402

SINGLE = {**A, **B}
LANGS = {
    "zh_Hans": (0, "nplurals=1; plural=0;"),
    "ru": (1, "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"),
}


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def parse_block(lines: list[str]) -> dict:
    fields: dict[str, str] = {}
    key = None
    for line in lines:
        for name in ("msgctxt", "msgid_plural", "msgid"):
            if line.startswith(name + " "):
                key = name
                fields[key] = ast.literal_eval(line[len(name) + 1 :])
                break
        else:
            if line.startswith("msgstr"):
                key = None
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
    return fields


def fill(lang: str) -> list[str]:
    index, plural_forms = LANGS[lang]
    path = HERE / lang / "LC_MESSAGES" / "django.po"
    blocks = [b.strip("\n") for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    missing, out = [], []
    for block in blocks:
        lines = block.split("\n")
        fields = parse_block(lines)
        msgid = fields.get("msgid")
        head = [
            ln for ln in lines if not ln.startswith("msgstr") and not (ln.startswith('"') and _after_msgstr(lines, ln))
        ]
        head = [ln.replace("#, fuzzy, ", "#, ").replace("#, fuzzy", "#") for ln in head if ln != "#"]
        if msgid is None:
            out.append(block)
            continue
        if msgid == "":  # the header
            out.append(_header(block, lang, plural_forms))
            continue
        if "msgid_plural" in fields:
            forms = P.get(msgid)
            if forms is None:
                missing.append(msgid)
                out.append(block)
                continue
            strs = forms[index]
            body = [f"msgstr[{i}] {quote(s)}" for i, s in enumerate(strs)]
        else:
            pair = SINGLE.get(msgid)
            if pair is None:
                missing.append(msgid)
                out.append(block)
                continue
            body = [f"msgstr {quote(pair[index])}"]
        out.append("\n".join(head + body))
    path.write_text("\n\n".join(out) + "\n", encoding="utf-8")
    return missing


def _after_msgstr(lines: list[str], target: str) -> bool:
    seen = False
    for ln in lines:
        if ln.startswith("msgstr"):
            seen = True
        elif ln.startswith(("msgid", "msgctxt")):
            seen = False
        if ln is target:
            return seen
    return False


def _header(block: str, lang: str, plural_forms: str) -> str:
    """A fresh header: the comment, then the fields gettext needs (makemessages' defaults are placeholders)."""
    created = next((ln for ln in block.split("\n") if ln.startswith('"POT-Creation-Date: ')), "")
    return "\n".join(
        [
            f"# supportloop interface strings ({lang}). Filled by src/supportloop/locale/catalog.py.",
            'msgid ""',
            'msgstr ""',
            '"Project-Id-Version: supportloop\\n"',
            created,
            '"Last-Translator: supportloop web team\\n"',
            '"Language-Team: supportloop\\n"',
            f'"Language: {lang}\\n"',
            '"MIME-Version: 1.0\\n"',
            '"Content-Type: text/plain; charset=UTF-8\\n"',
            '"Content-Transfer-Encoding: 8bit\\n"',
            f'"Plural-Forms: {plural_forms}\\n"',
        ]
    )


if __name__ == "__main__":
    status = 0
    for lang in LANGS:
        missing = fill(lang)
        if missing:
            status = 1
            print(f"{lang}: {len(missing)} untranslated")
            for m in missing:
                print("   ", repr(m))
    sys.exit(status)
