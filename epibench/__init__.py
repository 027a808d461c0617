"""EpiBench: predict DNA methylation from DNA sequence and histone marks."""

__version__ = "0.1.0"
