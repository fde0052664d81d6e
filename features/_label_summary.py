"""What the ``artist_labels`` table holds for one snapshot, summarised for readers outside features.

The labels of a snapshot are those of its newest taxonomy version. :func:`label_summary` gives the
share of labelled artists in each family (family ids are stable across versions, so two snapshots
compare family by family), families per artist and artists per label state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb


@dataclass(frozen=True)
class LabelSummary:
    snapshot_id: str
    taxonomy_version: int | None
    labelled_artists: int  # artists with at least one family
    prevalence: dict[int, float] = field(default_factory=dict)  # family id → share of labelled artists
    cardinality: list[tuple[int | None, int]] = field(default_factory=list)  # (families per artist, artists)
    states: list[tuple[str, int]] = field(default_factory=list)  # (tagged/unplaced/untagged/unknown, artists)


def label_summary(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> LabelSummary:
    """The labels of ``snapshot_id``; ``labelled_artists`` is 0 when none were built."""
    version = con.execute("SELECT max(taxonomy_version) FROM artist_labels WHERE snapshot_id = ?",
                          [snapshot_id]).fetchall()[0][0]
    if version is None:
        return LabelSummary(snapshot_id, None, 0)
    where, params = "snapshot_id = ? AND taxonomy_version = ?", [snapshot_id, version]
    total = con.execute(f"SELECT count(*) FROM artist_labels WHERE {where} AND len(families) > 0",
                        params).fetchall()[0][0]
    if not total:
        return LabelSummary(snapshot_id, version, 0)
    counts = con.execute(
        f"SELECT f, count(*) FROM (SELECT unnest(families) AS f FROM artist_labels WHERE {where}) GROUP BY f",
        params).fetchall()
    cardinality = con.execute(f"SELECT len(families), count(*) FROM artist_labels WHERE {where} GROUP BY 1 ORDER BY 1",
                              params).fetchall()
    states = con.execute(f"SELECT state, count(*) FROM artist_labels WHERE {where} GROUP BY 1 ORDER BY 1",
                         params).fetchall()
    return LabelSummary(snapshot_id, version, total, {k: n / total for k, n in counts},
                        [tuple(r) for r in cardinality], [tuple(r) for r in states])
