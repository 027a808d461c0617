"""Variant effects on methylation: a VCF's SNVs and short indels scored by a trained model, reference
against alternative allele (``vcf``: reading; ``sites``: the CpGs each variant touches; ``effects``:
scoring; ``plots``: the figure)."""
