"""The installed app works offline: ``--self-test`` passes from the source tree, and the
PyInstaller bundle builds and passes it too with the network cut off.

The bundle is built with the interpreter running the tests (``packaging/build.sh --no-venv``:
CI's environment is itself fresh), so it needs the ``package`` extra. It then runs in a new,
empty network namespace (``unshare --net``): no interface but a loopback that is down, so every
``connect()`` fails — checked before the build, with a real connection attempt.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "build" / "dist-cpu" / "Doppel"
CONNECT = ("import socket\n"
           "try:\n    socket.create_connection(('1.1.1.1', 443), timeout=5)\n"
           "except OSError as error:\n    print('refused', error)\n"
           "else:\n    print('connected')")


def self_test(command: list[str], home: Path) -> str:
    """Run ``command --self-test`` offscreen; return its one line (fails the test on exit 1)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DOPPEL_HOME": str(home)}
    done = subprocess.run([*command, "--self-test"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Doppel self-test passed"), done.stdout
    assert list(home.iterdir()) == [], "the self-test touched the user's ledger folder"
    return lines[0]


def test_self_test_passes_from_source(_isolated_home: Path) -> None:
    print(self_test([sys.executable, "-m", "desktop_app"], _isolated_home))


def offline_prefix() -> list[str]:
    """A command prefix under which connecting anywhere fails, proved by trying."""
    for prefix in (["unshare", "--net"], ["unshare", "--net", "--map-root-user"]):
        try:
            probe = subprocess.run([*prefix, sys.executable, "-c", CONNECT], capture_output=True, text=True,
                                   timeout=60)
        except FileNotFoundError:
            break
        if probe.returncode == 0 and probe.stdout.startswith("refused"):
            return prefix
    pytest.skip("cannot cut the network for the bundle here: `unshare --net` is missing or not permitted")


@pytest.mark.skipif(sys.platform != "linux", reason="the Linux bundle is built here; see packaging/README.md")
@pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None,
                    reason="PyInstaller is not installed, so the bundle is not built: pip install -e '.[package]'")
def test_bundle_builds_and_passes_self_test_offline(_isolated_home: Path) -> None:
    offline = offline_prefix()
    build = subprocess.run(["bash", "packaging/build.sh", "--no-venv"], cwd=ROOT, capture_output=True, text=True,
                           env={**os.environ, "PYTHON": sys.executable}, timeout=1800)
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    print(build.stdout[build.stdout.rfind("bundle:"):])

    inside = BUNDLE / "_internal"
    assert (inside / "resources" / "demo" / "employees.csv").is_file()
    assert (inside / "torch" / "testing" / "_internal" / "__init__.py").is_file()   # torch imports it
    for dropped in ("torch/test", "torch/include", "pyarrow/include", "PySide6/Qt/translations"):
        assert not (inside / dropped).exists(), f"{dropped} should have been left out"
    assert not list(inside.rglob("libarrow_flight*")), "pyarrow's Flight client should have been left out"
    assert not list(inside.rglob("libQt6Network*")), "no Qt network code should be bundled"
    assert not [p for p in inside.rglob("*") if p.is_symlink() and not p.exists()], "dangling links"

    print(self_test([*offline, str(BUNDLE / "Doppel")], _isolated_home))
