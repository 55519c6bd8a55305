"""What every step page shares: a title from :data:`engine.app.session.STEPS`, a hint, the
:class:`~desktop_app.context.Context` it works through, and the hooks the window calls."""

from __future__ import annotations

from typing import ClassVar

from desktop_app.context import Context
from desktop_app.qt import QLabel, QPushButton, QSplitter, Qt, QVBoxLayout, QWidget
from engine.app.session import STEPS, Session


def primary(text: str) -> QPushButton:
    """The page's main button (styled by the theme's ``#primary`` rule)."""
    button = QPushButton(text)
    button.setObjectName("primary")
    return button


def stacked(top: QWidget, bottom: QWidget, stretch: tuple[int, int]) -> QSplitter:
    """Two widgets one above the other, the user dragging the border; ``stretch`` shares extra height."""
    splitter = QSplitter(Qt.Vertical)
    for index, widget in enumerate((top, bottom)):
        splitter.addWidget(widget)
        splitter.setStretchFactor(index, stretch[index])
    return splitter


class Page(QWidget):
    """One step of the window. Subclasses set ``step`` (a name in STEPS) and ``hint``, lay out
    their widgets, show the session in :meth:`refresh`, and do what their buttons ask."""

    step: ClassVar[str]
    hint: ClassVar[str]

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 12, 16, 12)
        header = QWidget()
        header_layout = QVBoxLayout(header)
        header_layout.setContentsMargins(0, 0, 0, 6)
        title = QLabel({s.name: s.label for s in STEPS}[self.step])
        title.setObjectName("pageTitle")
        sub = QLabel(self.hint)
        sub.setObjectName("hint")
        sub.setWordWrap(True)
        header_layout.addWidget(title)
        header_layout.addWidget(sub)
        self.layout_.addWidget(header)

    @property
    def session(self) -> Session:
        return self.context.session

    def refresh(self) -> None:
        """Show the session's current state (the window calls it whenever the state changed)."""

    def entered(self) -> None:
        """The user opened this page."""
        self.refresh()

    def set_dark(self, dark: bool) -> None:
        """The theme changed (pages with plots recolour them)."""
