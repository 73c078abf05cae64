"""Registry and calendar files are validated on load, with file, row and column in every error."""

import pytest
from builders import REGISTRY_CSV

from chanjiao.common.errors import ReferenceDataError
from chanjiao.reference.catalogue import data_text
from chanjiao.reference.registry import load_reference, parse_extensions, parse_provinces, parse_registry

PROVINCES = parse_provinces(data_text("provinces.csv"))


def test_project_data_files(reference):
    assert len(reference.provinces) == 31
    assert reference.provinces.loc["14", "department"] == "山西省教育厅"
    assert reference.provinces.loc["43", "framework"] == "hunan-2024"
    assert len(reference.deadlines) == 6 and len(reference.milestones) == 7
    assert set(reference.layout["industry_code"]) >= {"A1", "D4"}
    assert reference.registry.loc["HN-2024-02", "status"] == "withdrawn"
    assert reference.registry.loc["SX-2024-01", "status"] == "active"  # default
    assert reference.province_codes(2024) == ["14", "43"]


def test_the_shipped_shanxi_batch_is_a_valid_registry():
    registry = parse_registry(data_text("consortia_shanxi_batch1.csv"), PROVINCES)
    assert len(registry) == 10 and set(registry["city"]) >= {"大同市", "临汾市"}


@pytest.mark.parametrize(
    "edit, row, column, message",
    [
        (lambda t: t + t.splitlines()[1] + "\n", 7, "consortium_id", "already on row 2"),
        (
            lambda t: t.replace(",14,山西省,大同市", ",99,山西省,大同市"),
            2,
            "province_code",
            "'99' is not a known province",
        ),
        (lambda t: t.replace(",,,\nSX-2024-02", ",,paused,\nSX-2024-02"), 2, "status", "'paused'"),
        (lambda t: t.replace(",withdrawn,2025", ",withdrawn,"), 6, "status_year", "needs a status_year"),
        (lambda t: t.replace(",C1,,", ",Z9,,"), 5, "industry_codes", "unknown industry code(s) Z9"),
        (
            lambda t: t.replace("provincial,2024,大同", "provincial,二〇二四,大同"),
            2,
            "recognized_year",
            "is not a year",
        ),
    ],
)
def test_registry_errors_name_row_and_column(edit, row, column, message):
    with pytest.raises(ReferenceDataError) as caught:
        parse_registry(edit(REGISTRY_CSV), PROVINCES, "registry.csv", industry_codes={"A1", "C1"})
    assert (caught.value.row, caught.value.field) == (row, column)
    assert message in caught.value.reason
    assert str(caught.value).startswith(f"registry.csv: row {row}")


def test_registry_missing_columns():
    with pytest.raises(ReferenceDataError, match="missing column"):
        parse_registry("consortium_id,name\nX,Y\n", PROVINCES)


def test_extension_errors(reference):
    bad = "consortium_id,year,kind,due_date,reason\nSX-2024-01,2025,summary,2025-13-01,x\n"
    with pytest.raises(ReferenceDataError, match="due_date '2025-13-01' is not a date"):
        parse_extensions(bad, reference.registry)
    unknown = "consortium_id,year,kind,due_date,reason\nZZ-1,2025,summary,2025-12-01,x\n"
    with pytest.raises(ReferenceDataError, match="ZZ-1 is not in the registry"):
        parse_extensions(unknown, reference.registry)


def test_missing_registry_file(tmp_path):
    with pytest.raises(ReferenceDataError, match="cannot read the consortium registry"):
        load_reference(tmp_path / "nope.csv")


def test_extensions_file_is_optional(registry_files, tmp_path):
    reference = load_reference(registry_files[0], tmp_path / "absent.csv")
    assert len(reference.extensions) == 0
