"""The French catalog is complete and its compiled .mo matches the .po (both are committed)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tending.web.i18n import LOCALE_DIR, Translator, pick_language

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po"
MO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.mo"


def source_messages() -> set[object]:
    method_map = [
        ("src/tending/web/**.py", "python"),
        ("src/tending/web/templates/**.html", "jinja2"),
    ]
    options = {
        "src/tending/web/templates/**.html": {
            "extensions": "jinja2.ext.i18n",
            "trim_blocks": "true",
            "lstrip_blocks": "true",
        }
    }
    found: set[object] = set()
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map=options, keywords=keywords
    ):
        found.add(message)
    return found


def test_every_string_of_the_interface_has_a_french_translation() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {
        m.id
        for m in catalog
        if m.id
        and m.string
        and "fuzzy" not in m.flags
        and (isinstance(m.string, str) or all(m.string))
    }
    missing = {m for m in source_messages() if m not in translated}
    assert not missing, (
        f"untranslated (run pybabel extract/update, translate, compile): {sorted(map(str, missing))}"
    )


def test_the_compiled_catalog_is_up_to_date() -> None:
    with PO.open("rb") as handle:
        po = read_po(handle, locale="fr")
    with MO.open("rb") as handle:
        mo = read_mo(handle)

    def key(value: object) -> object:
        return value if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]

    expected = {key(m.id): key(m.string) for m in po if m.id and "fuzzy" not in m.flags}
    compiled = {key(m.id): key(m.string) for m in mo if m.id}
    assert compiled == expected, "run: uv run pybabel compile -d src/tending/web/locale"


def test_translators_fall_back_to_english() -> None:
    assert Translator("fr")("Members") == "Membres"
    assert Translator("en")("Members") == "Members"
    assert Translator("fr").plural("%(num)s member", "%(num)s members", 2) == "2 membres"
    assert pick_language("fr-CA,fr;q=0.9,en;q=0.8") == "fr"
    assert pick_language("de-DE,de;q=0.9") == "en"
    assert pick_language(None) == "en"
