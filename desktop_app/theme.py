"""Light and dark themes (Fusion + palette + a small style sheet), following the system by default."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_app.qt import QApplication, QColor, QGuiApplication, QIcon, QPalette, Qt

# beside the packages in a source tree; in a PyInstaller bundle, where packaging/doppel.spec put them
RESOURCES = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1])) / "resources"
THEMES = ("system", "light", "dark")


def icon(name: str) -> QIcon:
    return QIcon(str(RESOURCES / "icons" / f"{name}.svg"))


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def is_dark(mode: str) -> bool:
    return system_is_dark() if mode == "system" else mode == "dark"


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(45, 47, 50), QColor(33, 35, 38), QColor(230, 230, 230)
    for role, color in ((QPalette.Window, window), (QPalette.WindowText, text), (QPalette.Base, base),
                        (QPalette.AlternateBase, QColor(40, 42, 45)), (QPalette.ToolTipBase, window),
                        (QPalette.ToolTipText, text), (QPalette.Text, text), (QPalette.Button, window),
                        (QPalette.ButtonText, text), (QPalette.BrightText, QColor(255, 90, 90)),
                        (QPalette.Highlight, QColor(59, 125, 216)), (QPalette.HighlightedText, QColor(255, 255, 255)),
                        (QPalette.Link, QColor(110, 160, 240)), (QPalette.PlaceholderText, QColor(140, 140, 140))):
        p.setColor(role, color)
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        p.setColor(QPalette.Disabled, role, QColor(120, 120, 120))
    return p


def apply_theme(app: QApplication, mode: str) -> bool:
    """Apply ``mode`` (system / light / dark); returns whether the result is dark."""
    dark = is_dark(mode)
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet((RESOURCES / "styles" / ("dark.qss" if dark else "light.qss")).read_text(encoding="utf-8"))
    return dark
