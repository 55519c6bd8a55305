"""Message boxes that tests can intercept (a hook instead of a blocking modal dialog)."""

from __future__ import annotations

import sys
import traceback
from typing import Callable

from desktop_app.qt import QMessageBox, QWidget

#: When set, called with (level, title, text) instead of showing a dialog; returns the answer
#: for questions (True = yes). Tests install it; the running app leaves it None.
MessageHook = Callable[[str, str, str], bool | None]
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


def show_info(parent: QWidget | None, text: str, title: str = "Doppel") -> None:
    if _hook is not None:
        _hook("info", title, text)
        return
    QMessageBox.information(parent, title, text)


def ask(parent: QWidget | None, text: str, title: str = "Doppel") -> bool:
    if _hook is not None:
        return bool(_hook("question", title, text))
    answer = QMessageBox.question(parent, title, text, QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
    return answer == QMessageBox.Yes


def unexpected(error: BaseException) -> str:
    """A bug's one-line message for the user; the traceback goes to stderr only."""
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    first = str(error).splitlines()[0] if str(error) else ""
    return f"Unexpected error ({type(error).__name__}{': ' + first if first else ''}). Please report it."
