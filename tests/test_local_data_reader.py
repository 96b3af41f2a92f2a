"""The reader of the users' own data files and ``python -m loaders.local check`` on the corpus, then properties.

Each file of the corpus (``tests/local_data_corpus.py``) goes through ``read_local_table`` and through the
command line, called in-process (exit code and French message). Hypothesis then checks that no byte string, no
encoding of any text and no small random table can produce anything but a summary (exit 0) or a French refusal
(exit 2), never a traceback. Example counts are bounded for the CI (``LOCALDATA_EXAMPLES=20`` for a long run).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import settings as app_settings
from loaders.local import __main__ as cli
from loaders.local import indicateurs
from sources.local_files import LocalDataError, LocalTable, read_local_table
from tests.conftest import ROOT
from tests.local_data_corpus import (
    BASIC, CORPUS, GOOD, KNOWN_2015, KNOWN_2024, NBSP, NNBSP, REFUSED, Case, read, text_file, xlsx,
)


@pytest.fixture(autouse=True)
def _local_data(tmp_path_factory, monkeypatch):
    """Each test in its own data folder, with the corpus' list of known codes."""
    monkeypatch.setattr(app_settings, "DATA_DIR", tmp_path_factory.mktemp("donnees"))
    monkeypatch.setattr(indicateurs, "known_codes", lambda: (frozenset(KNOWN_2024), frozenset(KNOWN_2015)))


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """``python -m loaders.local`` in-process: exit code, stdout, stderr."""
    capsys.readouterr()
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own exit for a mistyped command
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err



def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40
    assert len({case.id for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", GOOD, ids=[c.id for c in GOOD])
def test_good_file_is_read(case: Case) -> None:
    table = read(case.make(), case.name, **case.options)
    assert table.generation == case.generation
    frame = table.frame
    assert list(frame.columns) == ["code_qp", "valeur", "raison"]
    assert frame["valeur"].dtype == "float64"
    assert frame["code_qp"].is_unique
    got = {row.code_qp: (row.valeur if not math.isnan(row.valeur) else row.raison) for row in frame.itertuples()}
    assert got.keys() == case.values.keys()
    for code, expected in case.values.items():
        assert got[code] == (pytest.approx(expected) if isinstance(expected, float) else expected), code
    for expected in case.warns:
        assert any(expected in w for w in table.warnings), (expected, table.warnings)
    if case.check:
        case.check(table)
    summary = table.summary_fr()
    assert f"QPV {case.generation}" in summary
    assert "seraient importés" in summary or "serait importé" in summary


@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_bad_file_is_refused_with_a_clear_sentence(case: Case) -> None:
    with pytest.raises(LocalDataError) as caught:
        read(case.make(), case.name, **case.options)
    error = caught.value
    message = str(error)
    assert case.refused in message, message
    assert message.endswith((".", ")")) and message[0].isupper(), message
    assert "Traceback" not in message and "Error" not in message
    assert error.row == case.row, (error.row, message)
    assert error.column == case.column, (error.column, message)
    if case.row is not None:
        assert f"ligne {case.row}" in message.lower()
    if case.column is not None:
        assert re.search(rf"\b[Cc]olonne {case.column}\b", message), message


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_corpus_through_the_cli(case: Case, tmp_path: Path, capsys) -> None:
    path = tmp_path / case.name
    path.write_bytes(case.make())
    argv = ["check", str(path)]
    if "value_column" in case.options:
        argv += ["--colonne", case.options["value_column"]]
    if "code_column" in case.options:
        argv += ["--colonne-code", case.options["code_column"]]
    code, out, err = run_cli(argv, capsys)
    if case.refused is None:
        assert (code, err) == (0, ""), err
        assert "seraient importés" in out or "serait importé" in out
    else:
        assert code == 2 and out == ""
        assert err.startswith("Erreur : ") and case.refused in err, err
        assert indicateurs.UNEXPECTED not in err
        if case.row is not None:
            assert f"ligne {case.row}" in err.lower(), err
        if case.column is not None:
            assert re.search(rf"\b[Cc]olonne {case.column}\b", err), err


@pytest.mark.parametrize("case_id", ["csv_point_virgule_utf8_bom", "valeur_non_numerique"])
def test_real_process_exit_codes(case_id: str, tmp_path: Path) -> None:
    """``python -m loaders.local check`` run as a program: exit code, French text, no traceback, under a C locale."""
    case = next(c for c in CORPUS if c.id == case_id)
    path = tmp_path / case.name
    path.write_bytes(case.make())
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": "",
           "ECOQPV_DATA_DIR": str(tmp_path / "donnees"), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "loaders.local", "check", str(path)], capture_output=True,
                          env=env, cwd=ROOT, timeout=120)
    assert b"Traceback" not in done.stderr
    assert done.returncode == (0 if case.refused is None else 2), done.stderr
    text = (done.stdout + done.stderr).decode("utf-8", "backslashreplace")
    assert ("importés" in text) if case.refused is None else ("Erreur" in text)


def test_cli_usage_errors_are_french(capsys) -> None:
    code, _, err = run_cli(["check"], capsys)
    assert code == 2 and "Erreur : argument invalide" in err and "obligatoire" in err
    code, _, err = run_cli(["check", "/nonexistent/fichier.csv"], capsys)
    assert code == 2 and "introuvable" in err
    code, _, err = run_cli(["check", "/"], capsys)
    assert code == 2 and "n'est pas un fichier" in err


def test_cli_never_shows_a_traceback_for_a_bug(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(text_file(BASIC))

    def broken(*_: Any, **__: Any) -> None:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(indicateurs, "read_local_table", broken)
    assert run_cli(["check", str(path)], capsys) == (2, "", f"Erreur : {indicateurs.UNEXPECTED}\n")


def test_cli_value_column_option_and_known_list(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "multi.csv"
    path.write_bytes(text_file(["code;Logements;Impayés", "QN00101M;120;12", "QN00199M;80;4"]))
    monkeypatch.setattr(indicateurs, "known_codes", lambda: (frozenset({"QN00101M"}), frozenset({"QP001001"})))
    code, out, err = run_cli(["check", str(path), "--colonne", "C"], capsys)
    assert code == 0, err
    assert "1 quartier serait importé" in out and "QN00199M (ligne 3)" in out


def test_error_attributes_and_sentence() -> None:
    error = LocalDataError("la valeur « x » n'est pas un nombre.", row=12, column="C", column_name="Montant")
    assert str(error) == "Ligne 12, colonne C (« Montant ») : la valeur « x » n'est pas un nombre."
    assert (error.row, error.column) == (12, "C")


def test_summary_uses_french_numbers() -> None:
    table = read(text_file(["code;montant", "QN00101M;1234,5", "QN00102M;12000", "QN00103M;s"]))
    summary = table.summary_fr()
    assert f"de 1{NNBSP}234,5 à 12{NNBSP}000" in summary
    assert "1 valeur en secret statistique" in summary


def test_unknown_codes_not_checked_without_lists() -> None:
    table = read_local_table(text_file(["code;v", "QN99901Z;1"]), "x.csv", known_2024=set(), known_2015=set())
    assert table.frame["code_qp"].tolist() == ["QN99901Z"]
    assert not table.codes_checked and "liste non fournie" in table.summary_fr()


def test_messages_escape_control_characters() -> None:
    """Cell text quoted in a message cannot carry terminal escapes or line breaks."""
    with pytest.raises(LocalDataError) as caught:
        read(text_file(["code;valeur", "QN00101M;\x1b[31mrouge"]))
    assert "\x1b" not in str(caught.value) and "\\x1b" in str(caught.value)


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------

EXTENSIONS = ["donnees.csv", "donnees.xlsx", "donnees.txt", "donnees", "DONNEES.TSV"]


def outcome(data: bytes, name: str, **options: Any) -> LocalTable | LocalDataError:
    """Read and return the table or the refusal; any other exception fails the test."""
    try:
        table = read(data, name, **options)
    except LocalDataError as error:
        assert str(error) and str(error)[0].isupper(), str(error)
        return error
    check_invariants(table)
    return table


def check_invariants(table: LocalTable) -> None:
    """What the integrator relies on, whatever the file."""
    frame = table.frame
    assert list(frame.columns) == ["code_qp", "valeur", "raison"] and frame["code_qp"].is_unique
    assert frame["valeur"].notna().any()
    prefix = "QN" if table.generation == 2024 else "QP"
    assert all(code.startswith(prefix) for code in frame["code_qp"])
    missing = frame["valeur"].isna()
    assert frame.loc[missing, "raison"].isin(["secret_statistique", "non_renseigne"]).all()
    assert frame.loc[~missing, "raison"].isna().all()
    assert table.summary_fr()


def cli_outcome(data: bytes, name: str, tmp: Path, capsys) -> int:
    path = tmp / name
    path.write_bytes(data)
    code, out, err = run_cli(["check", str(path)], capsys)
    assert code in (0, 2)
    assert "Traceback" not in out + err and indicateurs.UNEXPECTED not in err, err
    assert (code == 0) == bool(out) and (code == 2) == err.startswith("Erreur : "), (code, out, err)
    return code


#: Multiply the number of generated examples (``LOCALDATA_EXAMPLES=20 pytest`` for a long fuzzing run).
FACTOR = int(os.environ.get("LOCALDATA_EXAMPLES", "1"))
PROPERTY = settings(max_examples=60 * FACTOR, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@PROPERTY
@given(data=st.binary(max_size=2_000), name=st.sampled_from(EXTENSIONS))
def test_any_bytes_give_a_summary_or_a_french_refusal(data: bytes, name: str, tmp_path: Path, capsys) -> None:
    outcome(data, name)
    cli_outcome(data, name, tmp_path, capsys)


@PROPERTY
@given(text=st.text(max_size=400), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16",
                                                             "utf-16-le", "utf-16-be"]))
def test_any_text_in_any_encoding(text: str, encoding: str) -> None:
    outcome(text.encode(encoding, errors="replace"), "texte.csv")


CODES = st.sampled_from(sorted(KNOWN_2024 | KNOWN_2015) + ["QN99901Z", "qn00101m", ' ="QN00102M"', "QN0010M"])
NUMBERS = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda v: f"{v:.3f}".replace(".", ","))
CELLS = st.one_of(CODES, NUMBERS, st.sampled_from(["", "s", "nd", "NC", "secret", "<5", "12,5 %", f"1{NNBSP}234",
                                                   "=1+2", "#DIV/0!", "Total", '"', "1.234,5", "-"]),
                  st.text(max_size=12))
TABLES = st.lists(st.lists(CELLS, min_size=1, max_size=5), min_size=0, max_size=8)


@PROPERTY
@given(rows=TABLES, sep=st.sampled_from([";", ",", "\t", "|"]), encoding=st.sampled_from(["utf-8-sig", "cp1252",
                                                                                         "utf-16"]))
def test_any_small_csv_table(rows: list[list[str]], sep: str, encoding: str) -> None:
    body = "\n".join(sep.join(row) for row in rows)
    outcome(body.encode(encoding, errors="replace"), "table.csv")


XLSX_CELLS = st.one_of(CELLS, st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**6, 10**6),
                       st.none(), st.booleans())


@settings(max_examples=15 * FACTOR, deadline=None)
@given(rows=st.lists(st.lists(XLSX_CELLS, min_size=1, max_size=4), min_size=0, max_size=6))
def test_any_small_xlsx_table(rows: list[list[Any]]) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cleaned = [[ILLEGAL_CHARACTERS_RE.sub("", ("'" + v) if v.startswith("=") else v) if isinstance(v, str) else v
                for v in row] for row in rows]
    outcome(xlsx({"F": cleaned}), "table.xlsx")


VALID = xlsx({"F": [["code", "valeur"], ["QN00101M", 1.5], ["QN00102M", "2,5"], ["QN00103M", None]]})


@settings(max_examples=20 * FACTOR, deadline=None)
@given(positions=st.lists(st.integers(0, len(VALID) - 1), min_size=1, max_size=6), value=st.integers(0, 255))
def test_damaged_xlsx_is_refused_cleanly(positions: list[int], value: int) -> None:
    damaged = bytearray(VALID)
    for position in positions:
        damaged[position] = value
    outcome(bytes(damaged), "abime.xlsx")


@settings(max_examples=30 * FACTOR, deadline=None)
@given(case=st.sampled_from(GOOD), cuts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1,
                                                 max_size=4), truncate=st.booleans())
def test_damaged_good_files_never_crash(case: Case, cuts: list[tuple[int, int]], truncate: bool) -> None:
    """Every good file of the corpus, with a few bytes changed or cut short: a table or a French refusal."""
    damaged = bytearray(case.make())
    for position, value in cuts:
        damaged[position % len(damaged)] = value
    if truncate:
        damaged = damaged[: cuts[0][0] % len(damaged)]
    outcome(bytes(damaged), case.name, **case.options)


@settings(max_examples=25 * FACTOR, deadline=None)
@given(values=st.dictionaries(st.sampled_from(sorted(KNOWN_2024)),
                              st.floats(min_value=-1e7, max_value=1e7, allow_nan=False).map(lambda v: round(v, 2)),
                              min_size=1),
       style=st.sampled_from(["fr", "fr_nnbsp", "en", "pct"]), sep=st.sampled_from([";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]), titles=st.integers(0, 3))
def test_round_trip_of_french_numbers(values: dict[str, float], style: str, sep: str, encoding: str,
                                      titles: int) -> None:
    """A valid table written in any of the usual styles reads back to the same numbers."""
    def written(v: float) -> str:
        if style == "en":
            return f"{v:.2f}"
        if style == "pct":
            return f"{v:.2f} %".replace(".", ",")
        space = (NBSP if encoding == "cp1252" else NNBSP) if style == "fr_nnbsp" else " "
        grouped = f"{v:,.2f}".replace(",", space).replace(".", ",")
        return grouped

    lines = [f"Titre {i} du tableau" for i in range(titles)] + [f"Code QPV{sep}Valeur"]
    lines += [f"{code}{sep}{written(v)}" for code, v in values.items()]
    table = read(("\n".join(lines) + "\n").encode(encoding))
    got = dict(zip(table.frame["code_qp"], table.frame["valeur"]))
    assert got == pytest.approx(values, abs=1e-6)
    assert table.header_row == titles + 1


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 éèêëàâäîïôöùûüçÉÈÀÇœŒ€’«»°²-'()%"
FRENCH = st.text(alphabet=LETTERS, min_size=1, max_size=30).map(str.strip).filter(lambda t: t and t[0] not in "-'")


@settings(max_examples=40 * FACTOR, deadline=None)
@given(label=FRENCH, encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-16-be"]),
       rows=st.integers(1, 30))
def test_french_labels_survive_every_encoding(label: str, encoding: str, rows: int) -> None:
    """The value column's French title reads back exactly, whatever encoding the office tool chose.

    Excluded: cp1252 bytes that also form valid UTF-8 with accents ("Ç«" is U+01EB in UTF-8): no
    detector can tell them apart, and French words never produce them.
    """
    lines = [f"Code QPV;{label}"] + [f"QN001{i:02d}M;{i},5" for i in range(1, rows + 1)]
    data = ("\n".join(lines) + "\n").encode(encoding)
    if encoding == "cp1252" and not label.isascii():
        try:
            data.decode("utf-8")
            assume(False)
        except UnicodeDecodeError:
            pass
    table = read_local_table(data, "libelles.csv", known_2024=set(), known_2015=set(), value_column="B")
    assert table.value_column == " ".join(label.split())

