# EpiBench: the two README commands.
#   make demo       set up (venv, torch CPU, epibench, bedtools) and run the quick demo (config/config.yaml)
#   make test       same set-up, then the test suite (unit tests + tiny end-to-end workflow runs)
#   make demo-full  the demo cohort with every analysis (config/demo_full.yaml)
#   make real       a real cohort: lung tissue (Roadmap), hg19 chr21, WGBS + H3K4me3 (config/real_lung.yaml)
#   make real-imr90 a real cohort with read counts, no marks: IMR90 WGBS, hg38 chr22 (config/real_imr90.yaml)
#   make real-h1hesc a real cohort on every chromosome, held-out chromosomes: H1 hESC RRBS, hg19 (config/real_h1hesc.yaml)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch; on a CUDA machine: make TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu126" setup
TORCH_SPEC ?= torch==2.13.0
# every core of the machine (the full demo trains 15 models: more cores run more at once)
CORES ?= $(shell nproc 2>/dev/null || echo 2)
STAMP := $(VENV)/.epibench-installed
# holds the TORCH_SPEC torch was installed with
TORCH_INSTALLED := $(VENV)/.torch-spec

.PHONY: setup demo demo-full real real-imr90 real-h1hesc test lint bedtools chromium clean-demo FORCE

# torch first, alone (its own index may be named in TORCH_SPEC), and again, replacing the one there,
# when TORCH_SPEC changes (the CUDA build over the CPU one: pip takes 2.13.0+cpu for torch==2.13.0);
# the file is rewritten only then, so that epibench is installed again only then
$(TORCH_INSTALLED): FORCE
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(TORCH_SPEC)' ]; then \
	  echo "installing $(TORCH_SPEC)"; \
	  $(BIN)/python -m pip install --quiet $$([ -f $@ ] && echo --force-reinstall) $(TORCH_SPEC) \
	    && echo '$(TORCH_SPEC)' > $@; \
	fi

$(STAMP): pyproject.toml $(TORCH_INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[workflow,test]'
	touch $@

# $(call apt_tool,COMMAND,PACKAGE,HINT): install PACKAGE with apt-get (as root, or through sudo)
# when COMMAND is not on PATH; elsewhere stop and say how to install it.
define apt_tool
	@command -v $(1) >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing $(2) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else \
	    echo "$(1) is not on PATH and cannot be installed here: install it ($(3)) and rerun"; \
	    exit 1; \
	  fi; }
endef

bedtools:
	$(call apt_tool,bedtools,bedtools,apt-get install bedtools / brew install bedtools / conda install -c bioconda bedtools)
	@bedtools --version

# the report test renders index.html in a headless browser
chromium:
	$(call apt_tool,chromium,chromium,apt-get install chromium)
	@chromium --version 2>/dev/null

setup: $(STAMP) bedtools

# the venv's Snakemake, nothing activated: the rules find epibench beside its Python
demo: setup
	$(BIN)/snakemake --cores $(CORES)

demo-full: setup
	$(BIN)/snakemake --cores $(CORES) --configfile config/demo_full.yaml

# the real cohorts' sequence cannot be had here: stand-ins with a CG at every measured CpG
# $(call standin,CALLS,CHROM_SIZES): the stand-in FASTA of the calls
define standin
	$(BIN)/epibench standin-genome --calls $(1) --chrom-sizes $(2) --out $@
endef
REAL_LUNG := resources/real/lung_hg19_chr21
REAL_IMR90 := resources/real/imr90_hg38_chr22
REAL_H1 := resources/real/h1hesc_rrbs_hg19
$(REAL_LUNG)/standin/chr21.fa: $(STAMP) $(REAL_LUNG)/lung_chr21.wgbs.fm.bw $(REAL_LUNG)/hg19_chr21.chrom.sizes
	$(call standin,$(REAL_LUNG)/lung_chr21.wgbs.fm.bw,$(REAL_LUNG)/hg19_chr21.chrom.sizes)
$(REAL_IMR90)/standin/chr22.fa: $(STAMP) $(REAL_IMR90)/Lister2009_imr90_hg38_chr22.unique.tab.gz $(REAL_IMR90)/hg38_chr22.chrom.sizes
	$(call standin,$(REAL_IMR90)/Lister2009_imr90_hg38_chr22.unique.tab.gz,$(REAL_IMR90)/hg38_chr22.chrom.sizes)
$(REAL_H1)/standin/hg19.fa: $(STAMP) $(REAL_H1)/rrbsH1hESC.bed.gz $(REAL_H1)/hg19.chrom.sizes
	$(call standin,$(REAL_H1)/rrbsH1hESC.bed.gz,$(REAL_H1)/hg19.chrom.sizes)

real: setup $(REAL_LUNG)/standin/chr21.fa
	$(BIN)/snakemake --cores $(CORES) --configfile config/real_lung.yaml

real-imr90: setup $(REAL_IMR90)/standin/chr22.fa
	$(BIN)/snakemake --cores $(CORES) --configfile config/real_imr90.yaml

real-h1hesc: setup $(REAL_H1)/standin/hg19.fa
	$(BIN)/snakemake --cores $(CORES) --configfile config/real_h1hesc.yaml

# two pytest workers (pytest-xdist), a test file each at a time: one runs while the other waits on a
# subprocess, SLURM or a browser (one pytest alone leaves a core of 2 idle half the time)
TEST_WORKERS ?= 2
test: setup chromium
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules

clean-demo:
	rm -rf results/demo results/demo_full logs/demo logs/demo_full results/real_lung logs/real_lung results/real_imr90 logs/real_imr90
