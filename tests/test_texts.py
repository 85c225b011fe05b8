"""The back end's texts (tending.texts) in French: the catalogue is complete and compiled, the CLI speaks the
reader's language (TENDING_LANGUAGE, else the locale), and a French page shows a refusal in French."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tending.errors import BadInputError, UsageError
from tending.texts import LOCALE_DIR, T_, Text, cli_language
from tests.conftest import CliResult

ROOT = Path(__file__).resolve().parents[1]
PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "tending.po"
MO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "tending.mo"


def source_texts() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "src" / "tending"), [("**.py", "python")], keywords={"T_": None}
    ):
        assert isinstance(message, str)  # T_ takes one string, no plural
        found.add(message)
    return found


def test_every_back_end_text_has_a_french_translation_and_the_mo_is_compiled() -> None:
    with PO.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(source_texts() - set(translated))
    assert not missing, (
        f"texts without French (scripts/update-translations, then fill the .po): {missing}"
    )
    with MO.open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == translated, "the .mo is stale: run scripts/update-translations"


def test_a_refusal_reads_in_english_by_default_and_in_french_on_request() -> None:
    error = UsageError(Text(T_("name: a community named '%(name)s' already exists."), name="Chats"))
    assert str(error) == "name: a community named 'Chats' already exists."
    assert error.in_language("fr") == "nom : une communauté nommée « Chats » existe déjà."
    bad = BadInputError(
        Text(
            T_("'%(date)s' reads only day first; say how the file writes dates (--day-first)."),
            date="25/10/2026",
        ),
        path="groupe.csv",
        line=3,
        field="occurred_at",
    )
    assert str(bad).startswith("groupe.csv, line 3: field 'occurred_at': '25/10/2026' reads only")
    assert bad.in_language("fr") == (
        "groupe.csv, ligne 3 : champ « occurred_at » : « 25/10/2026 » ne se lit que le jour en premier ; "
        "dites comment le fichier écrit les dates (--day-first)."
    )
    assert UsageError("a plain sentence").in_language("fr") == "a plain sentence"


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({"TENDING_LANGUAGE": "fr", "LANG": "en_US.UTF-8"}, "fr"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_cli_speaks_the_readers_language(
    environment: dict[str, str], language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TENDING_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert cli_language() == language


def test_a_french_admin_reads_an_import_refusal_in_french(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "t.db")
    export = tmp_path / "groupe.csv"
    export.write_text(
        "platform;member_id;member_name;kind;occurred_at\nfacebook;1;Ana;joined;25/10/2026\n",
        encoding="utf-8",
    )
    english = run_cli("--db", db, "import", "csv", str(export), "--community", "Chats")
    assert (
        english.exit_code == 1
        and "line 2: field 'occurred_at': '25/10/2026' reads only day first" in (english.stderr)
    )
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    french = run_cli("--db", db, "import", "csv", str(export), "--community", "Chats")
    assert french.stderr.strip() == (
        f"Erreur : {export}, ligne 2 : champ « occurred_at » : « 25/10/2026 » ne se lit que le jour en "
        "premier ; dites comment le fichier écrit les dates (--day-first)."
    )


def test_a_french_admin_reads_the_import_summary_and_its_bad_lines_in_french(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue "a volunteer admin's first week": import counts and errors were English in French."""
    db = str(tmp_path / "t.db")
    export = tmp_path / "groupe.csv"
    export.write_text(
        "platform;member_id;member_name;kind;occurred_at\n"
        "facebook;1;Ana;joined;12/10/2026 18:30\n"
        "facebook;2;;joined;12/10/2026\n"
        "facebook;3;Léa;danse;12/10/2026\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TENDING_LANGUAGE", "fr")
    done = run_cli("--db", db, "import", "csv", str(export), "--community", "Chats", "--skip-bad")
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"Importé : {export} (csv) dans la communauté « Chats » en ")
    assert lines[0].endswith(" s : 1 enregistrements lus.")
    assert lines[1:5] == [
        "  ajoutés : 1 membres, 1 activités, 0 fils, 0 canaux",
        "  inchangés : 0 membres, 0 activités ; mis à jour : 0 membres",
        "  laissés de côté volontairement : aucun",
        "  enregistrements mal formés laissés de côté : 2",
    ]
    assert lines[5:] == [
        f"    {export}, ligne 3 : champ « member_name » : manquant sur la première ligne de ce membre.",
        f"    {export}, ligne 4 : champ « kind » : 'danse' n’est pas un type (utilisez l’un de : "
        "joined, left, post, reply, comment, reaction, member).",
    ]
    as_json = run_cli(
        "--db", db, "import", "csv", str(export), "--community", "Chats", "--skip-bad", "--json"
    )
    assert "line 3: field 'member_name': missing" in as_json.stdout  # JSON stays in English


def test_a_value_that_may_be_personal_is_hidden_in_french_too() -> None:
    from tending.errors import shown_text

    error = BadInputError(
        Text(T_("%(value)s is not true or false."), value=shown_text("Ana Lopez Martin")),
        path="groupe.csv",
        line=4,
        field="is_staff",
    )
    assert error.in_language("fr") == (
        "groupe.csv, ligne 4 : champ « is_staff » : la valeur (non affichée : elle peut être "
        "personnelle) n’est ni vrai ni faux."
    )
    assert str(error).endswith("the value (not shown: it may be personal) is not true or false.")
