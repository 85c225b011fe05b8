"""The back end's texts (tending.texts) in French: the catalogue is complete and compiled, the CLI speaks the
reader's language (TENDING_LANGUAGE, else the locale), and a French page shows a refusal in French."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tending.errors import BadInputError, UsageError
from tending.playbooks.describe import describe_conditions, describe_trigger
from tending.playbooks.model import Rule
from tending.texts import LOCALE_DIR, T_, TN_, Text, cli_language
from tests.conftest import CliResult

ROOT = Path(__file__).resolve().parents[1]
PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "tending.po"
MO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "tending.mo"


def source_texts() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "src" / "tending"),
        [("**.py", "python")],
        keywords={"T_": None, "TN_": (1, 2)},
    ):
        assert isinstance(message, str | tuple)  # T_ takes one string, TN_ a singular and a plural
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def test_every_back_end_text_has_a_french_translation_and_the_mo_is_compiled() -> None:
    with PO.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {
        m.id: m.string for m in catalogue if m.id and m.string and all(m.string) and not m.fuzzy
    }
    missing = sorted(source_texts() - set(translated), key=str)
    assert not missing, (
        f"texts without French (scripts/update-translations, then fill the .po): {missing}"
    )
    with MO.open("rb") as handle:
        compiled = {
            tuple(m.id) if isinstance(m.id, list) else m.id: tuple(m.string)
            if isinstance(m.string, list)
            else m.string
            for m in read_mo(handle)
            if m.id
        }
    assert compiled == translated, "the .mo is stale: run scripts/update-translations"


def test_a_refusal_reads_in_english_by_default_and_in_french_on_request() -> None:
    error = UsageError(Text(T_("name: a community named '%(name)s' already exists."), name="Chats"))
    assert str(error) == "name: a community named 'Chats' already exists."
    assert (
        error.in_language("fr")
        == "nom\u00a0: une communauté nommée «\u00a0Chats\u00a0» existe déjà."
    )
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
        "groupe.csv, ligne 3\u00a0: champ «\u00a0occurred_at\u00a0»\u00a0: «\u00a025/10/2026\u00a0» "
        "ne se lit que le jour en premier\u202f; dites comment le fichier écrit les dates (--day-first)."
    )
    assert UsageError("a plain sentence").in_language("fr") == "a plain sentence"


WEB_PO = ROOT / "src" / "tending" / "web" / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
SIGN = r"(?=$|[\s)»\"'<,.])"  # a sign used as punctuation: not a URL's ':', not a time's 18:30
MISPLACED = (  # French typography: what must not be found, with what is required instead
    (
        re.compile(r"(?<!\u202f)[;!?]" + SIGN),
        "a narrow no-break space (U+202F) before ; ! ?",
    ),
    (re.compile(r"(?<!\u00a0):" + SIGN), "a no-break space (U+00A0) before :"),
    (re.compile(r"«(?!\u00a0)|(?<!\u00a0)»"), "a no-break space (U+00A0) inside « »"),
)


@pytest.mark.parametrize("po", [PO, WEB_PO], ids=["back end", "dashboard"])
def test_french_texts_keep_their_signs_with_the_space_before_them(po: Path) -> None:
    """French sets a no-break space before the high signs and inside guillemets: a plain space lets a
    line break before "?" or ":", none at all reads as English typography."""
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    wrong = [
        (text, rule)
        for m in catalogue
        if m.id
        for text in (m.string if isinstance(m.string, tuple) else (str(m.string),))
        for pattern, rule in MISPLACED
        if pattern.search(text)
    ]
    assert not wrong, wrong[:5]


FRENCH_TEMPLATES = sorted(
    (ROOT / "src" / "tending" / "playbooks" / "templates" / "fr").glob("*.j2")
)


@pytest.mark.parametrize("template", FRENCH_TEMPLATES, ids=lambda path: path.name)
def test_the_default_playbooks_french_messages_keep_the_same_typography(template: Path) -> None:
    """The messages members receive follow the catalogues' rule ("Bienvenue sur Chats\u202f!"); only the
    "Subject:" header, which the sender reads, keeps its bare colon."""
    text = template.read_text(encoding="utf-8").removeprefix("Subject:")
    wrong = [(line, rule) for line in text.splitlines() for p, rule in MISPLACED if p.search(line)]
    assert not wrong, wrong[:5]


def _french_of(value: object) -> list[str]:
    """The French strings of the demo's tables: what sits under a "fr" key, however deep."""
    if isinstance(value, dict):
        found = [t for k, v in value.items() if k == "fr" for t in _strings(v)]
        return found + [t for k, v in value.items() if k != "fr" for t in _french_of(v)]
    return []


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _strings(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _strings(v)]
    return []


def test_the_demos_french_texts_keep_the_same_typography() -> None:
    """The demo community is what a French admin reads first: its posts follow the rule too (a run of
    signs, "!!!", takes one space before it)."""
    import tending.demo.texts as demo

    texts = [t for value in vars(demo).values() for t in _french_of(value)]
    assert len(texts) > 100 and "Courage\u202f!" in texts
    runs = re.compile(r"([!?])\1+")
    wrong = [
        (text, rule)
        for text in texts
        for pattern, rule in MISPLACED
        if pattern.search(runs.sub(r"\1", text))
    ]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    ("n", "english", "french"),
    [(0, "0 cells", "0 cellule"), (1, "1 cell", "1 cellule"), (2, "2 cells", "2 cellules")],
)
def test_a_count_takes_the_singular_in_french_for_0_and_1(
    n: int, english: str, french: str
) -> None:
    cells = Text(TN_("%(n)s cell", "%(n)s cells"), n=n)
    sentence = Text(
        T_("%(cells)s but the header names %(fields)s."),
        cells=cells,
        fields=Text(TN_("%(n)s field", "%(n)s fields"), n=2),
    )
    assert (cells.render("en"), cells.render("fr")) == (english, french)
    assert sentence.render("fr") == f"{french}, mais l’en-tête nomme 2 champs."
    assert Text.from_data(sentence.as_data()) == sentence
    assert Text.from_data(sentence.as_data()).render("fr") == sentence.render("fr")


@pytest.mark.parametrize(
    ("days", "said"),
    [(1, "1 jour après l’arrivée, à 10:00"), (2, "2 jours après l’arrivée, à 10:00")],
)
def test_a_rule_counts_its_days_in_french(days: int, said: str) -> None:
    rule = Rule(
        name="late",
        trigger="days_after_join",
        trigger_params={"days": days, "time": "10:00"},
        conditions=(("not_contacted_within", days),),
        actions=(),
    )
    assert describe_trigger(rule, "fr") == said
    assert describe_conditions(rule, "fr") == [
        f"personne ne lui a écrit depuis {days} jour{'s' if days > 1 else ''}"
    ]


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
        f"Erreur\u00a0: {export}, ligne 2\u00a0: champ «\u00a0occurred_at\u00a0»\u00a0: "
        "«\u00a025/10/2026\u00a0» ne se lit que le jour en premier\u202f; dites comment le fichier "
        "écrit les dates (--day-first)."
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
    assert lines[0].startswith(
        f"Importé\u00a0: {export} (csv) dans la communauté «\u00a0Chats\u00a0» en "
    )
    assert lines[0].endswith(" s\u00a0: 1 enregistrement lu.")
    assert lines[1:5] == [
        "  ajoutés\u00a0: 1 membre, 1 activité, 0 fil, 0 canal",
        "  inchangés\u00a0: 0 membre, 0 activité\u202f; mis à jour\u00a0: 0 membre",
        "  laissés de côté volontairement\u00a0: aucun",
        "  enregistrements mal formés laissés de côté\u00a0: 2",
    ]
    assert lines[5:] == [
        f"    {export}, ligne 3\u00a0: champ «\u00a0member_name\u00a0»\u00a0: "
        "manquant sur la première ligne de ce membre.",
        f"    {export}, ligne 4\u00a0: champ «\u00a0kind\u00a0»\u00a0: 'danse' n’est pas un type "
        "(utilisez l’un de\u00a0: "
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
        "groupe.csv, ligne 4\u00a0: champ «\u00a0is_staff\u00a0»\u00a0: la valeur (non affichée\u00a0: elle peut être "
        "personnelle) n’est ni vrai ni faux."
    )
    assert str(error).endswith("the value (not shown: it may be personal) is not true or false.")
