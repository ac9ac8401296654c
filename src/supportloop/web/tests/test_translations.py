"""The .po files are the source of truth (docs/translations.md): complete in Chinese and Russian, every placeholder
kept, and up to date with the code, i.e. `make messages` would not add or drop a msgid."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.test import override_settings

LOCALE = Path(settings.LOCALE_PATHS[0])
PACKAGE = LOCALE.parent  # src/supportloop: where `make messages` runs makemessages
MAKEFILE = PACKAGE.parent.parent / "Makefile"
NPLURALS = {"zh_Hans": 1, "ru": 3}  # the translated languages; English msgids are the source text
LANGUAGES = [*NPLURALS, "en"]

# Python's %-format (`%(name)s`, `%d`; the space flag is left out so that "100% sure" is text), str.format
# (`{name}`, `{0}`, `{}`, `{user.name}`, `{n:>3}`) and the template variables that macros and auto-replies show
# (`{{ ticket.number }}`): a translation must keep every one, or formatting fails or shows the wrong value.
PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0+-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{(?P<name>[A-Za-z_]\w*|\d*)(?:\.\w+|\[\w+\])*(?:![rsa])?(?::[^{}]*)?\}")
TEMPLATE_VARIABLE = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")


def placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(named placeholders, positional placeholders in order): a translation may reorder only named ones."""
    named: set[str] = {"{{" + name + "}}" for name in TEMPLATE_VARIABLE.findall(text)}
    positional: list[str] = []
    rest = TEMPLATE_VARIABLE.sub("", text)
    for match in PERCENT.finditer(rest):
        if match.group() != "%%":
            (named.add if match.group("name") is not None else positional.append)(match.group())
    for match in BRACE.finditer(rest.replace("{{", "").replace("}}", "")):
        name = match.group("name")
        (named.add if name and not name.isdigit() else positional.append)(match.group())
    return frozenset(named), tuple(positional)


def placeholder_mismatches(catalogue: polib.POFile) -> list[str]:
    found = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        source = placeholders(entry.msgid_plural or entry.msgid)
        if entry.msgid_plural:
            named = source[0] | placeholders(entry.msgid)[0]
            source = (named, source[1])
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        found.extend(f"{entry.msgid!r} -> {text!r}" for text in translations if text and placeholders(text) != source)
    return found


def catalogue(lang: str, base: Path = LOCALE) -> polib.POFile:
    return polib.pofile(str(base / lang / "LC_MESSAGES" / "django.po"))


def msgids(po: polib.POFile) -> set[tuple[str | None, str, str]]:
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in po if not e.obsolete}


def makemessages_options() -> list[str]:
    """The options of `make messages`, read from the Makefile so that this test runs exactly what it runs."""
    match = re.search(r"^MESSAGES_OPTIONS\s*:?=\s*(.+)$", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"no MESSAGES_OPTIONS line in {MAKEFILE}"
    return shlex.split(match.group(1))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The locale directory as `make messages` would leave it, made in a copy of the package: makemessages writes
    its preprocessed templates beside the sources and rewrites the .po files, neither of which a test may do to
    the working tree."""
    copy = tmp_path_factory.mktemp("makemessages") / "supportloop"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    before = Path.cwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
            call_command("makemessages", *makemessages_options(), verbosity=0)
    finally:
        os.chdir(before)
    return copy / "locale"


STRING_ARGUMENTS = {"_": 1, "gettext": 1, "ngettext": 2, "pgettext": 2, "npgettext": 3}  # (context,) msgid(s)


def jinja_messages() -> set[tuple[str | None, str, str]]:
    """Every message of the .jinja templates as Jinja2's own parser reads them (the i18n extension's extractor:
    `_()`, `gettext()`, `ngettext()`, `pgettext()`, `{% trans %}` blocks), as (msgctxt, msgid, msgid_plural)."""
    env = next(engine.env for engine in engines.all() if isinstance(engine, Jinja2))
    found = set()
    for path in PACKAGE.rglob("*.jinja"):
        if "tests" in path.relative_to(PACKAGE).parts:
            continue
        for _line, function, message in env.extract_translations(path.read_text(encoding="utf-8")):
            arguments = message if isinstance(message, tuple) else (message,)
            literal = arguments[: STRING_ARGUMENTS[function]]
            if len(literal) < STRING_ARGUMENTS[function] or None in literal:
                continue  # `_(variable)`: the text is translated where the variable is made
            context = literal[0] if function.startswith(("pgettext", "npgettext")) else None
            strings = literal[1:] if context is not None else literal
            found.add((context, strings[0], strings[1] if len(strings) > 1 else ""))
    return found


@pytest.mark.parametrize("lang", list(NPLURALS))
def test_every_msgid_is_translated_with_every_plural_form(lang):
    po = catalogue(lang)
    assert len(po) > 400
    assert not po.metadata_is_fuzzy  # msgfmt would drop a fuzzy header, and with it the plural rule
    plural_forms = po.metadata.get("Plural-Forms", "")
    assert f"nplurals={NPLURALS[lang]};" in plural_forms.replace(" ", "")
    untranslated = [e.msgid for e in po if not e.obsolete and not e.translated()]  # empty, or marked fuzzy
    assert not untranslated, f"{lang}: translate these in its django.po (docs/translations.md): {untranslated}"
    plurals = [e for e in po if e.msgid_plural and not e.obsolete]
    assert plurals
    wrong_count = [e.msgid for e in plurals if sorted(e.msgstr_plural) != list(range(NPLURALS[lang]))]
    assert not wrong_count, f"{lang}: plural entries need {NPLURALS[lang]} forms: {wrong_count}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_translation_keeps_the_placeholders_of_its_msgid(lang):
    assert placeholder_mismatches(catalogue(lang)) == []


def test_the_placeholder_check_catches_a_dropped_a_misspelt_and_a_retyped_placeholder():
    po = polib.POFile()
    kept = [
        ("Remove view %(name)s", "Удалить представление %(name)s"),
        ("%(a)s before %(b)s", "%(b)s после %(a)s"),  # named ones may move
        ("Hi {name}", "Привет, {name}"),
        ("Variables: {{ ticket.number }}", "Переменные: {{ticket.number}}"),
        ("100% sure: {...}", "100 % уверен: {...}"),  # text, not placeholders
    ]
    broken = [
        ("Remove view %(name)s", "Удалить представление"),
        ("Role of %(name)s", "Роль %(nmae)s"),
        ("Bug filed as #%(id)d.", "Ошибка №%(id)s."),
        ("Hi {name}", "Привет, {nmae}"),
        ("Placeholders: {{ agent.name }}", "Подстановки: {{ agent }}"),
        ("%s of %d", "%d из %s"),  # positional ones may not
    ]
    for msgid, msgstr in kept + broken:
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    po.append(
        polib.POEntry(
            msgid="%(n)s customer",
            msgid_plural="%(n)s customers",
            msgstr_plural={0: "%(n)s клиент", 1: "%(n)s клиента", 2: "клиентов"},
        )
    )
    expected = [f"{msgid!r} -> {msgstr!r}" for msgid, msgstr in broken] + ["'%(n)s customer' -> 'клиентов'"]
    assert placeholder_mismatches(po) == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogues_hold_every_msgid_of_the_code_and_no_other(lang, extracted):
    fresh, shipped = msgids(catalogue(lang, extracted)), msgids(catalogue(lang))
    assert len(fresh) > 400
    assert sorted(fresh - shipped) == [], f"strings of the code missing from {lang}/django.po: run `make messages`"
    assert sorted(shipped - fresh) == [], f"{lang}/django.po has strings the code no longer uses: `make messages`"


def test_makemessages_finds_every_string_of_the_jinja_templates(extracted):
    """makemessages reads .jinja files as Django templates, which finds `_("literal")` and nothing else: a
    placeholder (`_("%(n)s rows", n=n)`), `ngettext` or a `{% trans %}` block would be left out of the catalogues
    and shown in English. Such text is translated in the view instead (docs/translations.md)."""
    in_templates = jinja_messages()
    assert ("Select ticket" in {msgid for _, msgid, _ in in_templates}) and len(in_templates) >= 3
    missed = sorted(in_templates - msgids(catalogue("ru", extracted)))
    assert missed == [], "makemessages cannot see these: translate them in the view and pass the text in"
