#!/usr/bin/env bash
# Build the Doppel bundle on Linux or macOS: a clean virtual environment under build/, the
# torch of the chosen variant installed first (so nothing else pulls another torch), then the
# project and PyInstaller, then packaging/doppel.spec. Prints the bundle's size and build time.
#
# Usage: packaging/build.sh [--no-venv]
#   --no-venv   build with the Python already active ($PYTHON, else `python`) instead: CI,
#               whose environment is itself fresh; it needs the "package" extra:
#               pip install -e ".[package]"
# Environment:
#   DOPPEL_TORCH     cpu (default) or cuda
#   TORCH_VERSION    default 2.13.0
#   TORCH_INDEX_URL  where torch comes from; default: PyTorch's CPU index for cpu, PyPI for cuda
#                    (PyPI's Linux wheel is the CUDA build). Set it to "" to use pip's own
#                    configuration (a mirror or a local wheel folder).
#   PYTHON           the Python 3.11+ that makes the venv (default python3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

VARIANT=${DOPPEL_TORCH:-cpu}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
case "$VARIANT" in
  cpu) TORCH_INDEX_URL=${TORCH_INDEX_URL-https://download.pytorch.org/whl/cpu} ;;
  cuda) TORCH_INDEX_URL=${TORCH_INDEX_URL-} ;;
  *) echo "DOPPEL_TORCH must be cpu or cuda, not '$VARIANT'" >&2; exit 2 ;;
esac
DIST=build/dist-$VARIANT
WORK=build/pyinstaller-$VARIANT

started=$(date +%s)
if [[ "${1:-}" == "--no-venv" ]]; then
  PY=${PYTHON:-$(command -v python)}
else
  VENV=build/venv-$VARIANT
  rm -rf "$VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
  PY=$VENV/bin/python
  "$PY" -m pip install --quiet --upgrade pip
  torch_args=("torch==$TORCH_VERSION")
  [[ -n "$TORCH_INDEX_URL" ]] && torch_args+=(--index-url "$TORCH_INDEX_URL")
  "$PY" -m pip install --quiet "${torch_args[@]}"
  "$PY" -m pip install --quiet ".[package]"
fi

# the variant is the torch that is installed, whatever the index said
"$PY" - "$VARIANT" <<'EOF'
import sys
import torch
cuda = torch.version.cuda
if (sys.argv[1] == "cuda") != (cuda is not None):
    sys.exit(f"torch {torch.__version__} (CUDA {cuda}) is not a {sys.argv[1]} build; check TORCH_INDEX_URL")
print(f"building with torch {torch.__version__} (CUDA {cuda})")
EOF
"$PY" -c "import PyInstaller" 2>/dev/null || { echo "PyInstaller is missing: pip install -e '.[package]'" >&2; exit 2; }
environment_done=$(date +%s)

"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$DIST" --workpath "$WORK" packaging/doppel.spec
done_at=$(date +%s)

bundle=$DIST/Doppel
[[ -d "$DIST/Doppel.app" ]] && bundle=$DIST/Doppel.app
echo "bundle: $bundle"
echo "size on disk: $(du -sh "$bundle" | cut -f1) ($(find "$bundle" -type f | wc -l | tr -d ' ') files)"
echo "build time: $((done_at - started)) s ($((environment_done - started)) s environment, $((done_at - environment_done)) s PyInstaller)"
