#!/usr/bin/env bash
# The device check, in one call on a machine with a GPU and no network (well inside 8 minutes on one H100/H200):
#   1. the device-marked tests (tests/project/test_gpu.py) on tiny random models;
#   2. make benchmark-gpu's measurement on the random-weight paper configurations (DeBERTa-v3-large, FLAN-T5-large
#      and -XL encoders): the package's training step and all-layer readout against a plain PyTorch loop, fp32 and
#      bf16, batch 16 and 64;
#   3. one short real `lle run --device cuda` on a capped sample of a paper dataset, then `lle evaluate`.
# It writes $OUT_DIR/gpu.csv (device, date, versions and every measurement) and $OUT_DIR/gpu_check.log.
#
#   scripts/gpu_check.sh                        # on the GPU machine, from the repository root
#   GPU_CHECK_DEVICE=cpu GPU_CHECK_MODELS=tiny GPU_CHECK_STEPS=2 scripts/gpu_check.sh   # end to end on a CPU
#
# Settings (environment): GPU_CHECK_DEVICE (cuda), GPU_CHECK_MODELS (the three paper configurations),
# GPU_CHECK_PRECISIONS (fp32 bf16), GPU_CHECK_BATCHES (16 64), GPU_CHECK_STEPS (20), GPU_CHECK_DATA (a folder with
# train.csv, validation.csv and test.csv; default .gpu/data, written by scripts/gpu_sample.py), GPU_CHECK_MODEL (the
# model of the real run: sentence-transformers/all-MiniLM-L6-v2), GPU_CHECK_LLE (the lle command: python -m lle),
# OUT_DIR (results/benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
MODELS=${GPU_CHECK_MODELS:-deberta-v3-large flan-t5-large-encoder flan-t5-xl-encoder}
PRECISIONS=${GPU_CHECK_PRECISIONS:-fp32 bf16}
BATCHES=${GPU_CHECK_BATCHES:-16 64}
STEPS=${GPU_CHECK_STEPS:-20}
DATA=${GPU_CHECK_DATA:-.gpu/data}
MODEL=${GPU_CHECK_MODEL:-sentence-transformers/all-MiniLM-L6-v2}
LLE=${GPU_CHECK_LLE:-$PYTHON -m lle}
OUT_DIR=${OUT_DIR:-results/benchmarks}
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/gpu_check.log"
MEASURED=$(mktemp)
trap 'rm -f "$MEASURED"' EXIT
: >"$LOG"
step() { echo "== $*" | tee -a "$LOG"; }

step "device tests (tests/project/test_gpu.py)"
tests=passed
$PYTHON -m pytest -q -p no:cacheprovider -m gpu tests/project/test_gpu.py 2>&1 | tee -a "$LOG" || tests=failed
[ "$DEVICE" = cpu ] && tests="skipped (no GPU)"

step "training step and readout against a plain PyTorch loop"
for precision in $PRECISIONS; do
  for batch in $BATCHES; do
    $PYTHON scripts/benchmark_gpu.py --device "$DEVICE" --precision "$precision" --batch "$batch" --steps "$STEPS" \
      --models $MODELS | tee -a "$LOG" | grep '^{' >>"$MEASURED"
  done
done

step "a real lle run on $DEVICE ($MODEL, $DATA), then lle evaluate"
RUN=$(mktemp -d)
start=$(date +%s.%N)
$LLE run --model "$MODEL" --mode finetune --train "$DATA/train.csv" --validation "$DATA/validation.csv" \
  --test "$DATA/test.csv" --dataset gpu-check --epochs 1 --device "$DEVICE" --out "$RUN/out" >>"$LOG" 2>&1
run_seconds=$($PYTHON -c "print(round($(date +%s.%N) - $start, 1))")
$LLE evaluate "$RUN/out" --n-resamples 200 >>"$LOG" 2>&1
echo "{\"model\": \"lle run ($MODEL)\", \"device\": \"$DEVICE\", \"wall_seconds\": $run_seconds}" >>"$MEASURED"
rm -rf "$RUN"

step "writing $OUT_DIR/gpu.csv"
$PYTHON scripts/gpu_table.py "$MEASURED" "$OUT_DIR/gpu.csv" --tests "$tests" | tee -a "$LOG"
