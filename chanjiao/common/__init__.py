"""Shared by every stage and importing none: typed errors, atomic file writes, digests, CSV exports, project paths."""
