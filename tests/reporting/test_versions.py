"""Published reports as versions (chanjiao.reporting.versions): fingerprints, and what a run does with each report."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from chanjiao.reporting import versions as pub
from chanjiao.reporting.versions import (
    ACTIONS,
    REASONS_ZH,
    VOLATILE_KEYS,
    Decision,
    Fingerprint,
    Published,
    decide,
    digest,
    fingerprint,
    report_parts,
    revision_note,
    tally,
    template_digest,
    versioned_name,
)

T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


# --- digest ---------------------------------------------------------------------------------------------------


def test_volatile_keys_are_the_moment_not_the_content():
    assert {"generated_at", "as_of", "revision"} <= VOLATILE_KEYS
    assert {"title", "findings", "appendix"}.isdisjoint(VOLATILE_KEYS)


@pytest.mark.parametrize("key", ["generated_at", "as_of", "revision", "revisions_note"])
def test_digest_ignores_volatile_keys_at_any_depth(key):
    base = {"title": "报告", "cover": {"name": "甲", "rows": [{"k": 1}]}, "sections": [{"id": "a"}]}
    top = {**base, key: "2026-01-01"}
    nested = {**base, "cover": {**base["cover"], key: "2026-01-01"}}
    in_list = {**base, "sections": [{"id": "a", key: {"deep": [1, 2]}}]}
    expected = digest(base)
    assert digest(top) == digest(nested) == digest(in_list) == expected
    # ... and whatever the volatile value is.
    assert digest({**base, key: "2027-12-31"}) == expected
    assert digest({**base, "cover": {**base["cover"], key: None}}) == expected


def test_digest_changes_when_content_changes_at_any_depth():
    base = {"title": "报告", "cover": {"name": "甲", "rows": [{"k": 1}]}, "generated_at": "x"}
    variants = [
        {**base, "title": "报告（新）"},
        {**base, "cover": {"name": "乙", "rows": [{"k": 1}]}},
        {**base, "cover": {"name": "甲", "rows": [{"k": 2}]}},
        {**base, "cover": {"name": "甲", "rows": [{"k": 1}, {"k": 1}]}},
        {**base, "extra": None},
    ]
    digests = {digest(v) for v in variants}
    assert len(digests) == len(variants)
    assert digest(base) not in digests
    # A volatile-looking value under a non-volatile key counts.
    assert digest({"note": "generated_at"}) != digest({"note": "as_of"})


def test_digest_is_a_sha256_independent_of_dict_order():
    rng = random.Random(6)
    items = [(f"k{i}", rng.randint(0, 1000)) for i in range(30)]
    shuffled = items[:]
    rng.shuffle(shuffled)
    assert shuffled != items
    value = digest(dict(items))
    assert value == digest(dict(shuffled))
    assert len(value) == 64 and int(value, 16) >= 0
    # Lists keep their order (a ranking is content), sets do not.
    assert digest([1, 2, 3]) != digest([3, 2, 1])
    assert digest({"b", "a", "c"}) == digest(frozenset({"c", "a", "b"})) == digest(["a", "b", "c"])


@dataclass(frozen=True)
class _Row:
    name: str
    score: Decimal
    when: date


def test_dataclasses_dates_decimals_and_fractions_are_stable_and_distinct():
    row = _Row("甲", Decimal("82.60"), date(2025, 12, 15))
    assert digest(row) == digest(_Row("甲", Decimal("82.60"), date(2025, 12, 15)))
    assert digest(row) == digest({"name": "甲", "score": "82.60", "when": "2025-12-15"})
    assert digest(row) != digest(_Row("甲", Decimal("82.61"), date(2025, 12, 15)))
    assert digest(row) != digest(_Row("甲", Decimal("82.60"), date(2025, 12, 16)))
    # Volatile keys inside a mapping held by a dataclass are still ignored.
    assert digest([row, {"generated_at": 1}]) == digest([row, {"generated_at": 2}])

    assert digest(Fraction(1, 3)) == digest("1/3") != digest(Fraction(2, 3))
    assert digest(Decimal("1.5")) == digest("1.5")
    moment = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)
    assert digest({"at": moment}) == digest({"at": moment.isoformat()})
    assert digest({"at": moment}) != digest({"at": moment + timedelta(seconds=1)})
    assert digest({"day": date(2025, 1, 1)}) == digest({"day": "2025-01-01"})


def test_numpy_scalars_digest_like_python_numbers():
    rng = np.random.default_rng(6)
    ints = rng.integers(0, 1000, size=5)
    floats = rng.random(5)
    assert digest([np.int64(v) for v in ints]) == digest([int(v) for v in ints])
    assert digest([np.float64(v) for v in floats]) == digest([float(v) for v in floats])
    assert digest({"ok": np.bool_(True)}) == digest({"ok": True})
    assert digest({"n": np.int32(7)}) != digest({"n": np.int32(8)})


def test_python_nan_is_stable_and_reads_as_missing():
    assert digest({"median": float("nan")}) == digest({"median": float("nan")})
    assert digest({"median": float("nan")}) == digest({"median": None})
    assert digest({"median": float("nan")}) != digest({"median": 0.0})
    assert digest([math.nan, 1.0]) == digest([None, 1.0])


def test_numpy_nan_digests_like_python_nan():
    """A median read from a frame is a numpy float; NaN must read as missing whatever its type, as float NaN does.

    Fails today: ``_plain`` returns ``value.item()`` for numpy scalars without normalising NaN, so numpy NaN is
    written as JSON ``NaN`` while float NaN becomes ``null``."""
    assert digest({"median": np.float64("nan")}) == digest({"median": np.float64("nan")})
    assert digest({"median": np.float64("nan")}) == digest({"median": float("nan")})


# --- template digest --------------------------------------------------------------------------------------------


def test_template_digest_follows_every_file_under_the_folder(tmp_path):
    folder = tmp_path / "report_templates"
    (folder / "partials").mkdir(parents=True)
    (folder / "consortium.html.j2").write_text("<h1>{{ title }}</h1>", encoding="utf-8")
    (folder / "partials" / "cover.html.j2").write_text("封面", encoding="utf-8")
    first = template_digest(folder)
    assert template_digest(folder) == first and len(first) == 64

    (folder / "partials" / "cover.html.j2").write_text("封面（修订）", encoding="utf-8")
    changed = template_digest(folder)
    assert changed != first

    (folder / "partials" / "cover.html.j2").write_text("封面", encoding="utf-8")
    assert template_digest(folder) == first  # the bytes, not the modification time

    (folder / "partials" / "new.html.j2").write_text("", encoding="utf-8")
    added = template_digest(folder)
    assert added not in (first, changed)

    (folder / "partials" / "new.html.j2").rename(folder / "partials" / "renamed.html.j2")
    assert template_digest(folder) not in (first, changed, added)  # names count too


def test_template_digest_ignores_bytecode_caches_and_the_pipeline_version(tmp_path, monkeypatch):
    (tmp_path / "a.j2").write_text("x", encoding="utf-8")
    first = template_digest(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"\0\1")
    assert template_digest(tmp_path) == first
    monkeypatch.setattr("chanjiao.__version__", "99.0.0")
    assert template_digest(tmp_path) == first  # a release alone changes no report


# --- fingerprint: what the report shows -------------------------------------------------------------------------

PAGE = (
    '<html><head><meta name="generator" content="chanjiao <V>"></head><body><p>数据截至 <!--v-->2025-03-01<!--/v-->'
    " · 生成于 <!--v-->2026-12-06 16:40<!--/v--></p><p>总分 85.0</p>"
    "<footer>chanjiao <!--v--><V><!--/v--></footer></body></html>"
)


def page(version="0.1.0", score="85.0", as_of="2025-03-01", moment="2026-12-06 16:40"):
    return (
        PAGE.replace("<V>", version)
        .replace("85.0", score)
        .replace("2025-03-01", as_of)
        .replace("2026-12-06 16:40", moment)
    )


def test_the_fingerprint_is_what_the_report_shows_not_when_or_by_what_it_was_made():
    first = fingerprint(page(), parts={})
    assert first.total.startswith(pub.CONTENT_SCHEME) and len(first.total) == len(pub.CONTENT_SCHEME) + 64
    assert pub.is_content_fingerprint(first.total)
    later = fingerprint(page(version="0.2.0", as_of="2026-02-01", moment="2027-01-01 08:00"), parts={})
    assert later.total == first.total  # program version, as-of date, generation moment are volatile
    assert fingerprint(page(score="85.1"), parts={}).total != first.total  # a figure shown is content


def test_the_fingerprint_covers_the_attachments_and_ignores_the_parts():
    base = fingerprint(page(), parts={"data": "a"}, attachments=(b"{}",))
    assert fingerprint(page(), parts={"data": "b"}, attachments=(b"{}",)).total == base.total
    assert fingerprint(page(), parts={"data": "a"}, attachments=(b'{"x":1}',)).total != base.total
    assert fingerprint(page(), parts={"data": "a"}).total != base.total
    assert base.parts == {"data": "a"}


def test_report_parts_digest_the_inputs_that_name_a_reason():
    parts = report_parts(template="t1", framework="f1", data=[{"a": 1}], history=[70.0, 82.6])
    assert parts == {"template": "t1", "framework": "f1", "data": digest([{"a": 1}]), "history": digest([70.0, 82.6])}
    assert report_parts(template="t1", framework="f1") == {"template": "t1", "framework": "f1"}


def test_a_version_published_before_content_fingerprints_is_matched_through_its_html():
    rendered = page()
    old_html = rendered.replace("<!--v-->", "").replace("<!--/v-->", "").replace("0.1.0", "0.0.9")
    old_html = old_html.replace("16:40", "09:12")
    assert pub.same_shown_content(rendered, old_html)
    assert pub.same_shown_content(rendered, rendered)
    assert not pub.same_shown_content(rendered, old_html.replace("85.0", "85.1"))
    assert not pub.same_shown_content(rendered, old_html + "<p>附录</p>")


# --- decide -------------------------------------------------------------------------------------------------------


def _mark(data="d1", template="t1", framework="f1", history="h1", peers="p1", extra=""):
    """A report whose content shows every input (as a real report does) and whose parts digest them."""
    shown = f"<p>{data}|{template}|{framework}|{history}|{peers}|{extra}</p>"
    return fingerprint(
        shown, parts=report_parts(template=template, framework=framework, data=data, history=history, peers=peers)
    )


def _published(mark: Fingerprint, version: int, at: datetime, reasons=()) -> Published:
    return Published(
        kind="consortium",
        year=2025,
        subject="SX-2024-01",
        version=version,
        fingerprint=mark.total,
        parts=dict(mark.parts),
        reasons=tuple(reasons),
        published_at=at,
        path=f"v{version}.pdf",
        pages=11,
    )


def _decide(mark, history, **options):
    return decide("consortium", 2025, "SX-2024-01", mark, history, **{"file_exists": True, **options})


def test_a_report_never_published_is_new_version_1():
    mark = _mark()
    decision = _decide(mark, [], file_exists=False)
    assert (decision.action, decision.version, decision.render, decision.revised) == ("new", 1, True, False)
    assert (decision.kind, decision.year, decision.subject) == ("consortium", 2025, "SX-2024-01")
    assert decision.fingerprint == mark and decision.reasons == ()
    assert decision.first_published_at is None and decision.previous_published_at is None
    # Whether a stray file is there does not matter for a first version.
    assert _decide(mark, [], file_exists=True).action == "new"


def test_same_fingerprint_and_file_in_place_is_unchanged():
    mark = _mark()
    decision = _decide(mark, [_published(mark, 1, T0)])
    assert (decision.action, decision.version, decision.render) == ("unchanged", 1, False)
    assert decision.first_published_at == T0


def test_same_fingerprint_but_file_missing_is_restored_as_the_same_version():
    old, mark = _mark(data="d0"), _mark()
    history = [_published(old, 1, T0), _published(mark, 2, T0 + timedelta(days=3), [REASONS_ZH["data"]])]
    decision = _decide(mark, history, file_exists=False)
    assert (decision.action, decision.version, decision.render) == ("restored", 2, True)
    assert decision.reasons == (REASONS_ZH["data"],)  # the version's own reasons
    assert decision.first_published_at == T0
    assert decision.previous_published_at == T0  # the version before the one restored


@pytest.mark.parametrize("file_exists", [True, False])
def test_force_renders_the_same_version_again(file_exists):
    mark = _mark()
    decision = _decide(mark, [_published(mark, 1, T0)], force=True, file_exists=file_exists)
    assert (decision.action, decision.version, decision.render) == ("forced", 1, True)
    assert decision.previous_published_at is None


def test_force_with_changed_content_is_a_revision():
    decision = _decide(_mark(data="d2"), [_published(_mark(), 1, T0)], force=True)
    assert (decision.action, decision.version) == ("revised", 2)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"data": "d2"}, REASONS_ZH["data"]),
        ({"history": "h2"}, REASONS_ZH["history"]),
        ({"framework": "f2"}, REASONS_ZH["framework"]),
        ({"template": "t2"}, REASONS_ZH["template"]),
        ({"peers": "median moved"}, REASONS_ZH["peers"]),
        # Nothing it reads changed, yet it shows something else: the templates or the program made the difference.
        ({"extra": "a label moved"}, REASONS_ZH["template"]),
    ],
)
def test_a_changed_fingerprint_is_a_new_version_with_its_reason(change, reason):
    before = _mark()
    decision = _decide(_mark(**change), [_published(before, 1, T0)])
    assert (decision.action, decision.version, decision.render, decision.revised) == ("revised", 2, True, True)
    assert decision.reasons == (reason,)
    assert decision.first_published_at == T0 and decision.previous_published_at == T0


def test_several_parts_changed_name_every_reason_most_specific_first():
    decision = _decide(_mark(data="d2", template="t2", history="h2"), [_published(_mark(), 1, T0)])
    assert decision.reasons == (REASONS_ZH["data"], REASONS_ZH["history"], REASONS_ZH["template"])


def test_extra_reasons_follow_the_changed_parts_and_replace_the_peers_reason():
    extra = ("省内联合体数据更新：SX-2024-01",)
    with_part = _decide(_mark(template="t2"), [_published(_mark(), 1, T0)], extra_reasons=extra)
    assert with_part.reasons == (REASONS_ZH["template"], *extra)
    only_extra = _decide(_mark(extra="peers"), [_published(_mark(), 1, T0)], extra_reasons=extra)
    assert only_extra.reasons == extra
    # Extra reasons never make an unchanged report a revision.
    assert _decide(_mark(), [_published(_mark(), 1, T0)], extra_reasons=extra).action == "unchanged"


def test_versions_in_any_order_count_from_the_latest():
    v1, v2, v3 = _mark(data="a"), _mark(data="b"), _mark(data="c")
    t1, t2, t3 = T0, T0 + timedelta(days=10), T0 + timedelta(days=20)
    history = [_published(v3, 3, t3), _published(v1, 1, t1), _published(v2, 2, t2)]
    random.Random(6).shuffle(history)
    revised = _decide(_mark(data="d"), history)
    assert (revised.action, revised.version) == ("revised", 4)
    assert revised.first_published_at == t1 and revised.previous_published_at == t3
    unchanged = _decide(v3, history)
    assert (unchanged.action, unchanged.version) == ("unchanged", 3)
    assert unchanged.first_published_at == t1 and unchanged.previous_published_at == t2
    # A fingerprint equal to an *earlier* version's is still a change against the latest.
    back = _decide(v1, history)
    assert (back.action, back.version) == ("revised", 4)


# --- revision note, names, tally ----------------------------------------------------------------------------------


def test_no_revision_note_for_a_first_version():
    assert revision_note(_decide(_mark(), [], file_exists=False), T0) is None
    assert revision_note(_decide(_mark(), [_published(_mark(), 1, T0)], file_exists=False), T0) is None


def test_revision_note_dates_are_beijing_days():
    first = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)  # 2026-01-01 01:00 in Beijing
    previous = datetime(2026, 2, 1, 15, 59, tzinfo=UTC)  # 2026-02-01 23:59 in Beijing
    history = [_published(_mark(data="a"), 1, first), _published(_mark(data="b"), 2, previous)]
    decision = _decide(_mark(data="c"), history)
    now = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 2026-03-02 00:30 in Beijing
    note = revision_note(decision, now)
    assert note == {
        "version": 3,
        "first_published": "2026-01-01",
        "previous_published": "2026-02-01",
        "published": "2026-03-02",
        "reasons": [REASONS_ZH["data"]],
    }


def test_revision_note_reads_naive_moments_as_utc_and_missing_ones_as_a_dash():
    decision = Decision(
        kind="consortium",
        year=2025,
        subject="x",
        action="revised",
        version=2,
        fingerprint=_mark(),
        reasons=("r",),
        first_published_at=None,
        previous_published_at=datetime(2025, 12, 31, 17, 0),
    )
    note = revision_note(decision, datetime(2025, 12, 31, 15, 0))
    assert (note["first_published"], note["previous_published"], note["published"]) == ("—", "2026-01-01", "2025-12-31")


@pytest.mark.parametrize(
    "name, version, expected",
    [
        ("HN-2024-01.pdf", 3, "HN-2024-01-v3.pdf"),
        ("province.pdf", 1, "province-v1.pdf"),
        ("SX-2024-01-plan-v1.html", 2, "SX-2024-01-plan-v1-v2.html"),
        ("a.b.pdf", 12, "a.b-v12.pdf"),
        ("README", 2, "README-v2"),
    ],
)
def test_versioned_name(name, version, expected):
    assert versioned_name(name, version) == expected


def test_tally_counts_every_action_including_zero():
    mark = _mark()
    decisions = [
        Decision(kind="consortium", year=2025, subject=str(i), action=action, version=1, fingerprint=mark)
        for i, action in enumerate(["new", "new", "unchanged", "revised", "new"])
    ]
    assert tally(decisions) == {"new": 3, "revised": 1, "restored": 0, "forced": 0, "unchanged": 1}
    assert list(tally(decisions)) == list(ACTIONS)
    assert tally([]) == dict.fromkeys(ACTIONS, 0)


# --- versions recorded before content fingerprints ----------------------------------------------------------------


def _legacy(version: int, at: datetime, parts=None, reasons=()) -> Published:
    """A version as an earlier program recorded it: a context digest (no c1: prefix) and its parts."""
    return Published(
        kind="consortium",
        year=2025,
        subject="SX-2024-01",
        version=version,
        fingerprint="ab" * 32,
        parts=parts or {"template": "old", "framework": "f1", "data": "old-data", "peers": digest("p1")},
        reasons=tuple(reasons),
        published_at=at,
        path=f"v{version}.pdf",
        pages=9,
    )


@pytest.mark.parametrize("file_exists, action", [(True, "unchanged"), (False, "restored")])
def test_a_legacy_version_showing_the_same_is_adopted_not_revised(file_exists, action):
    old = _legacy(1, T0)
    decision = _decide(_mark(), [old], shows_same=True, file_exists=file_exists)
    assert (decision.action, decision.version, decision.adopts) == (action, 1, old)
    assert decision.render == (not file_exists)


def test_a_legacy_version_showing_something_else_is_revised_comparing_only_parts_defined_alike():
    old = _legacy(1, T0)
    decision = _decide(_mark(), [old], shows_same=False)
    assert (decision.action, decision.version, decision.adopts) == ("revised", 2, None)
    # "data" and "template" were digested differently then: not compared; framework and peers alike, unchanged.
    assert decision.reasons == (REASONS_ZH["other"],)
    moved = _decide(_mark(peers="p2"), [old], shows_same=False)
    assert moved.reasons == (REASONS_ZH["peers"],)


def test_shows_same_never_overrides_a_content_fingerprint():
    before = _mark(data="d0")
    decision = _decide(_mark(), [_published(before, 1, T0)], shows_same=True)
    assert (decision.action, decision.adopts) == ("revised", None)
