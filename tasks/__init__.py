"""Thin Prefect tasks: call the core, the warehouse and (later) the renderer; log, retry I/O, publish artifacts."""
