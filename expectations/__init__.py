"""Data-quality expectations: the rule catalogue and the Great Expectations 1.x suites built from it.

``rules.py`` turns the field catalogue into rules (id, severity, Chinese message, fix, source) without
importing GE; ``suite.py`` turns rules into GE expectations and validates a year's versions in batches.
"""
