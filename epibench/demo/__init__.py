"""The deterministic demo-cohort generator."""
