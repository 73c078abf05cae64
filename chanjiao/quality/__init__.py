"""Stages 2–3, checks: timeliness (on time, late, missing) and data quality (the rule families the GE suites run), with masking of personal data."""
