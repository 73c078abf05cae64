"""Stage 4, scoring: score each consortium's year against its construction-indicator framework; ranks, grades, adjust and recommend lists."""
