#!/bin/sh
# Snakemake runs this once, inside the new conda environment, after creating it
# (`--software-deployment-method conda`), from the folder Snakemake runs in: the epibench
# checkout. The environment holds every dependency; this adds epibench itself, editable, so
# the rules run the checkout's code.
set -eu
if [ ! -f "$PWD/pyproject.toml" ] || ! grep -q '^name = "epibench"' "$PWD/pyproject.toml"; then
    echo "epibench post-deploy: run snakemake from the epibench checkout (found no epibench pyproject.toml in $PWD)" >&2
    exit 1
fi
python -m pip install --no-deps --no-build-isolation --editable "$PWD"
