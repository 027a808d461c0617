"""Per-cohort HTML summary page."""
