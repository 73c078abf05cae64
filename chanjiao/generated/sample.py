"""A seeded, deterministic sample inbox: registry, extensions, two years of submissions and a manifest.

``generate_sample(out_dir, seed)`` writes a realistic inbox for the pipeline to chew on: the ten real
Shanxi consortia of the first provincial batch and a dozen synthetic Hunan ones, a plan and a summary per
consortium and year in all three formats of the input contract (``.xlsx``, ``.csv`` in UTF-8 / UTF-8 with
BOM / GB18030, ``.json``), every normalisation case of the contract, and a set of deliberate faults.
``manifest.json`` is the answer key: for every file, whether it must be accepted or rejected (and on which
field), the data-quality findings it must raise, and which normalisations it exercises; plus the missing,
late and not-city-approved submissions, the extensions and the plan-completion outcome per consortium and
year.

Everything is drawn from ``random.Random(seed)`` and the xlsx archives are rewritten with fixed entry times
and a fixed core-properties timestamp, so the same seed gives byte-identical files. The generator checks
its own output: every typed value is run through the catalogue's limits and rules and the findings must
be exactly the deliberate ones, so the manifest cannot drift from the files.

The steps, one module each, in the order they draw from the random stream:

1. ``documents`` — who files what (``consortia``), when (``dates``), with which figures (``figures``) and
   texts (``texts``), as the scenario says (``scenario``);
2. ``defects`` — the deliberate faults and variants, and the files that must be rejected;
3. ``filing`` — each file's format, encoding, cell style and file name;
4. ``selfcheck`` — the findings the typed values raise are exactly the declared ones;
5. ``cells`` — each value typed as people type it, and the file written (``writers``);
6. ``answer_key`` — the manifest.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from chanjiao.generated import answer_key, selfcheck
from chanjiao.generated.cells import file_bytes
from chanjiao.generated.consortia import registry_rows
from chanjiao.generated.defects import apply_defects, rejected_files
from chanjiao.generated.documents import Draft, consortium_docs
from chanjiao.generated.filing import assign_formats, assign_names, assign_styles
from chanjiao.generated.scenario import EXTENSION, NORMALISATIONS
from chanjiao.generated.writers import (
    clear_inbox,
    extensions_csv,
    manifest_json,
    registry_csv,
    write_inbox,
)
from chanjiao.reference.labels import labels

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20250101
MANIFEST = "manifest.json"

_KIND_ZH = labels("kind_as_written")  # the wording consortia write, not the reports' (labels.csv)


def draw(seed: int = DEFAULT_SEED) -> Draft:
    """Every document of the sample, spoiled, filed and checked (no file written yet)."""
    draft = Draft.start(seed)
    for c in draft.consortia:
        docs = consortium_docs(draft, c)
        apply_defects(draft, c, docs)
        draft.docs.extend(docs)
    draft.docs.extend(rejected_files(draft))
    assign_formats(draft.docs, draft.rng)
    assign_styles(draft.docs)
    assign_names(draft.docs, draft.rng, _KIND_ZH)
    selfcheck.check(draft)
    return draft


def generate_sample(out_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Write registry.csv, extensions.csv, inbox/2024/*, inbox/2025/* and manifest.json under out_dir.

    Returns the manifest. Same seed, same bytes. A previous sample's ``inbox/`` is removed first, so the
    folder holds exactly the generated set; an inbox without a sample manifest beside it is never touched.
    """
    out_dir = Path(out_dir)
    draft = draw(seed)
    contents = {
        f"{d.folder_year or d.year}/{d.filename}": file_bytes(draft.cat, d, draft.rng, _KIND_ZH) for d in draft.docs
    }
    manifest = answer_key.manifest(draft)
    covered = {tag for entry in manifest["files"] if entry["expected"] == "accepted" for tag in entry["normalisation"]}
    uncovered = [tag for tag in NORMALISATIONS if tag not in covered]
    if uncovered:
        raise AssertionError(f"the sample does not exercise {', '.join(uncovered)}")

    out_dir.mkdir(parents=True, exist_ok=True)
    clear_inbox(out_dir, MANIFEST, "sample", manifest_text=f"sample {MANIFEST}")
    (out_dir / "registry.csv").write_bytes(registry_csv(registry_rows(draft.consortia)))
    (out_dir / "extensions.csv").write_bytes(extensions_csv([EXTENSION]))
    write_inbox(out_dir, contents)
    (out_dir / MANIFEST).write_bytes(manifest_json(manifest))
    logger.info(
        "sample (seed %s): %d consortia, %d files (%d rejected), %d missing, %d late → %s",
        seed,
        len(draft.consortia),
        len(manifest["files"]),
        sum(1 for f in manifest["files"] if f["expected"] == "rejected"),
        len(manifest["missing"]),
        len(manifest["late"]),
        out_dir,
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chanjiao.generated.sample", description="Write the seeded sample inbox, registry and manifest."
    )
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path("sample"), help="output folder (default: sample)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generate_sample(args.out_dir, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
