"""What each column is and what we may do with it.

A :class:`Schema` is inferred from a table, shown to the user, edited, saved as JSON and passed
back. Kinds, formats, roles and constraints are structural facts the user confirms (public
metadata). Observed statistics such as ``missing_rate`` are kept for display only and are
stripped by :meth:`Schema.public` before anything is written into a model bundle: every
number the model learns from the data goes through a DP mechanism in ``privacy``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import DoppelInputError
from engine.io import atomic_write_bytes
from engine.io import cells as parsing
from engine.schema.kinds import FAKE_PROVIDERS, Kind, Role

SCHEMA_VERSION = 1


@dataclass
class ColumnSchema:
    """One column: kind, role and the user's public declarations.

    ``public_min``/``public_max`` are public bounds: when both are set no budget is spent on
    finding them and generated values are clipped to them. ``public_categories`` is a public
    category list: no threshold is applied and nothing outside it is ever output.
    ``public_missing`` declares whether the column may have empty cells: True keeps an empty
    slot whatever the noise (its share is still measured), False refuses a table with an empty
    cell there; None leaves it to the noisy count of empty cells.
    """

    name: str
    kind: Kind
    role: Role = Role.LEARN
    pii: str | None = None               # why the column was flagged (no values quoted)
    missing_rate: float | None = None    # observed, for display only; never written to a bundle
    date_format: str | None = None
    decimals: int = 0
    true_token: str = "True"
    false_token: str = "False"
    public_min: float | str | None = None
    public_max: float | str | None = None
    public_categories: list[str] | None = None
    public_missing: bool | None = None   # declared: may be empty (True), never empty (False); None: DP decides
    fake: str | None = None              # Faker provider for role FAKE
    more_date_formats: list[str] = field(default_factory=list)  # a mixed column's other formats, in order
    decimal_comma: bool = False          # numbers written 1.234,5: the decimal mark is a comma
    declared: bool = False               # the user confirmed these facts (public); else DP decides them

    def declare(self, **facts: Any) -> "ColumnSchema":
        """Set facts as the user's declaration (public): this column's facts are then not measured."""
        for name, value in facts.items():
            if name not in self.__dataclass_fields__:
                raise AttributeError(name)
            setattr(self, name, value)
        self.declared = True
        return self

    def values(self, series: pd.Series) -> pd.Series:
        """The column's cells as model-ready values: floats for numbers, days for dates,
        labels for categories and booleans (their true/false tokens); missing is NaN/None."""
        if self.kind is Kind.DATE:
            return parsing.to_days(series, [self.date_format or "%Y-%m-%d", *self.more_date_formats])
        if self.kind is Kind.BOOLEAN:
            flags = parsing.to_booleans(series)
            return flags.map({1.0: self.true_token, 0.0: self.false_token}).astype("object")
        if self.kind.numeric:
            return parsing.to_numbers(series, self.decimal_comma)
        return parsing.to_categories(series)

    def check_cells(self, series: pd.Series, source: str) -> None:
        """Refuse a cell this column's kind cannot read, before any budget is spent: learning it
        as missing would quietly misstate the column (e.g. "n/a-ish" in a column set to integer)."""
        textual = self.kind in (Kind.CATEGORICAL, Kind.TEXT)
        if textual and self.public_missing is not False:
            return                                 # every label reads; gaps allowed
        values = self.values(series)
        if not textual:
            unread = (series.notna() & values.isna()).to_numpy()
            if unread.any():
                row = int(np.argmax(unread))
                raise DoppelInputError(
                    f"{source}: column '{self.name}' is {self.kind.value} but row {row + 1} below the header holds "
                    f"{str(series.iloc[row])[:40]!r}, which is not {self.expected()}; fix or empty that cell, or set "
                    "the column's kind to categorical.")
        empty = values.isna().to_numpy()
        if self.public_missing is False and empty.any():
            raise DoppelInputError(
                f"{source}: column '{self.name}' is declared never empty but row {int(np.argmax(empty)) + 1} below "
                "the header is empty; fill that cell, or declare that the column may have empty cells.")

    def expected(self) -> str:
        """What one cell of this column looks like, in words (for messages)."""
        if self.kind is Kind.DATE:
            return f"a date like {pd.Timestamp('2024-03-05').strftime(self.date_format or '%Y-%m-%d')}"
        if self.kind is Kind.BOOLEAN:
            return f"{self.true_token} or {self.false_token}"
        return "a number" if self.kind.numeric else "a label"

    def value_of(self, text: str) -> float | str | None:
        """One value typed by a user (a condition, a bound) read as this column reads its cells;
        None when it is not one."""
        value = self.values(pd.Series([text], dtype="object")).iloc[0]
        return None if pd.isna(value) else (float(value) if self.kind.numeric else str(value))

    def to_output(self, values: np.ndarray) -> pd.Series | pd.api.extensions.ExtensionArray:
        """Typed values (as :meth:`values` gives them) back in the source's form: dates in the
        column's format, whole numbers as nullable integers, labels as text."""
        if self.kind is Kind.DATE:
            return pd.Series(parsing.days_to_text(values, self.date_format or "%Y-%m-%d"), dtype="object")
        if self.kind is Kind.INTEGER:
            return pd.array(np.where(np.isnan(values), None, values).tolist(), dtype="Int64")
        if self.kind.numeric:
            return pd.Series(values, dtype="float64")
        return pd.Series(values, dtype="object")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["role"] = self.role.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str) -> "ColumnSchema":
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise DoppelInputError(f"{source}: a column entry has no 'name'; give every column its name.")
        try:
            kind = Kind(data.get("kind"))
        except ValueError:
            raise DoppelInputError(
                f"{source}: column '{name}' has kind {data.get('kind')!r}; use one of "
                f"{', '.join(k.value for k in Kind)}.") from None
        try:
            role = Role(data.get("role", "learn"))
        except ValueError:
            raise DoppelInputError(
                f"{source}: column '{name}' has role {data.get('role')!r}; use one of "
                f"{', '.join(r.value for r in Role)}.") from None
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise DoppelInputError(
                f"{source}: column '{name}' has unknown field(s) {', '.join(sorted(unknown))}; remove them.")
        column = cls(**{"declared": True, **data, "kind": kind, "role": role})
        if column.public_categories is not None:
            column.public_categories = [str(c) for c in column.public_categories]
        if role is Role.FAKE and column.fake not in FAKE_PROVIDERS:
            column.fake = "text" if column.fake is None else column.fake
            if column.fake not in FAKE_PROVIDERS:
                raise DoppelInputError(
                    f"{source}: column '{name}' asks for fake values {column.fake!r}; use one of "
                    f"{', '.join(FAKE_PROVIDERS)}.")
        if role is Role.LEARN and kind is Kind.TEXT:
            raise DoppelInputError(
                f"{source}: column '{name}' is free text or a key and cannot be learned; "
                "set its role to drop, identifier or fake.")
        return column


@dataclass(frozen=True)
class Constraint:
    """``left <= right`` between two columns of the same numeric kind (e.g. hire ≤ termination)."""

    left: str
    right: str

    def to_json(self) -> dict[str, str]:
        return {"type": "less_equal", "left": self.left, "right": self.right}


@dataclass
class Schema:
    columns: list[ColumnSchema]
    constraints: list[Constraint] = field(default_factory=list)

    def __getitem__(self, name: str) -> ColumnSchema:
        for column in self.columns:
            if column.name == name:
                return column
        raise DoppelInputError(
            f"Unknown column '{name}'; the table has: {', '.join(c.name for c in self.columns)}.")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def learned(self) -> list[ColumnSchema]:
        return [c for c in self.columns if c.role is Role.LEARN]

    @property
    def output(self) -> list[ColumnSchema]:
        """Columns present in a synthetic table, in source order."""
        return [c for c in self.columns if c.role in (Role.LEARN, Role.FAKE)]

    def declare_all(self) -> "Schema":
        """Confirm every column's facts as the user's declaration (what passing a reviewed schema
        file with ``--schema`` does): nothing is then measured to decide them."""
        for column in self.columns:
            column.declared = True
        return self

    def public(self) -> "Schema":
        """The schema without observed statistics (what a model built from DP releases and the
        user's declarations stores)."""
        return Schema([replace(c, missing_rate=None) for c in self.columns], list(self.constraints))

    def declarations(self) -> dict[str, Any]:
        """What the user declared, as JSON: undeclared columns by name only (their inferred facts
        are local, exact functions of the cells, and must not be stored anywhere)."""
        data = self.public().to_json()
        data["columns"] = [c if c["declared"] else {"name": c["name"], "declared": False} for c in data["columns"]]
        return data

    def to_json(self) -> dict[str, Any]:
        return {
            "doppel_schema": SCHEMA_VERSION,
            "columns": [c.to_json() for c in self.columns],
            "constraints": [c.to_json() for c in self.constraints],
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "schema") -> "Schema":
        if not isinstance(data, dict) or data.get("doppel_schema") != SCHEMA_VERSION:
            raise DoppelInputError(
                f"{source} is not a Doppel schema (version {SCHEMA_VERSION}); "
                "create one with 'doppel inspect FILE --json'.")
        columns = [ColumnSchema.from_json(c, source) for c in data.get("columns", [])]
        schema = cls(columns)
        for entry in data.get("constraints", []):
            if entry.get("type") != "less_equal":
                raise DoppelInputError(f"{source}: unknown constraint type {entry.get('type')!r}; use 'less_equal'.")
            schema.add_constraint(str(entry.get("left")), str(entry.get("right")), source)
        if not schema.learned:
            raise DoppelInputError(f"{source}: no column has role 'learn'; set at least one to learn.")
        return schema

    def add_constraint(self, left: str, right: str, source: str = "schema") -> None:
        a, b = self[left], self[right]
        if not (a.kind.numeric and a.kind == b.kind and a.role is b.role is Role.LEARN):
            raise DoppelInputError(
                f"{source}: constraint '{left} <= {right}' needs two learned columns of the same "
                "numeric or date kind.")
        self.constraints.append(Constraint(left, right))

    def save(self, path: str | Path) -> Path:
        return atomic_write_bytes(path, json.dumps(self.to_json(), indent=2).encode("utf-8"))

    @classmethod
    def load(cls, path: str | Path) -> "Schema":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DoppelInputError(f"Schema file {path} not found: check the path.") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DoppelInputError(f"Schema file {path} is not valid JSON ({exc}); fix or recreate it.") from None
        return cls.from_json(data, source=f"Schema file {path.name}")

    def check_matches(self, frame: pd.DataFrame, source: str) -> None:
        """A schema written for another table, or declaring a kind some cell does not fit, is refused
        before any budget is spent."""
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise DoppelInputError(
                f"{source} has no column '{missing[0]}' named in the schema; "
                "fix the schema or infer a new one with 'doppel inspect'.")
        for column in self.learned:
            if column.declared:
                column.check_cells(frame[column.name], source)
