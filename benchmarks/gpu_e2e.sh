#!/usr/bin/env bash
# End-to-end GPU training through `epibench train`: shards -> loader (DataLoader workers, pinned
# memory) -> the seed-shaped hybrid in bf16, with torch.compile (auto) and without.
#
# The shards are built beforehand on any machine (the GPU box may lack pyBigWig):
#     .venv/bin/python -c 'import sys; sys.path.insert(0, "benchmarks"); import synthetic_cohort as sc; \
#       c = sc.cohort(cache_dir="benchmarks/.cache"); g = sc.write_cohort_plan(c, "benchmarks/.cache/gpu_e2e/plan"); \
#       sc.build_cohort_shards(c, "benchmarks/.cache/gpu_e2e/plan", "benchmarks/.cache/gpu_e2e/shards", g, 1000, 100)'
# then, on the GPU machine, from the repository root (benchmarks/.cache carried along):
#     OUT=/some/dir bash benchmarks/gpu_e2e.sh
# Each epoch's samples/s (loader and GPU together) is in $OUT/e2e_*/metrics.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
out="${OUT:-/tmp}"
missing=$(python3 -c 'import importlib.util as u; print(" ".join(m for m in ("numpy", "pandas", "pyarrow", "sklearn", "matplotlib", "safetensors", "tqdm") if u.find_spec(m) is None))')
if [[ -n "$missing" ]]; then
    echo "end-to-end training skipped: python3 lacks $missing"
    exit 0
fi
shards=(benchmarks/.cache/gpu_e2e/shards/*)
workers=$(( $(nproc) / 2 ))
for compile in ${COMPILE:-\"auto\" false}; do  # JSON values
    echo "== epibench train, hybrid at the seed's shapes, compile $compile, $workers loader workers =="
    python3 -m epibench.cli train --shards "${shards[@]}" --model-json '{"arch": "hybrid"}' \
        --train-json "{\"epochs\": 2, \"num_workers\": $workers, \"checkpoint_every\": 0, \"warmup_steps\": 50, \"compile\": $compile, \"log_every\": 200}" \
        --threads 4 --out-dir "$out/e2e_${compile//\"/}" 2>&1 | grep -v "^\s*$" | tail -8
    cat "$out/e2e_${compile//\"/}/metrics.csv"
    nvidia-smi --query-gpu=memory.used --format=csv,noheader
done
