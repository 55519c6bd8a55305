"""The one place the desktop app imports Qt from (Anki's ``aqt.qt`` idea).

Every other module does ``from desktop_app.qt import ...``; swapping bindings or pinning
behaviour (high-DPI policy) happens here only.
"""

from __future__ import annotations

from PySide6.QtCore import (QAbstractItemModel, QAbstractTableModel, QByteArray, QCoreApplication, QModelIndex,
                            QObject, QSettings, QSize, Qt, QThread, QTimer, Signal, Slot)
from PySide6.QtGui import (QAction, QActionGroup, QCloseEvent, QColor, QDragEnterEvent, QDropEvent, QFont,
                           QGuiApplication, QIcon, QKeySequence, QPalette, QPixmap, QResizeEvent)
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QMenu, QMessageBox,
                               QPlainTextEdit, QProgressBar, QPushButton, QScrollArea, QSizePolicy, QSpinBox,
                               QSplitter, QStackedWidget, QStyledItemDelegate, QStyleOptionViewItem, QTableView,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

__all__ = ["QAbstractItemModel", "QAbstractItemView", "QAbstractTableModel", "QAction", "QActionGroup", "QApplication",
           "QByteArray", "QCheckBox", "QCloseEvent", "QColor", "QComboBox", "QCoreApplication", "QDoubleSpinBox",
           "QDragEnterEvent", "QDropEvent", "QFileDialog", "QFont", "QFormLayout", "QGridLayout", "QGroupBox",
           "QGuiApplication", "QHBoxLayout", "QHeaderView", "QIcon", "QInputDialog", "QKeySequence", "QLabel",
           "QLineEdit", "QListWidget", "QListWidgetItem", "QMainWindow", "QMenu", "QMessageBox",
           "QModelIndex", "QObject", "QPalette", "QPixmap", "QPlainTextEdit", "QProgressBar", "QPushButton",
           "QResizeEvent", "QScrollArea", "QSettings", "QSize", "QSizePolicy", "QSpinBox", "QSplitter",
           "QStackedWidget", "QStyleOptionViewItem", "QStyledItemDelegate", "QTableView", "QTableWidget",
           "QTableWidgetItem", "QThread", "QTimer", "QVBoxLayout", "QWidget", "Qt", "Signal", "Slot"]
