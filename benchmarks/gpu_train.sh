#!/usr/bin/env bash
# Issue 22's GPU checks in one run (< 8 minutes on an H100/H200): the training-speed levers one by one
# (benchmarks/bench_train.py at the seed's shapes, bf16), then `epibench train` end to end on shards
# (benchmarks/gpu_e2e.sh, when its shards were built beforehand and the data stack is installed).
#
# Run from the repository root on a machine where python3 has torch with CUDA; nothing is installed
# (the bench imports only torch and epibench's pure-torch modules, through PYTHONPATH):
#     OUT=/some/dir bash benchmarks/gpu_train.sh
# First runs tests/test_train_cuda.py where pytest and the data stack are installed.
# Writes $OUT/bench_train_gpu.log (everything printed) and $OUT/levers.jsonl (one JSON line per
# lever: samples/s, step time, peak memory, FLOPs counted by FlopCounterMode, MFU against the bf16
# matmul peak measured in the same run, whether the 33 k samples/s in <= 10 GB target was met).
# Each lever adds to the compiled default unless its label says otherwise; the rows go into the
# lever table of benchmarks/README.md, beside the accuracy of each lever on the demo cohort
# (benchmarks/bench_lever_accuracy.py, CPU).
# A smoke run of the same ladder on CPU (tiny steps, batch 16; no flash, no CUDA graphs):
#     DEVICE=cpu QUICK=1 bash benchmarks/gpu_train.sh
set -euo pipefail

cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
device="${DEVICE:-cuda}"
steps=(--steps 20 --warmup 3 --baseline-eager)
[[ -n "${QUICK:-}" ]] && steps=(--quick --baseline-eager)
python="${PYTHON:-python3}"

# label | flags (the hybrid's; the cnn baseline runs beside it in each line, eager: its compilation
# would double the ladder's time)
levers=(
    "eager, today's defaults|"
    "compiled (train.compile auto on CUDA)|--compile"
    "compiled, dropout 0.1 (the old default)|--compile --dropout 0.1"
    "compiled, rmsnorm|--compile --norm rmsnorm"
    "compiled, batch 512, lr x sqrt 2|--compile --batch-size 512 --lr-scale"
)
if [[ "$device" == cuda ]]; then
    levers+=(
        "compiled, attention on the flash kernel only|--compile --sdpa flash"
        "compiled reduce-overhead (CUDA graphs)|--compile --compile-mode reduce-overhead"
        "compiled reduce-overhead, batch 512|--compile --compile-mode reduce-overhead --batch-size 512 --lr-scale"
    )
fi

{
    if [[ "$device" == cuda ]]; then
        nvidia-smi --query-gpu=name,driver_version,memory.total,power.limit,clocks.max.sm --format=csv,noheader
    fi
    "$python" -c 'import sys, torch; print(f"python {sys.version.split()[0]}, torch {torch.__version__}, CUDA {torch.version.cuda}")'
    if [[ "$device" == cuda ]]; then
        echo "== the step on CUDA: no sync (CUDA's sync detector), flash attention, GPU idle, CUDA graphs =="
        if "$python" -c 'import pytest, epibench.train.loop' 2>/dev/null; then
            timeout 180 "$python" -m pytest -q --noconftest -p no:cacheprovider tests/test_train_cuda.py || true
        else
            echo "skipped: $("$python" -c 'import pytest, epibench.train.loop' 2>&1 | tail -1)"
        fi
    fi
    : > "$out/levers.jsonl"
    for lever in "${levers[@]}"; do
        label="${lever%%|*}"
        read -r -a flags <<< "${lever#*|}"
        echo "== $label =="
        if result=$(timeout 150 "$python" -u benchmarks/bench_train.py --device "$device" "${steps[@]}" "${flags[@]}" 2>&1); then
            echo "$result" | grep -v '^{'
            echo "$result" | tail -n 1 | "$python" -c 'import json, sys; r = json.loads(sys.stdin.read()); r["lever"] = sys.argv[1]; print(json.dumps(r))' "$label" >> "$out/levers.jsonl"
        else
            echo "FAILED ($label):"
            echo "$result" | tail -n 5
        fi
    done
    echo "== summary (hybrid) =="
    "$python" - "$out/levers.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    mfu = r["mfu_measured"]["hybrid"]
    print(f"{r['lever']:60s} {r['value']:10,.0f} samples/s  {r['peak_mem_mb']['hybrid'] / 1024:5.1f} GB  "
          f"MFU {mfu:6.1%} of {r['measured_peak_tflops']:.3g} TFLOP/s measured  target met: {r['target_met']}")
PY
    if [[ "$device" == cuda && -d benchmarks/.cache/gpu_e2e/shards ]]; then
        echo "== epibench train end to end (loader wait and GPU idle per step in metrics.csv) =="
        COMPILE='"auto"' OUT="$out" bash benchmarks/gpu_e2e.sh
    else
        echo "== end to end skipped: no CUDA or no benchmarks/.cache/gpu_e2e/shards (see benchmarks/gpu_e2e.sh) =="
    fi
} 2>&1 | tee "$out/bench_train_gpu.log"
