"""Render resources/icons/doppel.svg for the installers (run by doppel.spec at build time).

The SVG is the one source of the app icon; raster copies are generated, never committed.
A ``.png`` (macOS: PyInstaller turns it into the .icns) or a multi-size ``.ico`` (Windows: the
exe and the Inno Setup installer share it; Pillow writes it).
Usage: ``python packaging/render_icon.py OUT.png|OUT.ico [SIZE]``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SVG = Path(__file__).resolve().parents[1] / "resources" / "icons" / "doppel.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(out: Path, size: int = 1024) -> Path:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QPainter wants one
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    png = out.with_suffix(".png")
    if not image.save(str(png), "PNG"):
        raise SystemExit(f"could not write {png}")
    if out.suffix.lower() == ".ico":
        from PIL import Image  # Pillow comes with matplotlib

        Image.open(png).save(out, sizes=[(s, s) for s in ICO_SIZES])
    return out


if __name__ == "__main__":
    render(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1024)
