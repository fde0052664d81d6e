"""The whole features build for one snapshot: views, taxonomy, labels, splits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from warehouse import SnapshotInfo, Writer, insert_rows

from ._labels import label_frame, multi_hot, prevalence_gaps, stratified_split
from ._materialize import ViewBuild, build_views
from ._snapshot_source import artist_genres_frame, attached_snapshot, genre_hierarchy
from ._taxonomy import GenreTaxonomy
from ._taxonomy_store import latest_version, load_taxonomy, next_group_id, save_taxonomy
from warehouse import first_row

SPLIT_SEED = 0


@dataclass
class TaxonomyBuild:
    version: int
    created: bool
    previous_version: int | None
    k: int
    mean_bootstrap_ari: float
    largest_share: float
    smallest_share: float
    kept_from_previous: float | None
    seconds: float
    n_subfamilies: int = 0
    subfamily_bootstrap_ari: float = float("nan")
    n_clustered_tags: int = 0
    placed_use_share: float = float("nan")
    kept_uses_from_previous: float | None = None
    min_bootstrap_ari: float = float("nan")
    sd_bootstrap_ari: float = float("nan")
    use_weighted_bootstrap_ari: float = float("nan")


@dataclass
class BuildReport:
    snapshot_id: str
    views: list[ViewBuild] = field(default_factory=list)
    taxonomy: TaxonomyBuild | None = None
    label_counts: dict[str, int] = field(default_factory=dict)
    n_train: int = 0
    n_test: int = 0
    max_prevalence_gap: float = float("nan")
    seconds: dict[str, float] = field(default_factory=dict)


class _Progress:
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, enabled: bool, total: int):
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=False)
            self.task = self.bar.add_task("features build", total=total)

    def __enter__(self):
        if self.bar:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)

    def step(self, what: str, advance: float = 1) -> None:
        if self.bar:
            self.bar.update(self.task, advance=advance, description=f"features: {what}")


def read_artist_genres(writer: Writer, snapshot: SnapshotInfo) -> pl.DataFrame:
    with attached_snapshot(writer.con, snapshot) as source:
        return artist_genres_frame(writer.con, source)


def read_hierarchy(writer: Writer, snapshot: SnapshotInfo):
    """The snapshot's FMA genre tree (``fma_genres``), or None when it holds none."""
    with attached_snapshot(writer.con, snapshot) as source:
        return genre_hierarchy(writer.con, source)


def build_taxonomy(writer: Writer, snapshot: SnapshotInfo, *, taxonomy: GenreTaxonomy | None = None,
                   artist_genres: pl.DataFrame | None = None, hierarchy=None,
                   progress=None) -> tuple[TaxonomyBuild, GenreTaxonomy]:
    """Fit the genre taxonomy on the snapshot's artists and store it as a version.

    Ids at both levels are matched to the latest stored version. ``hierarchy`` (a
    ``GenreHierarchy``) defaults to the snapshot's ``fma_genres``. A rebuild on the same snapshot
    that yields the same tag map reuses that version instead of adding one.
    """
    start = time.perf_counter()
    genres = artist_genres if artist_genres is not None else read_artist_genres(writer, snapshot)
    if hierarchy is None:
        hierarchy = read_hierarchy(writer, snapshot)
    prev_version = latest_version(writer.con)
    # Rebuilding a snapshot matches ids against the version before its own first one.
    own = first_row(writer.con.execute("SELECT min(version) FROM genre_taxonomy_versions WHERE snapshot_id = ?",
                                       [snapshot.snapshot_id]))[0]
    if own is not None:
        prev_version = first_row(writer.con.execute(
            "SELECT max(version) FROM genre_taxonomy_versions WHERE version < ?", [own]))[0]
    previous = load_taxonomy(writer.con, prev_version) if prev_version is not None else None
    tx = taxonomy if taxonomy is not None else GenreTaxonomy()
    tx.fit(genres, previous=previous, hierarchy=hierarchy, first_new_id=next_group_id(writer.con), progress=progress)
    with writer.transaction() as con:
        version, created = save_taxonomy(con, tx, snapshot.snapshot_id, prev_version)
    return TaxonomyBuild(version, created, prev_version, tx.k_, tx.mean_bootstrap_ari_, tx.largest_share_,
                         tx.smallest_share_, tx.kept_from_previous_, time.perf_counter() - start, tx.n_subfamilies_,
                         tx.subfamily_bootstrap_ari_, len(tx.clustered_tags_), tx.placed_use_share_,
                         tx.kept_uses_from_previous_, tx.min_bootstrap_ari_,
                         float(np.std(getattr(tx, "bootstrap_aris_", [float("nan")]))),
                         getattr(tx, "use_weighted_bootstrap_ari_", float("nan"))), tx


def build_labels(writer: Writer, snapshot: SnapshotInfo, version: int, *,
                 artist_genres: pl.DataFrame | None = None, seed: int = SPLIT_SEED) -> tuple[dict, tuple]:
    """Write ``artist_labels`` and ``splits`` for (snapshot, taxonomy version) in one transaction.

    Returns (label counts by state, (n_train, n_test, max prevalence gap in points)).
    """
    genres = artist_genres if artist_genres is not None else read_artist_genres(writer, snapshot)
    tx = load_taxonomy(writer.con, version)
    labels = label_frame(genres, tx)
    sid = snapshot.snapshot_id
    tagged = labels.filter(pl.col("state") == "tagged").sort("artist_id")
    # The split is stratified on the families (the headline level).
    Y = multi_hot(tagged.get_column("families").to_list(), tx.family_ids_)
    split = stratified_split(tagged.get_column("artist_id").to_list(), Y, seed=seed)
    gaps = prevalence_gaps(Y, np.array(split.get_column("fold").to_list()), split.get_column("cv_fold").to_numpy())
    with writer.transaction() as con:
        con.execute("DELETE FROM artist_labels WHERE snapshot_id = ? AND taxonomy_version = ?", [sid, version])
        con.execute("DELETE FROM splits WHERE snapshot_id = ? AND taxonomy_version = ?", [sid, version])
        insert_rows(con, "artist_labels", labels.with_columns(
            pl.lit(sid).alias("snapshot_id"), pl.lit(version, dtype=pl.Int32).alias("taxonomy_version")))
        insert_rows(con, "splits", split.with_columns(
            pl.lit(sid).alias("snapshot_id"), pl.lit(version, dtype=pl.Int32).alias("taxonomy_version"),
            pl.lit(seed, dtype=pl.Int32).alias("seed")))
    counts = dict(labels.group_by("state").len().iter_rows())
    n_test = int((split.get_column("fold") == "test").sum())
    return counts, (split.height - n_test, n_test, float(gaps.max()) if gaps.size else float("nan"))


def build_all(writer: Writer, snapshot_info: SnapshotInfo, *, progress: bool = True,
              taxonomy: GenreTaxonomy | None = None, hierarchy=None) -> BuildReport:
    """Views, taxonomy, labels and splits for one published snapshot, written through ``writer``."""
    report = BuildReport(snapshot_info.snapshot_id)
    tx = taxonomy if taxonomy is not None else GenreTaxonomy()
    n_boot = 2 * tx.n_bootstrap
    with _Progress(progress, total=3 + n_boot + 2) as bar:
        t = time.perf_counter()
        report.views = build_views(writer, snapshot_info, progress=lambda name: bar.step(f"view {name}"))
        report.seconds["views"] = time.perf_counter() - t

        t = time.perf_counter()
        genres = read_artist_genres(writer, snapshot_info)
        bar.step("artist genres read")
        report.taxonomy, _ = build_taxonomy(writer, snapshot_info, taxonomy=tx, artist_genres=genres, hierarchy=hierarchy,
                                            progress=lambda what, i, n: bar.step(f"taxonomy {what} {i}/{n}"))
        report.seconds["taxonomy"] = time.perf_counter() - t

        t = time.perf_counter()
        report.label_counts, (report.n_train, report.n_test, report.max_prevalence_gap) = build_labels(
            writer, snapshot_info, report.taxonomy.version, artist_genres=genres)
        bar.step("labels and splits")
        report.seconds["labels_splits"] = time.perf_counter() - t
    return report
