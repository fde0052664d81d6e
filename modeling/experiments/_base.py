"""What an experiment is, what it is given (:class:`Context`) and what it returns (:class:`Outcome`).

The context holds a private in-memory copy of the imported data-set tables, so an experiment that
runs for minutes holds neither the writer lock nor a reader on the warehouse file; splits and
feature matrices come from ``modeling.dataset_task_data`` on that copy, so they are the very
splits ``reproduce`` and ``train`` use.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import duckdb
import numpy as np

from warehouse import UsageError

from .._errors import ModelingError
from .._threads import n_threads

# Data-set tables an experiment may read, by data-set name.
TABLES = {"music_genre": "ds_music_genre", "spotify_songs": "ds_spotify_songs"}


@dataclass
class Outcome:
    """What a run measured: flat ``figures`` (numbers), ``artifacts`` (tables, curves, trials)."""

    figures: dict[str, float]
    artifacts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """A named, reproducible experiment from one of the projects genrestore grew from."""

    name: str
    source: str                       # the project it comes from
    protocol: str                     # data, split and models, in words
    datasets: tuple[str, ...]         # imported data sets it needs
    published: dict[str, float]       # figure name -> the published figure it stands beside
    defaults: dict[str, Any]          # parameters; a run may override any of them
    run_fn: Callable[["Context", dict], Outcome]
    plots_fn: Callable[[dict, dict], list] | None = None  # (figures, artifacts) -> [(title, matplotlib figure)]
    summary: str = ""
    headline: tuple[str, ...] = ()    # the figures that say what a run found (list, docs)

    def parameters(self, overrides: dict | None = None) -> dict[str, Any]:
        unknown = set(overrides or {}) - set(self.defaults)
        if unknown:
            raise UsageError(f"experiment {self.name} has no parameter {sorted(unknown)[0]!r}; "
                             f"it takes {', '.join(sorted(self.defaults)) or 'none'}")
        return {**self.defaults, **(overrides or {})}

    def plots(self, figures: dict, artifacts: dict) -> list:
        return self.plots_fn(figures, artifacts) if self.plots_fn else []


class Context:
    """Data and settings shared by the experiments of one run.

    :param con: a DuckDB connection holding the ``ds_*`` tables (a reader on the warehouse, or a
        test's own file); the tables are copied into memory and ``con`` is not used afterwards.
    :param seed: seed of every split and model.
    :param n_jobs: threads per model (callers holding the settings pass ``settings.modeling.jobs``;
        default: that setting's declared default).
    """

    def __init__(self, con, *, seed: int = 0, n_jobs: int | None = None, snapshot_id: str | None = None,
                 progress: Callable[[str], None] | None = None, datasets: tuple[str, ...] = tuple(TABLES),
                 families: Callable[[], Any] | None = None):
        self.seed = int(seed)
        self._families_loader, self._families = families, None
        self.n_jobs = n_threads(n_jobs)
        self.snapshot_id = snapshot_id
        self._say = progress or (lambda _m: None)
        self.con = duckdb.connect(":memory:")
        self.available: set[str] = set()
        for dataset in datasets:
            table = TABLES[dataset]
            if not _has_rows(con, table):
                continue
            arrow = con.sql(f"SELECT * FROM {table}").pl().to_arrow()
            self.con.register("_incoming", arrow)
            self.con.execute(f"CREATE TABLE {table} AS SELECT * FROM _incoming")
            self.con.unregister("_incoming")
            self.available.add(dataset)

    def say(self, message: str) -> None:
        self._say(message)

    def require(self, *datasets: str) -> None:
        missing = [d for d in datasets if d not in self.available]
        if missing:
            raise DatasetMissing(f"the {missing[0]} data set is not imported "
                                 f"(`genrestore import {missing[0].replace('_', '-')}`)")

    def task_data(self, task: str, dataset: str, protocol: str, feature_set: str | None = None):
        """``modeling.dataset_task_data`` on the copied tables, with this run's seed."""
        import modeling

        self.require(dataset)
        return modeling.dataset_task_data(self.con, task, dataset, protocol=protocol, feature_set=feature_set,
                                          seed=self.seed, snapshot_id=self.snapshot_id)

    def artist_families(self):
        """The artist-families training data (``modeling.TaskData``) of the newest snapshot with
        labels built, loaded on first use; :class:`DatasetMissing` when there is none."""
        if self._families is None:
            if self._families_loader is None:
                raise DatasetMissing("no snapshot with genre-family labels (`genrestore features build`)")
            self._families = self._families_loader()
        return self._families

    def column(self, dataset: str, column: str, ids: np.ndarray) -> np.ndarray:
        """A raw column of a data-set table aligned to TaskData row ids (``row_key``)."""
        key = "instance_id" if dataset == "music_genre" else "row_number"
        got = self.con.execute(f"SELECT CAST({key} AS VARCHAR), {column} FROM {TABLES[dataset]}").fetchall()
        by_key = dict(got)
        return np.asarray([by_key.get(str(i)) for i in ids], dtype=object)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DatasetMissing(ModelingError, UsageError):
    """The experiment's data set is not imported: the run is recorded as skipped."""


def families_from(path) -> Callable[[], Any]:
    """A loader for :meth:`Context.artist_families`: opens the warehouse file at ``path`` read-only
    when called (not before: most experiments never need it) and reads the newest snapshot that
    has labels (snapshot ids sort by time)."""

    def load():
        import modeling
        from warehouse import connect_readonly

        con = connect_readonly(path)
        try:
            if not _has_rows(con, "artist_labels"):
                raise DatasetMissing("no snapshot with genre-family labels (`genrestore features build`)")
            snapshot_id = con.execute("SELECT max(snapshot_id) FROM artist_labels").fetchall()[0][0]
            return modeling.artist_families_data(con, snapshot_id)
        finally:
            con.close()

    return load


def _has_rows(con, table: str) -> bool:
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
                         "AND database_name = current_database()", [table]).fetchall()[0][0]
    return bool(exists) and con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] > 0


class Timer:
    """``with Timer() as t: ...; t.seconds`` (wall clock)."""

    def __enter__(self) -> "Timer":
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start
