#!/usr/bin/env bash
# Training-throughput benchmark (benchmarks/bench_train.py) on a CUDA machine.
#
# Run from anywhere inside the repository on a machine where python3 has torch (with CUDA)
# but not necessarily the repository's other dependencies: the bench imports only torch and
# epibench's pure-torch modules (epibench.models, epibench.train.losses, epibench.codes),
# found through PYTHONPATH, so nothing is installed.
#
# Runs: a one-line nvidia-smi summary; the eager bench (cnn baseline and hybrid, 5 warm-up +
# 25 timed steps each at the seed's shapes); the same with --compare-compile (adds the hybrid
# through torch.compile, compilation included in its first step); the same without dropout. A few
# minutes on an H100.
# Everything is also written to $OUT/bench_train_gpu.log when OUT is set.
#
#     bash benchmarks/gpu_train.sh
#     OUT=/some/dir bash benchmarks/gpu_train.sh
set -euo pipefail

cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
log=/dev/null
if [[ -n "${OUT:-}" ]]; then
    mkdir -p "$OUT"
    log="$OUT/bench_train_gpu.log"
fi
steps=(--steps 25 --warmup 5)

{
    nvidia-smi --query-gpu=name,driver_version,memory.total,power.limit,clocks.max.sm --format=csv,noheader
    python3 -c 'import sys, torch; print(f"python {sys.version.split()[0]}, torch {torch.__version__}, CUDA {torch.version.cuda}")'
    echo "== eager =="
    python3 -u benchmarks/bench_train.py --device cuda "${steps[@]}"
    echo "== eager and compiled hybrid =="
    python3 -u benchmarks/bench_train.py --device cuda "${steps[@]}" --compare-compile
    echo "== the dropout lever: both models without dropout, eager and compiled hybrid =="
    python3 -u benchmarks/bench_train.py --device cuda "${steps[@]}" --compare-compile --dropout 0.0
    # the loader needs the data stack (numpy, pandas, pyarrow, pyBigWig, pyfaidx); run it where present
    if python3 -c 'import pandas, pyarrow, pyBigWig, pyfaidx' 2>/dev/null; then
        echo "== loader on this machine's cores =="
        python3 -u benchmarks/bench_loader.py --quick --workers 0 4 8 --tmp-dir "${TMPDIR:-/tmp}"
    else
        echo "== loader skipped: $(python3 -c 'import pandas, pyarrow, pyBigWig, pyfaidx' 2>&1 | tail -1) =="
    fi
} 2>&1 | tee "$log"
