#!/usr/bin/env bash
# Wrap Doppel.app (from packaging/build.sh on a Mac) in a compressed disk image with an
# Applications link, so installing is a drag. Sign and notarise as in packaging/README.md.
#
# Usage: packaging/macos/make_dmg.sh [APP]      (default build/dist-cpu/Doppel.app)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
APP=${1:-build/dist-cpu/Doppel.app}
[[ -d "$APP" ]] || { echo "no app at $APP: run packaging/build.sh first" >&2; exit 2; }

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
STAGE=build/dmg
OUT=build/Doppel-$VERSION-$(uname -m).dmg
rm -rf "$STAGE" "$OUT"
mkdir -p "$STAGE"
ditto "$APP" "$STAGE/Doppel.app"          # ditto keeps symlinks, extended attributes and signatures
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Doppel $VERSION" -srcfolder "$STAGE" -fs HFS+ -format ULFO -ov "$OUT"
echo "disk image: $OUT ($(du -h "$OUT" | cut -f1))"
