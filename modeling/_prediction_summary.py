"""What the ``predictions`` table holds for one snapshot, summarised for readers outside modeling.

:func:`prediction_summary` gives the counts, the top family per artist, every artist's best
probability and the most confident artists with their top three families; the report draws and
prints them. Names come from the live ``artists`` table when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopFamily:
    """A family that is the most probable one of ``artists`` artists."""

    family: str
    artists: int
    mean_confidence: float


@dataclass(frozen=True)
class PredictedArtist:
    """One artist's assigned families, best first, as ``"name (0.87), ..."``."""

    artist_id: str
    name: str | None
    families: str
    confidence: float


@dataclass(frozen=True)
class PredictionSummary:
    snapshot_id: str
    artists: int  # artists with a prediction row
    artists_given_a_family: int
    rows: int
    top_families: list[TopFamily]
    confidences: list[float]  # each artist's highest probability
    examples: list[PredictedArtist]


def _has_table(con, table: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?",
        [table]).fetchall()[0][0])


def predicted_artists(con, snapshot_id: str) -> int:
    """Artists with at least one prediction row for ``snapshot_id``."""
    return con.execute("SELECT count(DISTINCT artist_id) FROM predictions WHERE snapshot_id = ?",
                       [snapshot_id]).fetchall()[0][0]


def prediction_summary(con, snapshot_id: str, examples: int = 12) -> PredictionSummary | None:
    """The summary of ``snapshot_id``'s predictions, None when it has none."""
    n_artists, n_rows, n_predicted = con.execute(
        "SELECT count(DISTINCT artist_id), count(*), count(DISTINCT artist_id) FILTER (WHERE predicted) "
        "FROM predictions WHERE snapshot_id = ?", [snapshot_id]).fetchall()[0]
    if not n_rows:
        return None
    top = [TopFamily(*r) for r in con.execute("""
        WITH best AS (SELECT artist_id, arg_max(coalesce(family_name, family_id), probability) AS family,
                             max(probability) AS confidence
                      FROM predictions WHERE snapshot_id = ? GROUP BY artist_id)
        SELECT family, count(*) AS artists, avg(confidence) AS mean_confidence
        FROM best GROUP BY family ORDER BY artists DESC, family""", [snapshot_id]).fetchall()]
    conf = [r[0] for r in con.execute(
        "SELECT max(probability) FROM predictions WHERE snapshot_id = ? GROUP BY artist_id", [snapshot_id]).fetchall()]
    named = _has_table(con, "artists")
    name_col = "a.name" if named else "NULL"
    join = "LEFT JOIN artists a USING (artist_id)" if named else ""
    ex = [PredictedArtist(*r) for r in con.execute(f"""
        WITH ranked AS (SELECT artist_id, coalesce(family_name, family_id) AS family, probability,
                               row_number() OVER (PARTITION BY artist_id ORDER BY probability DESC) AS k
                        FROM predictions WHERE snapshot_id = ? AND predicted)
        SELECT r.artist_id, {name_col} AS name,
               string_agg(r.family || ' (' || round(r.probability, 2) || ')', ', ' ORDER BY r.k) AS families,
               max(r.probability) AS confidence
        FROM ranked r {join} WHERE r.k <= 3 GROUP BY r.artist_id, {name_col}
        ORDER BY confidence DESC, r.artist_id LIMIT {int(examples)}""", [snapshot_id]).fetchall()]
    return PredictionSummary(snapshot_id, n_artists, n_predicted, n_rows, top, conf, ex)
