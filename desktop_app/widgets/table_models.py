"""Qt item models over engine objects (a table's rows, the editable schema) and the combo-box
editor of the schema's choice cells."""

from __future__ import annotations

from typing import Any

import pandas as pd

from desktop_app.qt import (QAbstractItemModel, QAbstractTableModel, QColor, QComboBox, QFont, QModelIndex, QObject,
                            QStyledItemDelegate, QStyleOptionViewItem, Qt, QWidget, Signal)
from engine.app import declaring, presenters
from engine.app.types import DoppelInputError, Kind, Role, Schema


class DataFrameModel(QAbstractTableModel):
    """Read-only view of a frame; cells are formatted only when Qt asks (lazy, any row count)."""

    def __init__(self, frame: pd.DataFrame | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._frame = frame if frame is not None else pd.DataFrame()

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.beginResetModel()
        self._frame = frame
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._frame.shape[1]

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if role == Qt.DisplayRole and index.isValid():
            return presenters.cell_text(self._frame.iat[index.row(), index.column()])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Horizontal:
            return str(self._frame.columns[section])
        return str(section + 1)


class SchemaModel(QAbstractTableModel):
    """The schema being edited, one row per column: every fact at a glance (each edit declares its
    column), the suggestion taken from the column's name, and the forecast of the chosen run."""

    HEADERS = ("Column", "Facts", "Kind", "Role", "Format", "Min", "Max", "Categories", "Suggested", "Forecast")
    HEADER_TIPS = (None, "Declared (public) or measured under DP", None, None, "Date formats, decimals, flag spelling",
                   "Public minimum: declared, no ε spent", "Public maximum: declared, no ε spent",
                   "Public category list: declared, no ε spent",
                   "Suggested from the column's name alone; double-click to accept",
                   "Forecast at the chosen ε: learned well, coarsely or not at all")
    FIELDS = (None, "declared", "kind", "role", None, "public_min", "public_max", "public_categories", None, None)
    DECLARED, MEASURED = "declared", "measured (DP)"
    CHOICES = {1: [DECLARED, MEASURED], 2: [k.value for k in Kind], 3: [r.value for r in Role]}
    SUGGESTION, FORECAST = 8, 9
    OUTCOME_COLORS = {"well": QColor(40, 150, 70), "coarse": QColor(200, 140, 30), "not learned": QColor(200, 70, 50),
                      "excluded": QColor(128, 128, 128)}

    edit_failed = Signal(str)
    edited = Signal()          # a cell was changed in place (the schema object is the same)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.schema: Schema | None = None
        self.proposals: dict[str, Any] = {}
        self.forecast: Any = None

    def set_schema(self, schema: Schema | None) -> None:
        self.beginResetModel()
        self.schema = schema
        self.endResetModel()

    def set_extras(self, proposals: dict[str, Any], forecast: Any) -> None:
        """The name suggestions and the forecast shown beside the schema (both may change alone)."""
        self.proposals, self.forecast = proposals, forecast
        if self.schema is not None and self.schema.columns:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.schema.columns) - 1, self.FORECAST))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.schema is None else len(self.schema.columns)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def _outcome(self, name: str) -> Any:
        if self.forecast is None:
            return None
        return next((c for c in self.forecast.columns if c.name == name), None)

    def _text(self, row: int, col: int) -> str:
        c = self.schema.columns[row]
        if col == 0:
            return c.name
        if col == 1:
            return self.DECLARED if c.declared else self.MEASURED
        if col == 3:
            return c.role.value + (f" ({c.fake})" if c.role is Role.FAKE and c.fake else "")
        if col == 4:
            return declaring.format_text(c)
        if col == self.SUGGESTION:
            proposal = self.proposals.get(c.name)
            return proposal.text if proposal is not None else ""
        if col == self.FORECAST:
            outcome = self._outcome(c.name)
            return "…" if outcome is None else outcome.outcome
        return declaring.field_text(c, self.FIELDS[col])

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if self.schema is None or not index.isValid():
            return None
        row, col = index.row(), index.column()
        column = self.schema.columns[row]
        if role in (Qt.DisplayRole, Qt.EditRole):
            return self._text(row, col)
        if role == Qt.ToolTipRole:
            return self._tooltip(column, col)
        if role == Qt.FontRole and col in (2, 4) and not column.declared:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ForegroundRole:
            if col == self.FORECAST and self._outcome(column.name) is not None:
                return self.OUTCOME_COLORS.get(self._outcome(column.name).outcome)
            if column.role in (Role.DROP, Role.IDENTIFIER) or (col in (2, 4) and not column.declared):
                return QColor(128, 128, 128)
        return None

    def _tooltip(self, column: Any, col: int) -> str | None:
        if col == 1:
            return ("Declared: public by your declaration, stored with the model, nothing spent to decide it."
                    if column.declared else
                    "Measured under DP: a private survey decides its kind, format and range; the facts shown are a "
                    "local guess, never stored. Editing any fact declares the column.")
        if col == 3 and column.pii:
            return f"Flagged as personal data: {column.pii}. Excluded unless you change its role."
        if col in (5, 6, 7):
            return "Declared public: no privacy budget is spent on it, and the output stays inside it."
        if col == self.SUGGESTION and column.name in self.proposals:
            return f"Assumption from the name alone: {self.proposals[column.name].suggestion.reason}. Accept to declare it."
        if col == self.FORECAST and self._outcome(column.name) is not None:
            outcome = self._outcome(column.name)
            return outcome.reason + (f"\nIf declared: {outcome.if_declared}" if outcome.if_declared else "")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ToolTipRole:
            return self.HEADER_TIPS[section]
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        base = super().flags(index)
        if index.isValid() and self.FIELDS[index.column()] is not None:
            return base | Qt.ItemIsEditable
        return base

    def setData(self, index: QModelIndex, value: Any, role: int = Qt.EditRole) -> bool:
        if self.schema is None or role != Qt.EditRole or self.FIELDS[index.column()] is None:
            return False
        column = self.schema.columns[index.row()]
        field = self.FIELDS[index.column()]
        try:
            if field == "declared":
                declaring.set_declared(column, str(value) == self.DECLARED)
            else:
                declaring.set_column_field(column, field, str(value))
        except (DoppelInputError, ValueError) as error:
            self.edit_failed.emit(str(error))
            return False
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), self.columnCount() - 1))
        self.edited.emit()
        return True


class ChoiceDelegate(QStyledItemDelegate):
    """A combo box for the kind and role cells."""

    def __init__(self, choices: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> QWidget:  # noqa: N802
        combo = QComboBox(parent)
        combo.addItems(self.choices)
        return combo

    def setEditorData(self, editor: QComboBox, index: QModelIndex) -> None:  # noqa: N802
        editor.setCurrentText(str(index.data(Qt.EditRole)))

    def setModelData(self, editor: QComboBox, model: QAbstractItemModel, index: QModelIndex) -> None:  # noqa: N802
        model.setData(index, editor.currentText(), Qt.EditRole)
