"""Scoring a province's year: read the latest versions, score in the core, store, export, publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from chanjiao.common.exports import table_csv
from chanjiao.common.fileio import write_if_changed
from chanjiao.quality.checks import findings_frame
from chanjiao.quality.timeliness import expected_filers, latest_versions, versions_frame
from chanjiao.reference.catalogue import load_catalogue
from chanjiao.reference.frameworks import Framework
from chanjiao.scoring.outputs import points_table, ranking_markdown, scores_table, storage_records
from chanjiao.scoring.scores import input_cells, score_year, scoring_inputs_digest
from tasks.retry import io_retries
from tasks.run import RunContext, advance, open_warehouse
from tasks.templates import code_version
from warehouse import Warehouse


@dataclass
class ProvinceScores:
    """What was stored for one province and year (the warehouse's rows), for exports and the artifact."""

    year: int
    province_code: str
    framework: Framework
    consortia: list[dict]
    indicators: list[dict]
    points: list[dict]
    # What was scored, kept for the reports: the latest versions of every year up to ``year``, their stored
    # values and their cells (chanjiao.scoring.scores.input_cells).
    versions: pd.DataFrame | None = None
    values: dict[int, dict] | None = None
    cells: pd.DataFrame | None = None
    inputs: str = ""  # digest of what scoring read (chanjiao.scoring.scores.scoring_inputs_digest)


def scoring_frames(warehouse: Warehouse, catalogue, latest: pd.DataFrame) -> tuple[dict[int, dict], pd.DataFrame]:
    """The stored values of the latest versions and their input cells (usable, empty, unusable)."""
    findings = findings_frame(warehouse.findings(latest["version_id"]))
    values = warehouse.values_for(latest["version_id"])
    return values, input_cells(catalogue, latest, values, findings)


def latest_scored_versions(
    warehouse: Warehouse, registry: pd.DataFrame, year: int, as_of: date, upto: int | None = None
) -> pd.DataFrame:
    """The latest version of every consortium × year ≤ ``year`` × kind filed by ``as_of`` (and ingested by
    the run's snapshot ``upto``)."""
    versions = versions_frame(warehouse.versions(consortium_ids=registry.index, upto=upto))
    versions = versions[(versions["year"] <= year) & (versions["submitted_on"] <= as_of)]
    return latest_versions(versions)


@task(name="score", task_run_name="score-{run.year}-{province_code}", cache_policy=NO_CACHE, **io_retries())
def score_province(run: RunContext, province_code: str, timeliness: pd.DataFrame) -> ProvinceScores:
    """Score every consortium expected to file in the province for the run's year and store the result.

    Reads the latest accepted plan and summary of every year up to the run's as of its date (earlier
    summaries carry milestone dates over; last year's plan decides the adjustment mark) and their findings.
    When nothing scoring reads has changed since the stored scores were made (``scoring_inputs_digest``),
    the stored scores stand and nothing is recomputed.
    """
    scores = _score_province(run, province_code, timeliness)
    advance("score")
    return scores


def _score_province(run: RunContext, province_code: str, timeliness: pd.DataFrame) -> ProvinceScores:
    logger = get_run_logger()
    catalogue = load_catalogue()
    reference, year, as_of = run.reference, run.year, run.as_of
    framework = reference.framework_for(province_code, year)
    previous_framework = reference.framework_for(province_code, year - 1, default=framework)
    registry = expected_filers(reference.registry[reference.registry["province_code"] == province_code], year)
    summaries = timeliness[timeliness["kind"] == "summary"]
    with open_warehouse(run) as warehouse:
        latest = latest_scored_versions(warehouse, registry, year, as_of, run.upto)
        inputs = scoring_inputs_digest(
            framework,
            previous_framework,
            registry,
            reference.milestones,
            latest,
            warehouse.overrides(consortium_ids=registry.index),
            summaries,
            code=code_version(),
        )
        if not run.force and warehouse.stage_digests("score", year).get(province_code) == inputs:
            stored = warehouse.scores(year, province_code)
            if len(stored) == len(registry):
                logger.info("%s %d: nothing scoring reads has changed; the stored scores stand", province_code, year)
                return ProvinceScores(
                    year=year,
                    province_code=province_code,
                    framework=framework,
                    consortia=stored,
                    indicators=warehouse.indicator_scores(year, province_code),
                    points=warehouse.point_scores(year, province_code),
                    versions=latest,
                    inputs=inputs,
                )
        unvalidated = latest[latest["validated_at"].isna()] if len(latest) else latest
        if len(unvalidated):
            logger.warning(
                "%d versions were never validated; their values count as usable: %s",
                len(unvalidated),
                ", ".join(sorted(unvalidated["source_file"])[:5]),
            )
        values, cells = scoring_frames(warehouse, catalogue, latest)
        scores = score_year(
            framework,
            catalogue,
            registry,
            reference.milestones,
            cells,
            summaries,
            year,
            province_code,
            previous_framework=previous_framework,
        )
        consortia, indicators, points = storage_records(scores, as_of)
        warehouse.save_scores(
            year=year, province_code=province_code, consortia=consortia, indicators=indicators, points=points
        )
        warehouse.save_stage_digests("score", year, {province_code: inputs})
    grades = pd.Series([c["grade"] for c in consortia]).value_counts()
    logger.info(
        "%s %d (%s): %d consortia scored; %s; shortlist: %s; adjustment: %s",
        province_code,
        year,
        framework.label,
        len(consortia),
        ", ".join(f"{g} {n}" for g, n in grades.items()),
        ", ".join(c["consortium_id"] for c in consortia if c["shortlisted"]) or "none",
        ", ".join(c["consortium_id"] for c in consortia if c["adjustment"]) or "none",
    )
    return ProvinceScores(
        year=year,
        province_code=province_code,
        framework=framework,
        consortia=consortia,
        indicators=indicators,
        points=points,
        versions=latest,
        values=values,
        cells=cells,
        inputs=inputs,
    )


@task(
    name="export-scores",
    task_run_name="export-scores-{scores.year}-{scores.province_code}",
    cache_policy=NO_CACHE,
    **io_retries(),
)
def export_scores(run: RunContext, scores: ProvinceScores) -> list[Path]:
    """``reports/<year>/<province>/scores.csv`` and ``points.csv``, written atomically."""
    folder = run.paths.province(scores.year, scores.province_code)
    paths = [
        write_if_changed(
            run.paths.export(scores.year, scores.province_code, "scores.csv"),
            table_csv(scores_table(scores.framework, scores.consortia, scores.indicators)),
        ),
        write_if_changed(
            run.paths.export(scores.year, scores.province_code, "points.csv"),
            table_csv(points_table(scores.framework, scores.points)),
        ),
    ]
    get_run_logger().info("wrote %s (%d consortia, %d points)", folder, len(scores.consortia), len(scores.points))
    return paths


@task(
    name="publish-ranking", task_run_name="publish-ranking-{scores.year}-{scores.province_code}", cache_policy=NO_CACHE
)
def publish_ranking(run: RunContext, scores: ProvinceScores) -> str:
    """A markdown artifact with the province's ranking, shortlist and adjustment marks."""
    year, province_code = scores.year, scores.province_code
    markdown = ranking_markdown(
        scores.framework,
        scores.consortia,
        year=year,
        province=run.reference.provinces.loc[province_code, "province"],
        as_of=run.as_of,
    )
    create_markdown_artifact(
        markdown, key=f"ranking-{year}-{province_code}", description=f"Ranking {year}, province {province_code}"
    )
    return markdown
