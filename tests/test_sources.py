"""Tests for engine.sources: real files in tmp_path, every format, every user error."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from engine.io import writing
from engine.errors import DoppelInputError
from engine.io import SUPPORTED_EXTENSIONS, atomic_write_bytes, list_sheets, read_table, write_table


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expect_error(path: Path, *fragments: str, **kwargs: object) -> str:
    """read_table(path) must fail with a one-line message naming the file (and fragments)."""
    with pytest.raises(DoppelInputError) as info:
        read_table(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    for fragment in fragments:
        assert fragment in message, message
    return message


def make_workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    staff = wb.active
    staff.title = "Staff"
    staff.append(["Name", "Age", "Hired"])
    staff.append(["Ann", 34, dt.datetime(2020, 5, 1)])
    staff.append(["Bob", "?", None])
    pay = wb.create_sheet("Pay")
    pay.append(["Grade", "Salary"])
    pay.append(["A", 50000.5])
    wb.save(path)


# ------------------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1252", "cp1252")],
)
def test_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("name,city\nMüller,Zürich\nRené,Besançon\n".encode(encoding))
    table = read_table(path)
    assert table.encoding == expected
    assert list(table.frame.columns) == ["name", "city"]  # no BOM glued to the first header
    assert table.frame["name"].tolist() == ["Müller", "René"]
    assert table.frame["city"].tolist() == ["Zürich", "Besançon"]
    assert (table.format, table.delimiter, table.sheet) == ("csv", ",", None)


def test_latin1_bytes_not_in_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"name,code\nM\xfcller,\x81x\n")  # 0x81 is undefined in cp1252
    table = read_table(path)
    assert table.encoding == "latin-1"
    assert table.frame["name"].tolist() == ["Müller"]


# ------------------------------------------------------------------------------------ delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters(tmp_path: Path, delimiter: str) -> None:
    # the note holds every other candidate delimiter, unquoted, to tempt the sniffer
    note = "a, b; c| d\te".replace(delimiter, "")
    path = tmp_path / "staff.csv"
    path.write_text(delimiter.join(["id", "name", "note"]) + "\n"
                    + delimiter.join(["1", "Ann", note]) + "\n"
                    + delimiter.join(["2", "Bob", "x"]) + "\n", encoding="utf-8")
    table = read_table(path)
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == ["id", "name", "note"]
    assert table.frame["note"].tolist() == [note, "x"]


def test_semicolon_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "pay.csv"
    path.write_text("name;salary\nAnn;3,5\nBob;4,25\nCy;5,0\n", encoding="utf-8")
    table = read_table(path)
    assert table.delimiter == ";"
    assert table.frame["salary"].tolist() == ["3,5", "4,25", "5,0"]


def test_delimiter_where_csv_sniffer_guesses_wrong(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"  # csv.Sniffer says ',' here (escaped quotes around commas)
    path.write_text('name;note\nAnn;"He said, ""hi"", then left"\nBob;"a, b"\n', encoding="utf-8")
    table = read_table(path)
    assert table.delimiter == ";"
    assert table.frame["note"].tolist() == ['He said, "hi", then left', "a, b"]


def test_tsv_extension_and_single_column(tmp_path: Path) -> None:
    path = tmp_path / "one.tsv"
    path.write_text("name\nAnn\nBob\n", encoding="utf-8")
    assert read_table(path).frame["name"].tolist() == ["Ann", "Bob"]


def test_quoted_newline_and_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(' id , note \n1,"first line\nsecond line"\n2,  plain  \n', encoding="utf-8")
    frame = read_table(path).frame
    assert list(frame.columns) == ["id", "note"]
    assert frame["note"].tolist() == ["first line\nsecond line", "plain"]
    assert frame["id"].tolist() == ["1", "2"]  # no type parsing here: schema inference does it


def test_missing_tokens(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("a,b,c,d\n?,,NA,1\n N/A ,null,x,2\n", encoding="utf-8")
    frame = read_table(path).frame
    assert frame.iloc[0].isna().tolist() == [True, True, True, False]
    assert frame.iloc[1].isna().tolist() == [True, True, False, False]
    assert frame["c"].iloc[1] == "x" and frame["d"].tolist() == ["1", "2"]


def test_all_missing_rows_and_empty_unnamed_columns_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "excel_export.csv"
    path.write_text("a;b;\n1;2;\n;;\n3;4;\n", encoding="utf-8")
    frame = read_table(path).frame
    assert list(frame.columns) == ["a", "b"]
    assert frame["a"].tolist() == ["1", "3"]


# ------------------------------------------------------------------------------ excel / parquet


def test_excel_sheets_by_name_and_index(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    make_workbook(path)
    assert list_sheets(path) == ["Staff", "Pay"]

    first = read_table(path)
    assert (first.format, first.sheet, first.encoding, first.delimiter) == ("xlsx", "Staff", None,
                                                                           None)
    assert first.frame["Name"].tolist() == ["Ann", "Bob"]
    assert first.frame["Age"].iloc[0] == 34 and pd.isna(first.frame["Age"].iloc[1])
    assert pd.api.types.is_integer_dtype(first.frame["Age"])  # "?" did not make it text
    assert first.frame["Hired"].iloc[0] == pd.Timestamp(2020, 5, 1)
    assert pd.isna(first.frame["Hired"].iloc[1])

    for choice in ("Pay", 1, -1):
        table = read_table(path, sheet=choice)
        assert table.sheet == "Pay"
        assert table.frame["Salary"].tolist() == [50000.5]


def test_unknown_sheet_lists_sheets(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    make_workbook(path)
    expect_error(path, "'Nope'", "'Staff'", "'Pay'", sheet="Nope")
    expect_error(path, "'Staff'", "'Pay'", sheet=5)


def test_parquet_round_trip(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "id": pd.array([1, None, 3], dtype="Int64"),
        "name": ["Ann", "Bob", None],
        "salary": [1.5, 2.5, None],
        "hired": pd.to_datetime(["2020-01-01", None, "2022-03-04"]),
        "active": pd.array([True, None, False], dtype="boolean"),
    })
    path = write_table(frame, tmp_path / "t.parquet")
    table = read_table(path)
    assert table.format == "parquet"
    back = table.frame
    assert back["id"].dtype == "Int64" and back["id"].tolist()[::2] == [1, 3]
    assert back["name"].tolist()[:2] == ["Ann", "Bob"] and pd.isna(back["name"].iloc[2])
    assert back["salary"].tolist()[:2] == [1.5, 2.5]
    assert back["hired"].iloc[2] == pd.Timestamp("2022-03-04") and pd.isna(back["hired"].iloc[1])
    assert back["active"].tolist()[::2] == [True, False]


# --------------------------------------------------------------------------------------- writing


@pytest.mark.parametrize("ext", [".csv", ".xlsx", ".parquet"])
def test_write_table_round_trip(tmp_path: Path, ext: str) -> None:
    frame = pd.DataFrame({"name": ["Müller", "René", "Zoë"], "dept": ["Sales", "HR", "IT"],
                          "age": [30, 41, 29]})
    path = write_table(frame, tmp_path / f"out{ext}")
    assert path == tmp_path / f"out{ext}"
    back = read_table(path).frame
    assert list(back.columns) == ["name", "dept", "age"]
    assert back["name"].tolist() == ["Müller", "René", "Zoë"]
    assert [int(a) for a in back["age"]] == [30, 41, 29]
    if ext == ".csv":
        assert path.read_bytes().startswith(b"name,dept,age\n")  # UTF-8, no index, no BOM
        assert read_table(path).encoding == "utf-8"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left


@pytest.mark.parametrize("method", ["to_csv", "to_excel", "to_parquet"])
def test_failed_write_leaves_destination_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   method: str) -> None:
    ext = {"to_csv": ".csv", "to_excel": ".xlsx", "to_parquet": ".parquet"}[method]
    dest = tmp_path / f"export{ext}"
    dest.write_bytes(b"precious old content")

    def half_write(self: pd.DataFrame, f: object, *args: object, **kwargs: object) -> None:
        f.write(b"partial garbage")  # type: ignore[attr-defined]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pd.DataFrame, method, half_write)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_table(pd.DataFrame({"a": [1]}), dest)
    assert dest.read_bytes() == b"precious old content"
    assert [p.name for p in tmp_path.iterdir()] == [dest.name]


def test_atomic_write_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "bundle" / "metadata.json"
    dest.parent.mkdir()
    assert atomic_write_bytes(dest, b'{"v": 1}') == dest
    assert dest.read_bytes() == b'{"v": 1}'
    assert atomic_write_bytes(str(dest), b'{"v": 2}') == dest
    assert dest.read_bytes() == b'{"v": 2}'

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writing.os, "replace", broken_replace)
    with pytest.raises(DoppelInputError, match="metadata.json"):
        atomic_write_bytes(dest, b'{"v": 3}')
    assert dest.read_bytes() == b'{"v": 2}'
    assert [p.name for p in dest.parent.iterdir()] == ["metadata.json"]


def test_write_to_missing_folder(tmp_path: Path) -> None:
    dest = tmp_path / "no_such_folder" / "out.csv"
    with pytest.raises(DoppelInputError) as info:
        write_table(pd.DataFrame({"a": [1]}), dest)
    assert "out.csv" in str(info.value) and "no_such_folder" in str(info.value)
    assert "\n" not in str(info.value)


def test_write_to_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # running as root: permissions are not enforced, so simulate
        real_open = os.open

        def guarded_open(path: object, *args: object, **kwargs: object) -> int:
            if Path(str(path)).parent == folder:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(writing.os, "open", guarded_open)
    try:
        with pytest.raises(DoppelInputError) as info:
            write_table(pd.DataFrame({"a": [1]}), folder / "out.parquet")
        assert "out.parquet" in str(info.value) and "permission" in str(info.value)
    finally:
        folder.chmod(0o755)
    assert list(folder.iterdir()) == []


def test_write_unsupported_extension(tmp_path: Path) -> None:
    with pytest.raises(DoppelInputError, match=r"out\.json.*\.csv"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "out.json")


# ------------------------------------------------------------------------- source is never touched


def test_source_unchanged(tmp_path: Path) -> None:
    csv_path = tmp_path / "s.csv"
    csv_path.write_bytes("a;b\n1;?\n".encode("utf-16"))
    xlsx_path = tmp_path / "s.xlsx"
    make_workbook(xlsx_path)
    pq_path = write_table(pd.DataFrame({"a": [1, 2]}), tmp_path / "s.parquet")
    for path in (csv_path, xlsx_path, pq_path):
        before, mtime = sha(path), path.stat().st_mtime_ns
        table = read_table(path)
        assert sha(path) == before and path.stat().st_mtime_ns == mtime
        assert table.path == path
    read_table(xlsx_path, sheet="Pay")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.csv", "s.parquet", "s.xlsx"]


# ---------------------------------------------------------------------------------------- errors


def test_missing_file(tmp_path: Path) -> None:
    expect_error(tmp_path / "ghost.csv", "not found", "check the path")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "data.csv"
    folder.mkdir()
    expect_error(folder, "folder")


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"whatever")
    message = expect_error(path, ".xls")
    assert all(ext in message for ext in SUPPORTED_EXTENSIONS)


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    expect_error(path, "empty")


def test_header_only(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("name,age\n", encoding="utf-8")
    expect_error(path, "has a header but no rows")
    wb = openpyxl.Workbook()
    wb.active.append(["name", "age"])
    wb.save(tmp_path / "header.xlsx")
    expect_error(tmp_path / "header.xlsx", "has a header but no rows")


def test_empty_sheet(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)
    expect_error(path, "empty")


def test_binary_file_renamed_csv(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)))
    expect_error(path, "binary")
    noisy = tmp_path / "noise.csv"
    noisy.write_bytes(bytes(range(1, 32)) * 50)  # control characters but no NUL
    expect_error(noisy, "binary")


def test_duplicate_columns(tmp_path: Path) -> None:
    path = tmp_path / "dupes.csv"
    path.write_text("id,name, name,age,age\n1,a,b,3,4\n", encoding="utf-8")
    expect_error(path, "'name'", "'age'", "rename one of them")


def test_blank_header_with_data(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("id,name,,age\n1,a,x,3\n", encoding="utf-8")
    expect_error(path, "column 3 has no name")


def test_ragged_row(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    expect_error(path, "line 3")


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    path.chmod(0)
    if os.access(path, os.R_OK):  # running as root: simulate what an unreadable file does
        real_open = Path.open

        def denied(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "open", denied)
    try:
        expect_error(path, "permission")
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("name", ["broken.xlsx", "broken.parquet"])
def test_corrupt_binary_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 this is not really a zip or parquet file" * 10)
    expect_error(path, "damaged")


def test_truncated_xlsx(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    make_workbook(good)
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    expect_error(path, "damaged")


def test_list_sheets_errors(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(DoppelInputError, match="plain.csv"):
        list_sheets(path)
    with pytest.raises(DoppelInputError, match="nothere.xlsx"):
        list_sheets(tmp_path / "nothere.xlsx")

