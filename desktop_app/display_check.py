"""Before Qt starts: can it open a window here? If not, one line saying what to install.

On Linux, Qt draws through its X11 platform plugin (``libqxcb.so``), which needs system
libraries that a pip install cannot bring (libxcb-cursor0 and friends). When one is missing, Qt
aborts the process inside ``QApplication`` with "Could not load the Qt platform plugin xcb …
Reinstalling the application may fix this problem", which cannot be caught and points the wrong
way. So before the application is built we load that plugin ourselves — the same ``dlopen``
Qt would make, a few milliseconds, no child process — and when it fails, ``ldd`` names every
missing library and we print the packages that provide them. Nothing here imports Qt.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: The libraries Qt's X11 plugin needs that minimal Linux installs lack: (Debian/Ubuntu, Fedora) package.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
}
_NOT_FOUND = re.compile(r"^\s*(\S+) => not found", re.MULTILINE)
_CANNOT_OPEN = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")


def display_problem() -> str | None:
    """Why Qt could not open a window on this machine, in one line; None when it can (or when we
    cannot tell: another platform, a Wayland session, the plugin not where PySide6 keeps it)."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    if platform not in ("", "xcb") or (not platform and os.environ.get("WAYLAND_DISPLAY")):
        return None
    if not os.environ.get("DISPLAY"):
        return ("Doppel cannot open its window: no display was found (DISPLAY is not set). Start it from a desktop "
                "session, or use the command line ('doppel --help') on a server.")
    plugin = xcb_plugin()
    if plugin is None:
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as error:
        return install_line(missing_libraries(plugin) or _CANNOT_OPEN.findall(str(error)))
    return None


def xcb_plugin() -> Path | None:
    """Where PySide6 keeps Qt's X11 platform plugin (in a source install and in the bundle)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """Every library ``plugin`` needs that the system lacks (by ``ldd``; empty when it cannot tell)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        listed = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return list(dict.fromkeys(_NOT_FOUND.findall(listed)))


def install_line(missing: list[str]) -> str:
    """One line naming the missing libraries and the packages that provide them."""
    known = [PACKAGES[name] for name in missing if name in PACKAGES]
    debian = " ".join(dict.fromkeys(d for d, _ in known)) or " ".join(d for d, _ in PACKAGES.values())
    fedora = " ".join(dict.fromkeys(f for _, f in known)) or " ".join(dict.fromkeys(f for _, f in PACKAGES.values()))
    libraries = ", ".join(missing) or "some of them"
    return (f"Doppel cannot open its window: Qt's X11 plugin needs system libraries this machine lacks ({libraries}). "
            f"Install them with 'sudo apt-get install {debian}' (Debian, Ubuntu) or 'sudo dnf install {fedora}' "
            "(Fedora), then start Doppel again; the README lists them.")
