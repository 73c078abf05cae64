"""One GE validator per test session (GE's import and context cost seconds), and a batch helper.

Every case of a test module is validated in one batch, as a year is in production, and each test then
looks at the findings of its own row.
"""

from __future__ import annotations

import pandas as pd
import pytest
from builders import REGISTRY_CSV, stored

from chanjiao.quality import checks as q
from chanjiao.reference.catalogue import load_catalogue
from chanjiao.reference.registry import load_reference


@pytest.fixture(scope="session")
def validator():
    from expectations.suite import validator_for

    return validator_for(load_catalogue())


@pytest.fixture(scope="session")
def test_reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    (folder / "registry.csv").write_text(REGISTRY_CSV, encoding="utf-8")
    return load_reference(folder / "registry.csv")


def validate_cases(
    validator, reference, cases: dict[str, tuple[dict, dict]], previous: dict[str, dict] | None = None
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Validate every case (fields, notes) as one batch; the findings of each case, and the frame."""
    catalogue = load_catalogue()
    names = list(cases)
    values = {i + 1: stored(*cases[name]) for i, name in enumerate(names)}
    versions = pd.DataFrame(
        [
            {
                "version_id": i,
                "consortium_id": str(v["consortium_id"].value),
                "year": int(v["year"].value),
                "kind": v["kind"].value,
                "version": 1,
            }
            for i, v in values.items()
        ]
    )
    context = q.QualityContext(
        registry=reference.registry,
        layout=reference.layout,
        previous={c: q.usable_previous(catalogue, stored(f)) for c, f in (previous or {}).items()},
    )
    frame = q.derive_columns(q.submission_frame(versions, values, catalogue), catalogue, context)
    findings = validator.validate(frame)
    return {
        name: findings[findings["version_id"] == i + 1].reset_index(drop=True) for i, name in enumerate(names)
    }, findings
