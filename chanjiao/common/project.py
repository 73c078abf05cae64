"""Where the project's own folders are, computed once: the checkout (or installed tree) this code runs from."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = PROJECT_ROOT / "report_templates"
AUTOMATIONS_DIR = PROJECT_ROOT / "ops" / "automations"
