"""Error dialogs that tests can intercept (a hook instead of a blocking modal dialog), and file
choosers that start in the folder the user last used."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Callable

from desktop_app.qt import QFileDialog, QMessageBox, QSettings, QWidget

#: When set, called with (level, title, text) instead of showing a dialog. Tests install it;
#: the running app leaves it None.
MessageHook = Callable[[str, str, str], object]
_hook: MessageHook | None = None


def set_message_hook(hook: MessageHook | None) -> None:
    global _hook
    _hook = hook


def show_error(parent: QWidget | None, text: str, title: str = "Doppel") -> None:
    """The engine's one-line message in a dialog; never a traceback."""
    if _hook is not None:
        _hook("error", title, text)
        return
    QMessageBox.critical(parent, title, text)


def unexpected(error: BaseException) -> str:
    """A bug's one-line message for the user; the traceback goes to stderr only."""
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    first = str(error).splitlines()[0] if str(error) else ""
    return f"Unexpected error ({type(error).__name__}{': ' + first if first else ''}). Please report it."


# ------------------------------------------------------------------------------ file choosers

def last_folder(settings: QSettings) -> Path:
    """Where the last file was opened or saved (the home folder at first)."""
    return Path(str(settings.value("last_folder", str(Path.home()))))


def remember_folder(settings: QSettings, path: str | Path) -> None:
    settings.setValue("last_folder", str(Path(path).parent))


def choose_open_path(parent: QWidget, settings: QSettings, title: str, filters: str) -> str:
    """A file to read, starting in the remembered folder ("" when the user cancels)."""
    path, _ = QFileDialog.getOpenFileName(parent, title, str(last_folder(settings)), filters)
    return path


def choose_save_path(parent: QWidget, settings: QSettings, title: str, name: str, filters: str) -> str:
    """Where to write a file called ``name`` by default, in the remembered folder ("" when cancelled)."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(last_folder(settings) / name), filters)
    return path
