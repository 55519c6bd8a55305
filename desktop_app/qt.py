"""The one place the desktop app imports Qt from (Anki's ``aqt.qt`` idea).

Every other module does ``from desktop_app.qt import ...``; swapping bindings or pinning
behaviour (high-DPI policy) happens here only.
"""

from __future__ import annotations

from PySide6.QtCore import (QAbstractTableModel, QByteArray, QCoreApplication, QEvent, QModelIndex, QObject,
                            QSettings, QSize, Qt, QThread, QTimer, QUrl, Signal, Slot)
from PySide6.QtGui import (QAction, QActionGroup, QCloseEvent, QColor, QDragEnterEvent, QDropEvent, QFont,
                           QGuiApplication, QIcon, QKeySequence, QPalette, QPixmap, QResizeEvent, QShortcut)
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QButtonGroup, QCheckBox, QComboBox,
                               QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QGridLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QInputDialog, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QMainWindow, QMessageBox, QPlainTextEdit, QProgressBar,
                               QPushButton, QScrollArea, QSizePolicy, QSpinBox, QSplitter, QStackedWidget, QStatusBar,
                               QStyledItemDelegate, QTableView, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

__all__ = [name for name in dir() if name.startswith("Q") or name in ("Qt", "Signal", "Slot")]
