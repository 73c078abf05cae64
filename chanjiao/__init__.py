"""Yearly compliance reporting for city-level industry–education consortia (市域产教联合体).

The core package holds pure logic (catalogue, parsing, timeliness, scoring, report context); Prefect
tasks in ``tasks/`` wrap it and flows in ``flows/`` wire it. Nothing here imports prefect or sqlalchemy.
"""

__version__ = "0.1.0"
