"""Stages 5–6, reports: report contexts, charts, HTML and PDF rendering, receipts (回执) and published versions (修订版)."""
