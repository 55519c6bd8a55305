"""What HR exports really look like, through the real engine: each input is handled or refused.

Inputs already covered elsewhere are not repeated here: empty files, header only, duplicate and
unnamed columns, encodings, delimiters, quoted newlines, ragged rows, PNG bytes and locked files
(test_sources.py), bad schema files (test_schema.py), a missing file and an empty file through the
CLI (test_cli.py). Every test checks that the source file is byte-for-byte unchanged.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from engine import cli
from engine.io import cells as parsing
from engine.io import read_table, writing
from engine.storage.bundle import save_bundle
from engine.errors import DoppelInputError
from engine.privacy.ledger import Ledger
from engine.schema import Kind, Role, infer_schema
from engine.run import RunConfig
from engine.training import MIN_ROWS, train
from engine.app.operations import dataset_key, export_sample, load_table, train_model
from tests.conftest import ROOT

FAST = dict(epochs=1, device="cpu", seed=3, settings=dict(generator_hidden=(16,), discriminator_hidden=(16,), noise_dim=8))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(message: str, *fragments: str) -> None:
    assert "\n" not in message.strip() and "Traceback" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``doppel ARGS`` in this process (same code path as the console script): exit code, stderr."""
    code = cli.main(args, out=io.StringIO())
    return code, capsys.readouterr().err


def run_subprocess(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOPPEL_HOME": str(home), "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)


# ---------------------------------------------------------------------------- an awkward HR export

N_AWKWARD = 300


def awkward_csv(path: Path) -> Path:
    """Thousands separators, currency, percentages, mixed date formats, inf and huge numbers, an
    all-missing column, a constant column, a unique badge code and numbers mixed with text."""
    lines = ["dept,salary,bonus,rate,hired,score,blank,site,badge,grade"]
    for i in range(N_AWKWARD):
        hired = f"2019-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 3 else f"{1 + i % 28:02d}/{1 + i % 12:02d}/2020"
        score = {5: "inf", 6: "-inf", 7: "1e308", 8: "1" + "0" * 400}.get(i, str(i % 7))
        grade = str(i % 4) if i % 10 else "n/a-ish"
        lines.append(f'{"ABC"[i % 3]},"{40_000 + (i % 10) * 1250:,}","${(i % 5) * 250.5:,.2f}",{(i % 8) * 2.5}%,'
                     f"{hired},{score},,HQ,X{i * 7919 % 100_000:05d}Q,{grade}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory):
    """The awkward export, trained once; the user forces the blank column and the badge to be learned."""
    path = awkward_csv(tmp_path_factory.mktemp("awkward") / "hr_export.csv")
    before = sha(path)
    table = load_table(path)
    schema = infer_schema(table.frame).declare_all()
    inferred = {c.name: (c.kind, c.role) for c in schema.columns}
    schema["blank"].declare(role=Role.LEARN)
    schema["badge"].declare(kind=Kind.CATEGORICAL, role=Role.LEARN)
    # most of ε on preprocessing keeps values in the output; the rest on 40 steps keeps σ (and time) moderate
    config = RunConfig(epsilon=8.0, preprocessing_fraction=0.95,
                       **{**FAST, "epochs": 4, "settings": {**FAST["settings"], "batch_size": 30}})
    model = train(table.frame, schema, config, source_name=path.name, dataset=table.fingerprint)
    return path, before, table, inferred, model


def test_awkward_export_is_read_as_the_user_means_it(awkward) -> None:
    path, before, table, inferred, _ = awkward
    assert inferred == {
        "dept": (Kind.CATEGORICAL, Role.LEARN),
        "salary": (Kind.INTEGER, Role.LEARN),        # "41,250": thousands separators
        "bonus": (Kind.CONTINUOUS, Role.LEARN),      # "$1,002.00": currency
        "rate": (Kind.CONTINUOUS, Role.LEARN),       # "12.5%"
        "hired": (Kind.DATE, Role.LEARN),            # ISO and dd/mm/yyyy mixed
        "score": (Kind.INTEGER, Role.LEARN),         # inf, -inf, 1e308, 10**400
        "blank": (Kind.CATEGORICAL, Role.DROP),      # all missing: nothing to learn
        "site": (Kind.CATEGORICAL, Role.LEARN),      # constant
        "badge": (Kind.TEXT, Role.IDENTIFIER),       # every value differs: a key
        "grade": (Kind.CATEGORICAL, Role.LEARN),     # numbers mixed with text: kept as labels
    }
    schema = infer_schema(table.frame).declare_all()
    frame = table.frame
    assert schema["salary"].values(frame["salary"]).tolist()[:3] == [40_000, 41_250, 42_500]
    assert schema["bonus"].values(frame["bonus"]).tolist()[:3] == [0.0, 250.5, 501.0]
    assert schema["bonus"].decimals == 2 and schema["rate"].decimals == 1
    assert schema["rate"].values(frame["rate"]).tolist()[:3] == [0.0, 2.5, 5.0]
    assert (schema["hired"].date_format, schema["hired"].more_date_formats) == ("%Y-%m-%d", ["%d/%m/%Y"])
    days = schema["hired"].values(frame["hired"])
    assert days.notna().all()
    assert days[0] == (pd.Timestamp("2020-01-01") - pd.Timestamp("1970-01-01")).days  # "01/01/2020"
    assert days[1] == (pd.Timestamp("2019-02-02") - pd.Timestamp("1970-01-01")).days
    score = schema["score"].values(frame["score"])
    assert score[5] == np.inf and score[6] == -np.inf and score[7] == 1e308 and score[8] == np.inf
    assert schema["blank"].missing_rate == 1.0
    assert sha(path) == before


def test_awkward_export_trains_and_samples(awkward, tmp_path: Path) -> None:
    path, before, table, _, model = awkward
    out = tmp_path / "synthetic.csv"
    frame = export_sample(model, 400, out, seed=4)
    assert list(frame.columns) == [c.name for c in model.schema.output]
    assert "badge" in frame.columns and "blank" in frame.columns
    # no badge code (each held by one person) passes the DP threshold, so none can be output
    assert frame["badge"].isna().all()
    assert not set(frame["badge"].dropna()) & set(table.frame["badge"])
    assert frame["blank"].isna().all()
    assert set(frame["site"].dropna()) <= {"HQ"}
    assert pd.api.types.is_integer_dtype(frame["salary"]) and pd.api.types.is_integer_dtype(frame["score"])
    assert np.isfinite(frame["score"].dropna().astype(float)).all()   # inf was clipped to the DP range
    assert pd.api.types.is_float_dtype(frame["bonus"]) and pd.api.types.is_float_dtype(frame["rate"])
    hired = frame["hired"].dropna()
    assert len(hired) and pd.to_datetime(hired, format="%Y-%m-%d", errors="coerce").notna().all()
    assert set(frame["grade"].dropna()) <= {"0", "1", "2", "3", "n/a-ish"}
    assert read_back_columns(out) == list(frame.columns)
    assert sha(path) == before


def read_back_columns(path: Path) -> list[str]:
    return list(read_table(path).frame.columns)


# ----------------------------------------------------------------------- numbers, dates, mixtures

@pytest.mark.parametrize(("cells", "kind", "numbers"), [
    (["40,137", "1,250,000", "980"], Kind.INTEGER, [40137, 1250000, 980]),
    (["$1,234.50", "$-12.00", "-$3.25"], Kind.CONTINUOUS, [1234.5, -12.0, -3.25]),
    (["1.234,50 €", "12,00 €", "7 €"], Kind.CONTINUOUS, [1234.5, 12.0, 7.0]),      # decimal commas
    (["EUR 40 000", "EUR 38 500", "GBP 1"], Kind.INTEGER, [40000, 38500, 1]),
    (["3,5", "4,25", "5,0"], Kind.CONTINUOUS, [3.5, 4.25, 5.0]),                   # from a ';' CSV
    (["12.5%", "100%", "0 %"], Kind.CONTINUOUS, [12.5, 100.0, 0.0]),
    (["inf", "-Infinity", "1e308"], Kind.INTEGER, [np.inf, -np.inf, 1e308]),
])
def test_formatted_numbers(tmp_path: Path, cells: list[str], kind: Kind, numbers: list[float]) -> None:
    path = tmp_path / "pay.csv"
    pd.DataFrame({"dept": ["A", "B", "C"], "x": cells}).to_csv(path, index=False, sep=";")
    before = sha(path)
    frame = load_table(path).frame
    column = infer_schema(frame)["x"]
    assert column.kind is kind
    assert column.values(frame["x"]).tolist() == numbers
    assert sha(path) == before


def test_a_row_is_read_the_same_whatever_the_other_rows(awkward) -> None:
    """DP sensitivity needs each row's encoded value to depend on that row and the (public)
    schema only: the decimal mark and the date formats are fixed in the schema, not re-guessed."""
    def assert_row_by_row(column, series: pd.Series) -> None:
        together = column.values(series).to_numpy()
        alone = np.array([column.values(series.iloc[[i]]).iloc[0] for i in range(len(series))])
        assert np.array_equal(together, alone, equal_nan=True), column.name

    table = awkward[2]
    frame = pd.concat([table.frame, pd.DataFrame({"salary": ["1.234", "3,5"], "rate": ["3,5%", "1%"],
                                                  "hired": ["03/04/2021", "12/25/2020"]})], ignore_index=True)
    schema = infer_schema(table.frame)
    for name in ("salary", "bonus", "rate", "hired", "score"):
        assert_row_by_row(schema[name], frame[name])
    point = infer_schema(pd.DataFrame({"x": pd.array(["1.234", "5.5", "7"], dtype="string")}))["x"]
    assert_row_by_row(point, pd.Series(["1.234", "3,5"], dtype="string"))   # "3,5" must not turn 1.234 into 1234
    comma = infer_schema(pd.DataFrame({"x": pd.array(["3,5", "1.234,5", "7"], dtype="string")}))["x"]
    assert comma.decimal_comma and comma.values(pd.Series(["1.234"])).tolist() == [1234.0]
    assert not schema["salary"].decimal_comma and schema["salary"].values(pd.Series(["1.234"])).tolist() == [1.234]


@pytest.mark.parametrize("cells", [
    ["+44 20 7946 0000", "+44 20 7946 0001", "+44 20 7946 0002"],   # phone numbers
    ["1.2.3", "2.0.1", "3.1.4"],                                      # versions
    ["A-12", "B-7", "C-3"],
    ["12 34", "5 6", "78 9"],                                          # not thousands groups
    ["EMP 123", "EMP 456", "EMP 789"],
])
def test_text_that_only_looks_numeric_is_not_read_as_numbers(cells: list[str]) -> None:
    column = infer_schema(pd.DataFrame({"x": pd.array(cells, dtype="string")}))["x"]
    assert not column.kind.numeric, column


@pytest.mark.parametrize(("cells", "date_format", "first_day"), [
    (["2021-03-05", "2020-12-31"], "%Y-%m-%d", "2021-03-05"),
    (["05/03/2021", "31/12/2020"], "%d/%m/%Y", "2021-03-05"),
    (["03/05/2021", "12/31/2020"], "%m/%d/%Y", "2021-03-05"),
    (["05.03.2021", "31.12.2020"], "%d.%m.%Y", "2021-03-05"),
    (["5/3/21", "31/12/20"], "%d/%m/%y", "2021-03-05"),
    (["5 Mar 2021", "31 Dec 2020"], "%d %b %Y", "2021-03-05"),
    (["March 5, 2021", "December 31, 2020"], "%B %d, %Y", "2021-03-05"),
    (["05-Mar-2021", "31-Dec-2020"], "%d-%b-%Y", "2021-03-05"),
    (["2021-03-05 08:30:00", "2020-12-31 17:00:00"], "%Y-%m-%d %H:%M:%S", "2021-03-05 08:30:00"),
    # mixed in one column: written back in the format most cells use
    (["2021-03-05", "2020-12-31", "2019-01-02", "25/03/2021", "5 Mar 2021"], "%Y-%m-%d", "2021-03-05"),
])
def test_dates_in_several_and_mixed_formats(tmp_path: Path, cells: list[str], date_format: str,
                                            first_day: str) -> None:
    path = tmp_path / "hires.csv"
    pd.DataFrame({"hire_day": cells}).to_csv(path, index=False)
    before = sha(path)
    frame = load_table(path).frame
    column = infer_schema(frame)["hire_day"]
    assert column.kind is Kind.DATE and column.date_format == date_format
    days = column.values(frame["hire_day"])
    assert days.notna().all()
    assert parsing.days_to_text(days.to_numpy()[:1], "%Y-%m-%d %H:%M:%S")[0].startswith(first_day)
    if len(cells) == 5:
        assert column.more_date_formats == ["%d/%m/%Y", "%d %b %Y"]
        assert parsing.days_to_text(days.to_numpy()[3:], "%Y-%m-%d") == ["2021-03-25", "2021-03-05"]
    assert sha(path) == before


def test_text_in_a_column_set_to_numbers_is_refused_naming_row_and_cell(tmp_path: Path) -> None:
    path = awkward_csv(tmp_path / "hr_export.csv")
    before = sha(path)
    table = load_table(path)
    schema = infer_schema(table.frame).declare_all()
    schema["grade"].declare(kind=Kind.INTEGER)                # the user insists; row 1 holds "n/a-ish"
    ledger = Ledger(tmp_path / "ledger.json")
    with pytest.raises(DoppelInputError) as info:
        train_model(table, schema, RunConfig(epsilon=3.0, **FAST), ledger=ledger)
    one_line(str(info.value), "hr_export.csv", "'grade'", "row 1 ", "'n/a-ish'", "categorical")
    assert ledger.total(dataset_key(table, ledger=ledger)) == 0.0       # refused before any budget was spent
    assert sha(path) == before


# ------------------------------------------------------------------------------- too few rows

@pytest.mark.parametrize("rows", [1, MIN_ROWS - 1])
def test_too_few_rows_names_the_minimum(tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: int) -> None:
    path = tmp_path / "small.csv"
    pd.DataFrame({"dept": ["A", "B"] * rows, "age": range(2 * rows)}).head(rows).to_csv(path, index=False)
    before = sha(path)
    assert len(load_table(path).frame) == rows           # reading and inspecting one row is fine
    assert run_cli(["inspect", str(path)], capsys)[0] == 0
    model = tmp_path / "m.doppel"
    code, err = run_cli(["train", str(path), "--epsilon", "3", "--model", str(model)], capsys)
    assert code == 2
    one_line(err, "small.csv", f"{rows} rows", f"at least {MIN_ROWS}", "add rows")
    assert not model.exists() and sha(path) == before


def test_too_few_rows_exits_2_from_the_console(tmp_path: Path) -> None:
    small = tmp_path / "small.csv"
    pd.DataFrame({"dept": ["A", "B"] * 30, "age": range(60)}).head(MIN_ROWS - 1).to_csv(small, index=False)
    before = sha(small)
    result = run_subprocess(["synthesize", str(small), "--epsilon", "3", "--rows", "5", "--out",
                             str(tmp_path / "out.csv")], tmp_path)
    assert result.returncode == 2
    one_line(result.stderr, "small.csv", f"at least {MIN_ROWS}")
    assert sha(small) == before and not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("name", ["photo.csv", "photo.xlsx", "photo.parquet"])
def test_png_renamed_as_a_table_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    png = tmp_path / name
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    before = sha(png)
    for command in (["inspect", str(png)], ["train", str(png), "--epsilon", "3", "--model", str(tmp_path / "m.doppel")]):
        code, err = run_cli(command, capsys)
        assert code == 2
        one_line(err, name)
    assert sha(png) == before and not (tmp_path / "m.doppel").exists()


def test_only_a_unique_id_column_learned_trains_nothing_and_releases_no_id() -> None:
    """No badge is held by two people, so DP releases none: nothing is left to learn, no DP-SGD
    step is taken, only the preprocessing ε is spent, and samples carry no badge at all."""
    from engine.generation import sample

    frame = pd.DataFrame({"badge": pd.array([f"X{i:05d}" for i in range(80)], dtype="string")})
    schema = infer_schema(frame).declare_all()
    schema["badge"].declare(kind=Kind.CATEGORICAL, role=Role.LEARN)
    events: list = []
    model = train(frame, schema, RunConfig(epsilon=0.5, **{**FAST, "settings": {**FAST["settings"], "batch_size": 20}}), on_event=events.append)
    facts = model.summary.facts
    assert facts.get("steps", 0) == 0 and facts["pairs_measured"] == 0 and 0 < model.summary.epsilon_spent <= 0.5
    assert any("Nothing is left to learn" in getattr(e, "text", "") for e in events)
    out = sample(model, 50, [])
    assert list(out.columns) == ["badge"] and out["badge"].isna().all()


# ------------------------------------------------------------------------------ Excel layouts

def test_excel_with_several_sheets_and_merged_header_cells(tmp_path: Path) -> None:
    path = tmp_path / "hr.xlsx"
    wb = openpyxl.Workbook()
    grouped = wb.active
    grouped.title = "Pay"
    grouped.append(["Employee", "Pay", None, "Dept"])          # "Pay" merged over base and bonus
    grouped.append([None, "base", "bonus", None])
    for cells in ("A1:A2", "B1:C1", "D1:D2"):
        grouped.merge_cells(cells)
    titled = wb.create_sheet("Staff")
    titled.append(["Staff list 2024"])                          # a title merged above the header
    titled.merge_cells("A1:C1")
    titled.append(["dept", "age", "grade"])
    clean = wb.create_sheet("Clean")
    clean.append(["dept", "age"])
    for i in range(60):
        grouped.append([f"E{i}", 40_000 + i, 100 * i, "AB"[i % 2]])
        titled.append(["AB"[i % 2], 20 + i % 30, "xyz"[i % 3]])
        clean.append(["AB"[i % 2], 20 + i % 30])
    wb.save(path)
    before = sha(path)
    for sheet, column in (("Pay", "column C"), ("Staff", "column B")):
        with pytest.raises(DoppelInputError) as info:
            load_table(path, sheet)
        one_line(str(info.value), "hr.xlsx", f"sheet '{sheet}'", column, "row 1", "unmerge", "title row")
    table = load_table(path, "Clean")
    assert list(table.frame.columns) == ["dept", "age"] and len(table.frame) == 60
    assert infer_schema(table.frame)["age"].kind is Kind.INTEGER
    assert sha(path) == before


# ------------------------------------------------------------------------------- wide tables

def test_thousand_column_table_inspects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    kinds = (lambda: rng.integers(0, 90, 200), lambda: rng.normal(50, 9, 200).round(2),
             lambda: rng.choice(["a", "b", "c"], 200), lambda: rng.choice(["true", "false"], 200))
    path = tmp_path / "wide.csv"
    pd.DataFrame({f"c{j}": kinds[j % 4]() for j in range(1000)}).to_csv(path, index=False)
    before = sha(path)
    out = io.StringIO()
    assert cli.main(["inspect", str(path)], out=out) == 0
    listing = out.getvalue().splitlines()
    assert listing[0].startswith("wide.csv: 200 rows × 1000 columns")
    kinds_seen = [line.split()[1] for line in listing[2:]]
    assert len(kinds_seen) == 1000
    for first, kind in enumerate(["integer", "continuous", "categorical", "boolean"]):
        assert set(kinds_seen[first::4]) == {kind}
    assert sha(path) == before


# --------------------------------------------------------------------- files vanishing mid-read

def test_csv_removed_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("dept,age\nA,30\n", encoding="utf-8")

    def vanish(self: Path) -> bytes:
        self.unlink()                     # another program moved it between the check and the read
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(self))

    monkeypatch.setattr(Path, "read_bytes", vanish)
    with pytest.raises(DoppelInputError) as info:
        load_table(path)
    one_line(str(info.value), "staff.csv", "not found")


def test_excel_removed_while_reading_its_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "staff.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["dept", "age"])
    for i in range(500):
        wb.active.append(["AB"[i % 2], i])
    wb.save(path)
    before = sha(path)
    opened = openpyxl.load_workbook
    real_read = zipfile.ZipExtFile.read
    gone = {"now": False}

    def open_then_lose(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        workbook = opened(*args, **kwargs)
        gone["now"] = True                # the workbook is open; the sheet is read lazily after this
        return workbook

    def read(self: zipfile.ZipExtFile, *args: object) -> bytes:
        if gone["now"]:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory")
        return real_read(self, *args)

    monkeypatch.setattr(openpyxl, "load_workbook", open_then_lose)
    monkeypatch.setattr(zipfile.ZipExtFile, "read", read)
    with pytest.raises(DoppelInputError) as info:
        load_table(path)
    one_line(str(info.value), "staff.xlsx", "not found")
    monkeypatch.undo()
    assert sha(path) == before


# ------------------------------------------------------------------ exports that cannot be written

class _DiskWithRoom(io.RawIOBase):
    """A file descriptor on a disk with ``room`` bytes free: later writes fail with ENOSPC."""

    def __init__(self, fd: int, room: int) -> None:
        self.fd, self.room = fd, room

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[no-untyped-def,override]
        if self.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = os.write(self.fd, bytes(data[:self.room]))
        self.room -= written
        return written

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


@pytest.mark.parametrize("problem", ["full disk", "read-only folder"])
def test_export_that_cannot_be_written_keeps_the_previous_file(
        awkward, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        problem: str) -> None:
    model_path = save_bundle(awkward[4], tmp_path / "m.doppel")
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "synthetic.csv"
    out.write_bytes(b"the previous export\n")
    if problem == "full disk":
        monkeypatch.setattr(writing.os, "fdopen", lambda fd, mode: io.BufferedWriter(_DiskWithRoom(fd, 100)))
        expected = ("No space left", "free some disk space")
    else:
        real_open = os.open

        def read_only(target: object, *args: object, **kwargs: object) -> int:
            if Path(str(target)).parent == folder:
                raise PermissionError(errno.EACCES, "Permission denied", str(target))
            return real_open(target, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(writing.os, "open", read_only)
        expected = ("no permission to write", "choose another folder")
    code, err = run_cli(["sample", str(model_path), "--rows", "2000", "--out", str(out)], capsys)
    assert code == 2
    one_line(err, "synthetic.csv", *expected)
    assert out.read_bytes() == b"the previous export\n"
    assert [p.name for p in folder.iterdir()] == ["synthetic.csv"]      # no temp file left behind


def test_full_disk_while_writing_a_schema_or_bundle(awkward, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = awkward[4].schema
    previous = schema.save(tmp_path / "schema.json").read_bytes()
    monkeypatch.setattr(writing.os, "fdopen", lambda fd, mode: io.BufferedWriter(_DiskWithRoom(fd, 10)))
    with pytest.raises(DoppelInputError) as info:
        schema.save(tmp_path / "schema.json")
    one_line(str(info.value), "schema.json", "No space left")
    with pytest.raises(DoppelInputError):
        save_bundle(awkward[4], tmp_path / "m.doppel")
    assert (tmp_path / "schema.json").read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schema.json"]
