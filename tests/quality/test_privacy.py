"""Personal data is masked the way docs/DOMAIN.md shows: 王** ; 0351-****567 ; 138****5678."""

from __future__ import annotations

import pytest

from chanjiao.quality.privacy import mask_name, mask_phone, mask_text, mask_value


@pytest.mark.parametrize(
    ("name", "masked"), [("王小明", "王**"), ("王明", "王*"), ("欧阳娜娜", "欧***"), ("李", "李*")]
)
def test_names_keep_the_family_name(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("0351-7654567", "0351-****567"),
        ("03517654567", "0351-****567"),
        ("010-12345678", "010-****678"),
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("12345", "**345"),
    ],
)
def test_phones_keep_only_what_identifies_no_one(phone, masked):
    assert mask_phone(phone) == masked


def test_only_personal_fields_are_masked():
    assert mask_value("contact_name", "王小明") == "王**"
    assert mask_value("consortium_name", "王小明") == "王小明"
    assert mask_value("contact_phone", None) is None


def test_free_text_has_every_personal_value_masked():
    personal = {"contact_name": "王小明", "contact_phone": "13812345678"}
    text = "请联系王小明（13812345678）核实，王小明已确认。"
    assert mask_text(text, personal) == "请联系王**（138****5678）核实，王**已确认。"
    assert mask_text("中国", {"contact_name": "中"}) == "中国"  # a one-character value would mask everything


def test_free_text_masks_the_contact_in_any_spacing_or_width_and_any_phone_number():
    personal = {"contact_name": "王小明", "contact_phone": "0351-7654567"}
    text = "联系人王 小明，手机１３８１２３４５６７８，或138 1234 5678，座机0351 7654567；另请联系010-12345678。"
    assert mask_text(text, personal) == (
        "联系人王**，手机138****5678，或138****5678，座机0351-****567；另请联系010-****678。"
    )
    assert mask_text("经费增加了1,234万元，见附件3。", personal) == "经费增加了1,234万元，见附件3。"
