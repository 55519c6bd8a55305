"""pytest-qt fixtures for the desktop app: a real window over the real engine, offscreen."""

from __future__ import annotations

import gc
import os
import warnings
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop_app.pages import DataPage  # noqa: E402
from desktop_app.qt import QSettings, QThread  # noqa: E402
from desktop_app.widgets import dialogs  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"


def _running_qthreads() -> list[QThread]:
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        candidates = [obj for obj in gc.get_objects() if isinstance(obj, QThread)]
    for obj in candidates:
        try:
            if obj.isRunning():
                found.append(obj)
        except RuntimeError:  # the C++ object is already gone
            pass
    return found


@pytest.fixture(autouse=True)
def _no_qthread_left_running(qapp):  # noqa: ANN001
    """Fail any test that leaves a QThread running (napari's fixture idea)."""
    yield
    running = _running_qthreads()
    for thread in running:  # stop them so the next test and interpreter exit stay sane
        thread.quit()
        thread.wait(30_000)
    assert not running, f"test left {len(running)} QThread(s) running: {[t.objectName() for t in running]}"


@pytest.fixture
def messages():
    """Dialogs recorded instead of shown: a list of (level, title, text)."""
    seen: list[tuple[str, str, str]] = []

    def hook(level: str, title: str, text: str) -> None:
        seen.append((level, title, text))

    dialogs.set_message_hook(hook)
    yield seen
    dialogs.set_message_hook(None)


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def window(qtbot, messages, settings_path):  # noqa: ANN001
    from desktop_app.main_window import MainWindow

    win = MainWindow(QSettings(str(settings_path), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    win.wait_for_workers()


@pytest.fixture
def demo_window(window, qtbot):  # noqa: ANN001
    data = window.page(DataPage)
    with qtbot.waitSignal(data.table_loaded, timeout=60_000):
        data.open_demo()
    return window


@pytest.fixture
def shot(qtbot):  # noqa: ANN001
    """Save a screenshot of a widget to build/screenshots/NAME.png (after pending redraws)."""

    def save(widget, name: str) -> Path:  # noqa: ANN001
        qtbot.wait(400)  # let the throttled plot redraw and layouts settle
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        assert widget.grab().save(str(path)), f"could not save {path}"
        return path

    return save


@pytest.fixture
def shots(shot):  # noqa: ANN001
    """Screenshots of the window in the light and the dark theme: NAME.png and NAME-dark.png."""

    def save(window, name: str) -> None:  # noqa: ANN001
        theme = window.theme
        for mode, suffix in (("light", ""), ("dark", "-dark")):
            window.set_theme(mode)
            shot(window, name + suffix)
        window.set_theme(theme)

    return save
