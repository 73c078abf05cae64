"""Values per field: realistic figures for one consortium — a first-year profile drawn within plausible
ranges, then year-on-year changes — that keep the catalogue's arithmetic (sums, ≤ relations, limits).
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Any

from chanjiao.generated.consortia import Consortium
from chanjiao.reference.catalogue import Catalogue, Field


def dec(value: float, places: int) -> Decimal:
    """``value`` as a Decimal of ``places`` decimal places."""
    return Decimal(f"{value:.{places}f}")


def dec_text(value: Decimal) -> str:
    """A Decimal as people write it: no trailing zeros, no exponent."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


class Figures:
    """Realistic figures for one consortium: a first-year profile, then year-on-year changes."""

    INT_FIELDS_FIXEDISH = (
        "members_government",
        "members_research",
        "members_higher_vocational",
        "members_undergraduate",
        "talent_demand_reports",
        "master_studios",
        "tech_service_platforms",
        "co_industry_colleges",
    )

    def __init__(self, rng: random.Random, cat: Catalogue) -> None:
        self.rng = rng
        self.cat = cat

    def profile(self, c: Consortium) -> dict[str, Any]:
        r = self.rng
        s = r.uniform(0.6, 1.6)

        def si(lo: int, hi: int) -> int:
            return max(1, round(r.randint(lo, hi) * s))

        v: dict[str, Any] = {}
        v["secretariat_org"] = c.school
        v["secretariat_area_m2"] = dec(r.randint(120, 600) + r.choice((0, 0, 0.5)), 1)
        v["secretariat_staff_fulltime"] = r.randint(3, 10)
        v["secretariat_staff_parttime"] = r.randint(4, 18)
        v["members_secondary_vocational"] = si(3, 12)
        v["members_secondary_vocational_students"] = v["members_secondary_vocational"] * r.randint(1200, 2600)
        v["members_higher_vocational"] = r.randint(1, 4)
        v["members_higher_vocational_students"] = v["members_higher_vocational"] * r.randint(5000, 12000)
        v["members_undergraduate"] = r.choice((0, 1, 1, 2))
        v["members_undergraduate_students"] = v["members_undergraduate"] * r.randint(12000, 25000)
        v["members_government"] = r.randint(2, 7)
        v["members_enterprise"] = si(30, 120)
        v["members_research"] = r.randint(1, 8)
        v["funding_lead_10k"] = dec(r.uniform(80, 400) * s, 2)
        v["funding_government_10k"] = dec(r.uniform(50, 300) * s, 2)
        v["funding_members_10k"] = dec(r.uniform(30, 300) * s, 2)
        v["funding_other_10k"] = r.choice((Decimal("0"), dec(r.uniform(5, 60), 2)))
        v["park_output_100m"] = dec(r.uniform(80, 1200) * s, 1)
        v["co_majors"] = si(6, 20)
        v["co_courses"] = v["co_majors"] * r.randint(2, 4)
        v["co_textbooks"] = r.randint(3, 20)
        v["co_training_bases"] = r.randint(3, 15)
        v["co_industry_colleges"] = r.randint(1, 5)
        v["ent_teachers_persons"] = si(40, 160)
        v["ent_teachers_hours"] = v["ent_teachers_persons"] * r.randint(24, 64)
        v["inter_school_teachers_persons"] = r.randint(5, 40)
        v["inter_school_teachers_hours"] = v["inter_school_teachers_persons"] * r.randint(16, 40)
        v["teacher_practice_person_months"] = dec(r.uniform(60, 360) * s, 1)
        v["apprentices"] = si(60, 400)
        v["field_engineers"] = si(20, 150)
        v["other_joint_training"] = si(100, 600)
        v["talent_demand_reports"] = r.randint(1, 3)
        v["apprentice_post_ratio_pct"] = dec(r.uniform(6, 18), 1)
        v["internship_person_months"] = dec(r.uniform(600, 4000) * s, 1)
        v["ent_tech_posts"] = si(2500, 12000)
        v["internship_posts"] = round(v["ent_tech_posts"] * r.uniform(0.16, 0.32))
        v["ent_employees"] = si(12000, 60000)
        v["ent_large_medium_employees"] = round(v["ent_employees"] * r.uniform(0.55, 0.85))
        v["teacher_practice_posts"] = math.ceil(v["ent_large_medium_employees"] * r.uniform(0.009, 0.02))
        v["practice_hours_pct"] = dec(r.uniform(55, 68), 1)
        v["through_secondary_higher"] = si(120, 500)
        v["through_secondary_higher_bachelor"] = r.randint(20, 90)
        v["bachelor_admissions"] = r.randint(10, 80)
        v["exam_progression_pct"] = dec(r.uniform(12, 38), 1)
        v["employment_rate_pct"] = dec(r.uniform(88.5, 97.8), 1)
        v["local_employment_rate_pct"] = dec(float(v["employment_rate_pct"]) * r.uniform(0.55, 0.85), 1)
        v["gold_majors"] = r.randint(1, 3)
        v["gold_courses"] = r.randint(1, 8)
        v["gold_textbooks"] = r.randint(1, 5)
        v["gold_teachers"] = r.randint(2, 15)
        v["gold_bases"] = r.randint(1, 3)
        lists = self.cat["lists_published"].rules[0].codes
        v["lists_published"] = tuple(code for code in lists if r.random() < 0.5) or lists[:2]
        v["tech_service_platforms"] = r.randint(1, 4)
        v["rd_conversion_rate_pct"] = dec(r.uniform(12, 38), 1)
        v["rd_income_10k"] = dec(r.uniform(60, 600) * s, 2)
        v["research_outputs"] = si(15, 70)
        v["patents"] = round(v["research_outputs"] * r.uniform(0.3, 0.6))
        v["skill_certifications"] = si(800, 4500)
        v["master_studios"] = r.randint(1, 6)
        v["staff_training_person_days"] = si(3000, 18000)
        v["social_training_person_days"] = si(1500, 9000)
        v["ent_assets_10k"] = dec(r.uniform(200000, 3000000) * s, 1)
        v["ent_sales_10k"] = dec(float(v["ent_assets_10k"]) * r.uniform(0.4, 1.1), 1)
        v["coop_benefit_10k"] = dec(r.uniform(300, 4000) * s, 1)
        v["ent_above_scale"] = round(v["members_enterprise"] * r.uniform(0.35, 0.7))
        v["ent_above_quota"] = round(v["members_enterprise"] * r.uniform(0.05, 0.2))
        return self.derive(v)

    @staticmethod
    def derive(v: dict[str, Any]) -> dict[str, Any]:
        """Re-establish the catalogue's arithmetic: sums, ≤ relations."""
        v["secretariat_staff_total"] = v["secretariat_staff_fulltime"] + v["secretariat_staff_parttime"]
        v["funding_total_10k"] = (
            v["funding_lead_10k"] + v["funding_government_10k"] + v["funding_members_10k"] + v["funding_other_10k"]
        )
        v["patents"] = min(v["patents"], v["research_outputs"])
        v["local_employment_rate_pct"] = min(v["local_employment_rate_pct"], v["employment_rate_pct"])
        v["ent_large_medium_employees"] = min(v["ent_large_medium_employees"], v["ent_employees"])
        v["ent_above_scale"] = min(v["ent_above_scale"], v["members_enterprise"])
        v["ent_above_quota"] = min(v["ent_above_quota"], v["members_enterprise"])
        return v

    def next_year(self, prev: dict[str, Any]) -> dict[str, Any]:
        """The next year's figures: most within 0.9–1.3 × the previous, never beyond ±45 %."""
        r = self.rng
        v = dict(prev)
        for code, value in prev.items():
            spec = self.cat[code]
            if not spec.is_numeric or code in ("secretariat_staff_total", "funding_total_10k"):
                continue
            if code in self.INT_FIELDS_FIXEDISH or code == "secretariat_area_m2":
                factor = 1.0 if r.random() < 0.7 else r.uniform(0.95, 1.3)
            elif spec.type == "percent":
                factor = r.uniform(0.95, 1.06)
            else:
                factor = r.uniform(0.9, 1.3)
            v[code] = self.scale(spec, value, factor, bounded=True)
        v["employment_rate_pct"] = min(v["employment_rate_pct"], Decimal("98.9"))
        v["practice_hours_pct"] = max(v["practice_hours_pct"], Decimal("52.0"))
        return self.derive(v)

    @staticmethod
    def scale(spec: Field, value: Any, factor: float, *, bounded: bool = False, up: bool | None = None) -> Any:
        """``value × factor`` in the field's type; ``up`` rounds away from / toward zero (targets)."""
        if spec.type == "int":
            raw = value * factor
            out = math.ceil(raw) if up else math.floor(raw) if up is False else round(raw)
            if bounded and value:
                out = min(max(out, math.ceil(value * 0.6)), math.floor(value * 1.45))
            return max(out, 0)
        places = 1 if spec.type == "percent" else max(-value.as_tuple().exponent, 1)
        step = Decimal(1).scaleb(-places)
        raw = Decimal(str(float(value) * factor)).quantize(step)
        if up and raw < value * Decimal(str(factor)):
            raw += step
        if up is False and raw > value * Decimal(str(factor)):
            raw -= step
        if bounded and value:
            raw = min(max(raw, (value * Decimal("0.6")).quantize(step)), (value * Decimal("1.45")).quantize(step))
        if spec.max is not None:
            raw = min(raw, spec.max)
        return max(raw, Decimal(0))
