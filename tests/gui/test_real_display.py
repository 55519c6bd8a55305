"""The first start on Linux (issue 14 item 1): the real app under a real X server when Xvfb is
installed, and one line naming what to install when Qt's X11 plugin cannot load."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app import display_check

LINUX = sys.platform.startswith("linux")


def _app(env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop_app", "--startup-probe"], env=env, capture_output=True,
                          text=True, timeout=timeout)


def _x11_env(home: Path, display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    return {**env, "DISPLAY": display, "DOPPEL_HOME": str(home)}


@pytest.mark.skipif(not LINUX or shutil.which("Xvfb") is None,
                    reason="Xvfb is not on PATH (apt-get install xvfb); the offscreen tests cover the window")
def test_the_real_app_starts_under_a_real_x_server(tmp_path: Path) -> None:
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as answer:
            display = ":" + answer.readline().strip()
        env = _x11_env(tmp_path, display)
        missing = display_check.missing_libraries(display_check.xcb_plugin()) if display_check.xcb_plugin() else []
        done = _app(env)
        if missing:    # the machine lacks Qt's X11 libraries: the app says what to install, in one line
            assert done.returncode == 1 and done.stderr.strip() == display_check.install_line(missing)
            return
        assert done.returncode == 0, done.stderr[-2000:]
        assert "window shown after" in done.stdout and "demo table loaded after" in done.stdout
        assert "Traceback" not in done.stderr and "qt.qpa.plugin" not in done.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_missing_x11_libraries_are_named_in_one_line_instead_of_qts_message(tmp_path: Path) -> None:
    plugin = display_check.xcb_plugin() if LINUX else None
    missing = display_check.missing_libraries(plugin) if plugin else []
    if not missing:
        pytest.skip("every library Qt's X11 plugin needs is installed here")
    done = _app(_x11_env(tmp_path, ":98"), timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line == display_check.install_line(missing) and "Reinstalling" not in line
    assert all(display_check.PACKAGES[name][0] in line for name in missing if name in display_check.PACKAGES)


def test_the_install_line_names_debian_and_fedora_packages() -> None:
    line = display_check.install_line(["libxcb-cursor.so.0", "libxkbcommon-x11.so.0", "libfoo.so.9"])
    assert "sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0'" in line
    assert "sudo dnf install xcb-util-cursor libxkbcommon-x11'" in line
    assert "(libxcb-cursor.so.0, libxkbcommon-x11.so.0, libfoo.so.9)" in line and "\n" not in line


def test_no_display_is_said_plainly(tmp_path: Path) -> None:
    if not LINUX:
        pytest.skip("Linux only")
    env = _x11_env(tmp_path, "")
    done = _app(env, timeout=60)
    assert done.returncode == 1 and "no display was found (DISPLAY is not set)" in done.stderr
