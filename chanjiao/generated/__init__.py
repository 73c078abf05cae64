"""Seeded generated data: the bundled sample inbox and registry, and national-scale inputs for benchmarks and tests."""
