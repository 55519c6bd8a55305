#!/usr/bin/env bash
# Wrap the PyInstaller bundle in a .deb: the app in /opt/doppel, `doppel-gui` on the PATH, a menu
# entry and the SVG icon. Run after packaging/build.sh, on the oldest distribution you support
# (the bundle carries that system's libraries; Depends names the glibc it needs).
#
# Usage: packaging/linux/build_deb.sh [BUNDLE_DIR]     (default build/dist-cpu/Doppel)
# Environment: DEB_COMPRESSION xz (default; every dpkg reads it) or zstd or gzip
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUNDLE=${1:-build/dist-cpu/Doppel}
[[ -x "$BUNDLE/Doppel" ]] || { echo "no bundle at $BUNDLE: run packaging/build.sh first" >&2; exit 2; }

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
ARCH=$(dpkg --print-architecture)
STAGE=build/deb/doppel_${VERSION}_${ARCH}
OUT=build/doppel_${VERSION}_${ARCH}.deb

rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
         "$STAGE/usr/share/icons/hicolor/scalable/apps"
cp -a "$BUNDLE" "$STAGE/opt/doppel"
ln -s /opt/doppel/Doppel "$STAGE/usr/bin/doppel-gui"
install -m 644 resources/icons/doppel.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/doppel.svg"
install -m 644 packaging/linux/doppel.desktop "$STAGE/usr/share/applications/doppel.desktop"

# the newest glibc symbol version any bundled file uses is the oldest glibc it runs on
# (objdump fails on the odd non-ELF file named *.so*; that is fine)
GLIBC=$({ find "$STAGE/opt/doppel" -type f \( -name '*.so*' -o -name Doppel \) -exec objdump -T {} + 2>/dev/null || true; } \
        | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
# what the bundled Qt loads from the system: GL/EGL, the X11 and Wayland client libraries
cat > "$STAGE/DEBIAN/control" <<EOF
Package: doppel
Version: $VERSION
Architecture: $ARCH
Maintainer: Doppel release owner <doppel@example.invalid>
Installed-Size: $(du -sk "$STAGE/opt" | cut -f1)
Depends: libc6 (>= $GLIBC), libgl1, libegl1, libxcb1, libxcb-icccm4, libxcb-keysyms1, libwayland-client0, libwayland-cursor0, libwayland-egl1, fontconfig
Recommends: libgtk-3-0
Section: science
Priority: optional
Description: Differentially private synthetic employee tables, offline
 Doppel trains a differentially private generator on an HR table on this
 computer and exports a synthetic table. It never connects to a network.
 Check an installation with: doppel-gui --self-test
EOF

dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$STAGE" "$OUT" >/dev/null
echo "package: $OUT ($(du -h "$OUT" | cut -f1), needs glibc >= $GLIBC)"
