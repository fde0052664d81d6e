"""Storing taxonomy versions in the warehouse, reading them back, and comparing two versions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import duckdb

from warehouse import UsageError

from ._taxonomy import Family, GenreTaxonomy
from warehouse import first_row


@dataclass
class TaxonomyVersion:
    """One stored version: its figures and its families."""

    version: int
    snapshot_id: str
    created_at: str
    previous_version: int | None
    k: int
    n_tags: int
    n_clustered_tags: int
    n_tagged_artists: int
    mean_bootstrap_ari: float
    min_bootstrap_ari: float
    selection_ari: float
    silhouette: float
    largest_share: float
    smallest_share: float
    mean_families_per_artist: float
    kept_from_previous: float | None
    params: dict
    k_scan: list
    families: list[Family]


def assignment_hash(tag_family: dict[str, int]) -> str:
    text = "\n".join(f"{t}\t{f}" for t, f in sorted(tag_family.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def latest_version(con: duckdb.DuckDBPyConnection, snapshot_id: str | None = None) -> int | None:
    if snapshot_id is None:
        row = first_row(con.execute("SELECT max(version) FROM genre_taxonomy_versions"))
    else:
        row = first_row(con.execute("SELECT max(version) FROM genre_taxonomy_versions WHERE snapshot_id = ?",
                          [snapshot_id]))
    return None if row is None or row[0] is None else int(row[0])


def tag_map(con: duckdb.DuckDBPyConnection, version: int) -> dict[str, int]:
    return dict(con.execute("SELECT genre, family_id FROM genre_taxonomy WHERE version = ?", [version]).fetchall())


def save_taxonomy(con: duckdb.DuckDBPyConnection, tx: GenreTaxonomy, snapshot_id: str,
                  previous_version: int | None) -> tuple[int, bool]:
    """Store ``tx`` as a new version, unless the same snapshot already has this exact tag map.

    Returns (version, created).
    """
    ahash = assignment_hash(tx.tag_family_)
    same = first_row(con.execute(
        "SELECT version FROM genre_taxonomy_versions WHERE snapshot_id = ? AND assignment_hash = ? "
        "ORDER BY version DESC LIMIT 1", [snapshot_id, ahash]))
    if same:
        return int(same[0]), False
    version = (latest_version(con) or 0) + 1
    scan = [asdict(s) for s in tx.k_scan_]
    dendro = {"tags": tx.clustered_tags_, "linkage": [[round(float(v), 6) for v in row] for row in tx.linkage_],
              "k": tx.k_}
    con.execute(
        "INSERT INTO genre_taxonomy_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [version, snapshot_id, datetime.now(timezone.utc).replace(tzinfo=None), previous_version, tx.k_,
         len(tx.tag_family_), len(tx.clustered_tags_), tx.n_tagged_artists_, tx.mean_bootstrap_ari_,
         tx.min_bootstrap_ari_, tx.selection_ari_, tx.silhouette_, tx.largest_share_, tx.smallest_share_,
         tx.mean_families_per_artist_, tx.kept_from_previous_, ahash,
         json.dumps({**tx.get_params(), "effective_min_artists": tx.effective_min_artists_,
                     "selection": tx.selection_reason_}), json.dumps(scan), json.dumps(dendro)],
    )
    rows = [(version, t, f, tx.tag_method_.get(t, "clustered"), tx.tag_artists_.get(t))
            for t, f in sorted(tx.tag_family_.items())]
    con.executemany("INSERT INTO genre_taxonomy VALUES (?, ?, ?, ?, ?)", rows)
    con.executemany(
        "INSERT INTO genre_families VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(version, f.family_id, f.name, f.top_tags, f.n_tags, f.n_artists, f.artist_share)
         for f in tx.families_.values()],
    )
    return version, True


def load_version(con: duckdb.DuckDBPyConnection, version: int | None = None) -> TaxonomyVersion:
    """A stored version (the latest when None)."""
    if version is None:
        version = latest_version(con)
        if version is None:
            raise UsageError("no genre taxonomy built yet; run `genrestore taxonomy build`")
    row = first_row(con.execute(
        "SELECT version, snapshot_id, created_at, previous_version, k, n_tags, n_clustered_tags, "
        "n_tagged_artists, mean_bootstrap_ari, min_bootstrap_ari, selection_ari, silhouette, largest_share, "
        "smallest_share, mean_families_per_artist, kept_from_previous, params, k_scan "
        "FROM genre_taxonomy_versions WHERE version = ?", [version]))
    if row is None:
        known = [r[0] for r in con.execute("SELECT version FROM genre_taxonomy_versions ORDER BY 1").fetchall()]
        raise UsageError(f"no taxonomy version {version}; stored versions: {known or 'none'}")
    fams = [Family(*r) for r in con.execute(
        "SELECT family_id, name, top_tags, n_tags, n_artists, artist_share FROM genre_families "
        "WHERE version = ? ORDER BY family_id", [version]).fetchall()]
    return TaxonomyVersion(*row[:2], str(row[2]), *row[3:16], json.loads(row[16]), json.loads(row[17] or "[]"),
                           [Family(f.family_id, f.name, list(f.top_tags), f.n_tags, f.n_artists, f.artist_share)
                            for f in fams])


def load_taxonomy(con: duckdb.DuckDBPyConnection, version: int) -> GenreTaxonomy:
    """A GenreTaxonomy that assigns families exactly as stored version ``version`` does."""
    rows = con.execute("SELECT genre, family_id, n_artists FROM genre_taxonomy WHERE version = ?", [version]).fetchall()
    info = load_version(con, version)
    return GenreTaxonomy.from_assignment({g: f for g, f, _ in rows}, {g: n or 0 for g, _, n in rows},
                                         {f.family_id: f for f in info.families})


def dendrogram_data(con: duckdb.DuckDBPyConnection, version: int) -> dict:
    row = first_row(con.execute("SELECT dendrogram FROM genre_taxonomy_versions WHERE version = ?", [version]))
    return json.loads(row[0]) if row and row[0] else {}


@dataclass
class TaxonomyDiff:
    v1: int
    v2: int
    common_tags: int
    moved: list[tuple[str, int, int]]  # (tag, family in v1, family in v2)
    added_tags: list[str]
    removed_tags: list[str]
    splits: list[tuple[int, list[int]]]  # v1 family → the v2 families holding ≥ 20% of its tags
    merges: list[tuple[int, list[int]]]  # v2 family ← the v1 families giving ≥ 20% of its tags
    new_families: list[int]
    gone_families: list[int]

    @property
    def kept_share(self) -> float:
        return 1.0 - len(self.moved) / self.common_tags if self.common_tags else float("nan")


def diff_versions(con: duckdb.DuckDBPyConnection, v1: int, v2: int, threshold: float = 0.2) -> TaxonomyDiff:
    """Moved tags, and families that split or merged, from ``v1`` to ``v2``."""
    for v in (v1, v2):
        load_version(con, v)  # raises a clear error for unknown versions
    a, b = tag_map(con, v1), tag_map(con, v2)
    common = sorted(set(a) & set(b))
    moved = [(t, a[t], b[t]) for t in common if a[t] != b[t]]

    def spread(src: dict, dst: dict) -> list[tuple[int, list[int]]]:
        out = []
        for fam in sorted(set(src.values())):
            tags = [t for t in common if src[t] == fam]
            counts: dict[int, int] = {}
            for t in tags:
                counts[dst[t]] = counts.get(dst[t], 0) + 1
            big = sorted(f for f, c in counts.items() if tags and c / len(tags) >= threshold)
            if len(big) > 1:
                out.append((fam, big))
        return out

    return TaxonomyDiff(
        v1, v2, len(common), moved, sorted(set(b) - set(a)), sorted(set(a) - set(b)),
        spread(a, b), spread(b, a),
        sorted(set(b.values()) - set(a.values())), sorted(set(a.values()) - set(b.values())),
    )
