#!/usr/bin/env bash
# Carry the light install to a machine that has Python and torch but no time
# to compile (a lent GPU server): its wheels are all pure Python, so nothing
# is built there.
#
#   bash tools/benchmark/carry_light_stack.sh pack [DIR]     # here: wheels into DIR (default .whl)
#   bash tools/benchmark/carry_light_stack.sh install [DIR] [TARGET]
#        # there: install DIR's wheels into TARGET (default /tmp/site) with
#        # $PYTHON (default python3),
#        # without an index or dependency resolution; then
#        # export PYTHONPATH=TARGET:<checkout>
#
# The pack: mmcv 2.1.0 without compiled ops (the light install's cached
# wheel, built if missing), mmengine, mmpretrain, numpy and setuptools at the
# versions requirements/ pins, and the pure-Python needs of these that a
# torch machine lacks (addict, termcolor, yapf, platformdirs, mat4py,
# modelindex, model-index, ordered-set, importlib-metadata). torch,
# torchvision, opencv, matplotlib, rich, einops, scipy and scikit-learn come
# from the machine. Then, there, for example:
#
#   python tools/dataset_converters/make_synthetic_msde.py  # the config's folder
#   python tools/benchmark/train_speed.py \
#       configs/baseline/resnet18_1xb256-amp-adam-24e_synthetic-msde-224-fast.py \
#       --variants mmsde data --precisions fp32-cl --epochs 2
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}  # pack's pip (install: the machine's python3)
CACHE=${MMSDE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmsde}
PURE=(addict termcolor yapf platformdirs mat4py modelindex model-index ordered-set importlib-metadata zipp)

die() { printf '[carry] ERROR: %s\n' "$*" >&2; exit 1; }

# the pin of a package in requirements/*.txt, e.g. "mmengine==0.10.7"
pin() { grep -h "^$1[=<>]" "$ROOT"/requirements/*.txt | head -1; }

pack() {
  local dir=${1:-$ROOT/.whl}
  mkdir -p "$dir"
  local noops="$CACHE/mmcv-2.1.0-noops"
  if ! ls "$noops"/mmcv-*.whl >/dev/null 2>&1; then
    VENV=$(dirname "$(dirname "$PY")") bash "$ROOT/tools/install.sh" \
      || die "could not build the mmcv wheel without ops"
  fi
  cp "$noops"/mmcv-*.whl "$dir"/
  # pure-Python wheels (the machine's Python version does not matter)
  "$PY" -m pip download -q --no-deps --only-binary=:all: -d "$dir" \
    "$(pin mmengine)" "$(pin mmpretrain)" "$(pin setuptools)" "${PURE[@]}" \
    || die "pip could not download the pure-Python wheels"
  # numpy is compiled: for the machine's Python (TARGET_PYTHON, default
  # 3.12, the lent GPU machines')
  "$PY" -m pip download -q --no-deps --only-binary=:all: -d "$dir" \
    --python-version "${TARGET_PYTHON:-3.12}" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 "$(pin numpy)" \
    || die "pip could not download numpy for Python ${TARGET_PYTHON:-3.12}"
  printf '[carry] %s: %s wheels, %s\n' "$dir" "$(ls "$dir"/*.whl | wc -l)" \
    "$(du -sh "$dir" | cut -f1)"
}

install() {
  local dir=${1:-$ROOT/.whl} target=${2:-/tmp/site}
  "${PYTHON:-python3}" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target "$target" "$dir"/*.whl || die "pip could not install $dir/*.whl into $target"
  printf '[carry] installed into %s: export PYTHONPATH=%s:%s\n' \
    "$target" "$target" "$ROOT"
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  install) shift; install "$@" ;;
  *) die "usage: $0 pack [DIR] | install [DIR] [TARGET]" ;;
esac
