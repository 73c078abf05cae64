"""Data-quality expectations: Great Expectations 1.x suites generated from the field catalogue.

The suites, the rule catalogue and the findings they produce arrive with the data-quality stage; the
catalogue's rule grammar is already parsed and validated by :mod:`chanjiao.catalogue`.
"""
