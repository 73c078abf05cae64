"""Prefect flows: wiring only, readable top to bottom."""
