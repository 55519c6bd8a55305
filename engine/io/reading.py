"""Reading tables: CSV / Excel / Parquet in, a clean ``DataFrame`` out.

Everything the user can get wrong about a file (path, encoding, delimiter, headers, a corrupt or
non-table file) becomes a one-line :class:`DoppelInputError` naming the file and what to do, so the
rest of the engine only ever sees a clean ``DataFrame``. Source files are only ever opened for
reading.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, TypeVar

import pandas as pd

from engine.errors import DoppelInputError
from engine.io.fingerprint import table_fingerprint

MISSING_TOKENS = ("", "?", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None",
                  # Excel's error values: the cell holds no value (openpyxl reads them as text)
                  "#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!")
SUPPORTED_EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet")

_FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
            ".parquet": "parquet"}
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_T = TypeVar("_T")


@dataclass(frozen=True)
class LoadedTable:
    """A table as read from disk plus what we learned about the file (shown to the user)."""

    frame: pd.DataFrame
    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None

    @cached_property
    def fingerprint(self) -> str:
        """The parsed table's fingerprint (:mod:`engine.io.fingerprint`): local, for the ledger only."""
        return table_fingerprint(self.frame)


# ----------------------------------------------------------------------------------------- reading


def read_table(path: str | Path, sheet: str | int | None = None) -> LoadedTable:
    """Read a CSV/TSV, Excel or Parquet file; ``sheet`` (name or index) applies to Excel only."""
    path = _check_source(path)
    fmt = _FORMATS[path.suffix.lower()]
    encoding = delimiter = sheet_name = None
    if fmt == "csv":
        frame, encoding, delimiter = _parse_csv(_guard(path, path.read_bytes), path.name)
    elif fmt == "xlsx":
        frame, sheet_name = _read_excel(path, sheet)
    else:
        frame = _read_parquet(path)
    return LoadedTable(frame, path, fmt, encoding, delimiter, sheet_name)


def list_sheets(path: str | Path) -> list[str]:
    """Names of an Excel workbook's sheets, in workbook order (for the sheet picker)."""
    path = _check_source(path)
    if _FORMATS[path.suffix.lower()] != "xlsx":
        raise DoppelInputError(f"{path.name} is not an Excel workbook, so it has no sheets")
    wb = _open_workbook(path)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _check_source(path: str | Path) -> Path:
    """Fail early, with a clear message, on paths we could never read as a table."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DoppelInputError(f"{path.name or path} not found: check the path ({path})")
    if path.is_dir():
        raise DoppelInputError(f"{path.name} is a folder, not a file: choose a table file in it")
    if path.suffix.lower() not in _FORMATS:
        raise DoppelInputError(
            f"{path.name}: unsupported file type {path.suffix or '(no extension)'}; "
            f"use one of {', '.join(SUPPORTED_EXTENSIONS)}")
    return path


def _guard(path: Path, action: Callable[[], _T]) -> _T:
    """Run a file read, turning OS errors into a user message naming the file."""
    try:
        return action()
    except PermissionError:
        raise DoppelInputError(
            f"{path.name} cannot be read: permission denied; check the file's permissions "
            "or close the program that locks it") from None
    except FileNotFoundError:
        raise DoppelInputError(f"{path.name} not found: check the path ({path})") from None
    except OSError as exc:
        raise DoppelInputError(f"{path.name} cannot be read: {exc.strerror or exc}; check that the file "
                               "is still there and readable, then try again") from None


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Pick the encoding: BOM first, then strict UTF-8, then Windows-1252 / Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise DoppelInputError(f"{name} looks like UTF-16 but cannot be decoded; "
                                   "save it again as UTF-8 CSV") from None
    if b"\x00" in data[:_SNIFF_CHARS]:
        raise _not_a_table(name)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _not_a_table(name: str) -> DoppelInputError:
    return DoppelInputError(f"{name} does not look like a text table (it contains binary data); "
                            "export it as CSV, Excel or Parquet")


def _sniff_delimiter(sample: str, truncated: bool) -> str:
    """The candidate delimiter giving the most consistent column count (>1); Sniffer breaks ties.

    csv.Sniffer alone is easily fooled (decimal commas, ';' inside text), so every candidate is
    tried with a real CSV parse, which also handles quoted newlines.
    """
    try:
        preferred = csv.Sniffer().sniff(sample[:16384], delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        preferred = None
    best, best_key = ",", None
    for delim in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delim) if r]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # the sample may cut the last record in half
        if not rows:
            continue
        counts = [len(r) for r in rows]
        width = Counter(counts).most_common(1)[0][0]
        if width < 2:
            continue
        key = (counts.count(width) / len(counts), delim == preferred, width)
        if best_key is None or key > best_key:
            best, best_key = delim, key
    return best


def _parse_csv(data: bytes, name: str) -> tuple[pd.DataFrame, str, str]:
    """Bytes → all-string frame (schema inference does the typing), encoding, delimiter."""
    text, encoding = _decode(data, name)
    sample = text[:_SNIFF_CHARS]
    controls = sum(1 for c in sample if c not in "\t\r\n" and unicodedata.category(c) == "Cc")
    if controls > max(2, len(sample) // 100):
        raise _not_a_table(name)
    if not text.strip():
        raise DoppelInputError(f"{name} is empty: it needs a header row and at least one data "
                               "row")
    delimiter = _sniff_delimiter(sample, truncated=len(text) > len(sample))
    try:
        raw = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=str,
                          keep_default_na=False, na_filter=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise DoppelInputError(f"{name} is empty: it needs a header row and at least one data "
                               "row") from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            want, line, got = found.groups()
            raise DoppelInputError(f"{name}: line {line} has {got} values but the header has "
                                   f"{want}; fix that line or quote values containing "
                                   f"{_show(delimiter)}") from None
        raise DoppelInputError(f"{name} could not be parsed as CSV ({str(exc).splitlines()[-1]}); "
                               "check for an unclosed quote") from None
    header = [str(h) for h in raw.iloc[0]]
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = range(frame.shape[1])
    frame = frame.astype("string").apply(lambda col: col.str.strip())
    frame = frame.mask(frame.isin(MISSING_TOKENS))
    return _finish(frame, header, name), encoding, delimiter


def _show(delimiter: str) -> str:
    return {"\t": "tabs", ",": "commas", ";": "semicolons", "|": "pipes"}[delimiter]


def _open_workbook(path: Path):  # type: ignore[no-untyped-def]
    """Open read-only (never modifies the file); values, not formulas."""
    import openpyxl  # local: only Excel users pay the import

    try:
        return _guard(path, lambda: openpyxl.load_workbook(path, read_only=True, data_only=True))
    except DoppelInputError:
        raise
    except Exception as exc:  # zipfile/openpyxl raise many types for a damaged workbook
        raise DoppelInputError(f"{path.name} could not be opened as an Excel workbook "
                               f"({type(exc).__name__}); is it damaged or not really .xlsx? "
                               "Open and save it again in Excel") from None


def _read_excel(path: Path, sheet: str | int | None) -> tuple[pd.DataFrame, str]:
    """One sheet → frame with native cell types; the first non-empty row is the header."""
    wb = _open_workbook(path)
    try:
        names = list(wb.sheetnames)
        listing = ", ".join(repr(n) for n in names)
        if sheet is None:
            sheet = 0
        if isinstance(sheet, int):
            if not -len(names) <= sheet < len(names):
                raise DoppelInputError(f"{path.name} has no sheet number {sheet} "
                                       f"(it has {len(names)}: {listing})")
            name = names[sheet]
        elif sheet in names:
            name = sheet
        else:
            raise DoppelInputError(f"{path.name} has no sheet {sheet!r}; choose one of {listing}")
        try:
            numbered = _guard(path, lambda: [(number, list(r)) for number, r in
                                             enumerate(wb[name].iter_rows(values_only=True), start=1)
                                             if any(v is not None and str(v).strip() for v in r)])
        except DoppelInputError:
            raise
        except Exception as exc:
            raise DoppelInputError(f"{path.name}: sheet {name!r} could not be read "
                                   f"({type(exc).__name__}); open and save it again in Excel"
                                   ) from None
    finally:
        wb.close()
    label = f"{path.name} (sheet {name!r})"
    if not numbered:
        raise DoppelInputError(f"{label} is empty: it needs a header row and at least one data row")
    rows = [r for _, r in numbered]
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    header = ["" if h is None else str(h) for h in rows[0]]
    frame = pd.DataFrame(rows[1:], columns=range(width), dtype=object)
    frame = frame.map(lambda v: v.strip() if isinstance(v, str) else v)
    frame = frame.mask(frame.isin(MISSING_TOKENS))  # before typing, so "?" can't force object
    frame = _finish(frame, header, label, _excel_header_hint(numbered[0][0]))
    return frame.infer_objects().convert_dtypes(), name


def _excel_header_hint(row: int) -> Callable[[int], str]:
    """How to fix an unnamed Excel column: name its cell; merged cells and title rows are the
    usual cause (only a merged range's first cell holds the text)."""
    from openpyxl.utils import get_column_letter

    return lambda pos: (f"column {get_column_letter(pos + 1)} has no name in the header (row {row}) but "
                        "holds data; give it a name there, unmerge merged header cells and delete any "
                        "title row above the header")


def _read_parquet(path: Path) -> pd.DataFrame:
    """Parquet → frame; integers, booleans and strings get nullable dtypes so gaps don't turn
    integers into floats."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def nullable(t: pa.DataType) -> object:
        if pa.types.is_integer(t):
            return pd.api.types.pandas_dtype(str(t).replace("uint", "UInt").replace("int", "Int"))
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return pd.StringDtype()
        return None

    try:
        table = _guard(path, lambda: pq.read_table(path))
        header = [str(c) for c in table.column_names]
        frame = table.rename_columns([str(i) for i in range(table.num_columns)]).to_pandas(
            types_mapper=nullable, ignore_metadata=True)
    except DoppelInputError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for damaged files
        raise DoppelInputError(f"{path.name} could not be read as Parquet ({type(exc).__name__}); "
                               "is it damaged or not really Parquet?") from None
    frame.columns = range(frame.shape[1])
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.StringDtype):
            values = frame[col].str.strip()
            frame[col] = values.mask(values.isin(MISSING_TOKENS))
    return _finish(frame, header, path.name)


def _finish(frame: pd.DataFrame, header: list[str], label: str,
            unnamed: Callable[[int], str] | None = None) -> pd.DataFrame:
    """Shared clean-up once cells are normalised: check headers, drop all-missing rows.

    ``frame`` has positional column labels matching ``header``. Unnamed columns that are
    completely empty (trailing delimiters, Excel's phantom columns) are dropped silently;
    unnamed columns with data are an error, since we would have to invent a name.
    ``unnamed(position)`` words that error for the file's format.
    """
    header = [h.strip() for h in header]
    keep = []
    for pos, name in enumerate(header):
        if name:
            keep.append(pos)
        elif frame[pos].notna().any():
            problem = unnamed(pos) if unnamed else f"column {pos + 1} has no name but holds data; give it a header"
            raise DoppelInputError(f"{label}: {problem}")
    duplicates = sorted(n for n, k in Counter(header[p] for p in keep).items() if k > 1)
    if duplicates:
        raise DoppelInputError(f"{label}: duplicate column names {', '.join(map(repr, duplicates))}"
                               "; rename one of them")
    if not keep:
        raise DoppelInputError(f"{label} has no column names: the first row must be a header")
    frame = frame[keep]
    frame.columns = [header[p] for p in keep]
    frame = frame.dropna(how="all").reset_index(drop=True)
    if frame.empty:
        raise DoppelInputError(f"{label} has a header but no rows: add data rows below the header")
    return frame
