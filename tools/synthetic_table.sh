#!/usr/bin/env bash
# Reproduce the README's results table on the synthetic benchmark: every
# method of mmsde (baselines, paired / SupCon contrastive, distillation) over
# the first NUM_FOLDS subject-disjoint folds of the 10-fold protocol, then one
# mean ± std table (OUT/table.md, OUT/table.csv).
#
#   bash tools/synthetic_table.sh [NUM_FOLDS] [OUT]      # defaults: 10, work_dirs/kfold
#
# Folds run outermost, so an interrupted run has whole folds for every
# method; finished folds are skipped when it is run again. The distillation
# students use the non-masked baseline of the same fold as their teacher,
# SupCon's linear probe the stage-1 encoder of the same fold.
set -euo pipefail
cd "$(dirname "$0")/.."
NUM_FOLDS=${1:-10}
OUT=${2:-work_dirs/kfold}
PY=${PYTHON:-python}
DATA=data/synthetic_msde
S=_resnet18_1xb32-adam-8e_synthetic-msde
B=configs/baseline/resnet18_1xb32-adam-8e_synthetic-msde
C=configs/contrastive
D=configs/distillation

[ -f "$DATA/Paired_files.txt" ] || \
  "$PY" tools/dataset_converters/make_synthetic_msde.py "$DATA" --seed 0

run() {  # NAME CONFIG FOLD [kfold options]
  local name=$1 config=$2 fold=$3
  shift 3
  echo "[table] fold $fold: $name"
  "$PY" tools/kfold.py run "$config" --work-dir "$OUT/$name" --num-folds 10 \
    --folds "$fold" "$@"
}

TEACHER="model.teacher_ckpt=$OUT/nonmasked/fold{fold}/best_*.pth"
ENCODER="model.backbone.init_cfg.checkpoint=$OUT/supcon-pretrain/fold{fold}/epoch_8.pth"
for fold in $(seq 0 $((NUM_FOLDS - 1))); do
  run nonmasked "$B-nonmasked.py" "$fold"
  run masked "$B-masked.py" "$fold"
  run both "$B-both.py" "$fold"
  run paired-mse "$C/paired-mse$S.py" "$fold"
  run featkd "$D/featkd$S.py" "$fold" --cfg-options "$TEACHER"
  run supcon-joint "$C/supcon-joint$S.py" "$fold"
  run logitkd "$D/logitkd$S.py" "$fold" --cfg-options "$TEACHER"
  run featlogitkd "$D/featlogitkd$S.py" "$fold" --cfg-options "$TEACHER"
  run supcon-pretrain "$C/supcon-pretrain$S.py" "$fold"
  run supcon-linear "$C/supcon-linear$S.py" "$fold" --cfg-options "$ENCODER"
done

rows=()
for name in nonmasked masked both paired-mse supcon-joint supcon-linear \
            featkd logitkd featlogitkd; do
  rows+=("$name=$OUT/$name")
done
"$PY" tools/kfold.py summarize "${rows[@]}" --out "$OUT/table" \
  --metrics non_masked/accuracy masked/accuracy overall/accuracy \
            non_masked/macro_f1 masked/macro_f1
