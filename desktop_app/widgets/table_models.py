"""Qt item models over engine objects (the table preview, the editable schema) and the combo-box
editor of the schema's choice cells."""

from __future__ import annotations

from typing import Any

import pandas as pd

from desktop_app.qt import (QAbstractItemModel, QAbstractTableModel, QColor, QComboBox, QModelIndex, QObject,
                            QStyledItemDelegate, QStyleOptionViewItem, Qt, QWidget, Signal)
from engine.app import presenters
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
    """The inferred schema, one row per column; kind, role and public declarations are editable."""

    HEADERS = ("Column", "Kind", "Role", "PII (why flagged)", "Missing", "Public min", "Public max",
               "Public categories")
    FIELDS = (None, "kind", "role", None, None, "public_min", "public_max", "public_categories")
    CHOICES = {1: [k.value for k in Kind], 2: [r.value for r in Role]}

    edit_failed = Signal(str)
    edited = Signal()          # a cell was changed in place (the schema object is the same)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.schema: Schema | None = None

    def set_schema(self, schema: Schema | None) -> None:
        self.beginResetModel()
        self.schema = schema
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.schema is None else len(self.schema.columns)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def _text(self, row: int, col: int) -> str:
        c = self.schema.columns[row]
        if col == 0:
            return c.name
        if col == 1:
            return c.kind.value
        if col == 2:
            return c.role.value + (f" ({c.fake})" if c.role is Role.FAKE and c.fake else "")
        if col == 3:
            return c.pii or ""
        if col == 4:
            return "" if c.missing_rate is None else f"{c.missing_rate:.0%}"
        if col == 5:
            return "" if c.public_min is None else str(c.public_min)
        if col == 6:
            return "" if c.public_max is None else str(c.public_max)
        return presenters.public_categories_text(c)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if self.schema is None or not index.isValid():
            return None
        row, col = index.row(), index.column()
        column = self.schema.columns[row]
        if role == Qt.DisplayRole:
            return self._text(row, col)
        if role == Qt.EditRole:
            return column.kind.value if col == 1 else column.role.value if col == 2 else self._text(row, col)
        if role == Qt.ToolTipRole:
            if col == 3 and column.pii:
                return f"Flagged as personal data: {column.pii}. Excluded unless you change its role."
            if col in (5, 6, 7):
                return "Declared public: no privacy budget is spent on it, and the output stays inside it."
        if role == Qt.ForegroundRole and column.role in (Role.DROP, Role.IDENTIFIER):
            return QColor(128, 128, 128)
        if role == Qt.ForegroundRole and col == 3 and column.pii:
            return QColor(200, 70, 50)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.HEADERS[section]
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
        try:
            presenters.set_column_field(column, self.FIELDS[index.column()], str(value))
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
