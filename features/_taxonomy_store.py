"""Storing taxonomy versions in the warehouse, reading them back, comparing and printing them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import duckdb

from warehouse import UsageError, first_row

from ._taxonomy import Family, GenreTaxonomy

LEVELS = ["family", "subfamily"]


@dataclass
class TaxonomyVersion:
    """One stored version: its figures and its groups at both levels."""

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
    k_scan: dict
    families: list[Family]
    subfamilies: list[Family] = field(default_factory=list)
    n_subfamilies: int | None = None
    subfamily_bootstrap_ari: float | None = None
    subfamily_min_bootstrap_ari: float | None = None
    subfamily_largest_share: float | None = None
    placed_use_share: float | None = None
    kept_uses_from_previous: float | None = None
    placement: dict = field(default_factory=dict)
    id_match: dict = field(default_factory=dict)


_VERSION_COLUMNS = (
    "version, snapshot_id, created_at, previous_version, k, n_tags, n_clustered_tags, n_tagged_artists, "
    "mean_bootstrap_ari, min_bootstrap_ari, selection_ari, silhouette, largest_share, smallest_share, "
    "mean_families_per_artist, kept_from_previous, params, k_scan, n_subfamilies, subfamily_bootstrap_ari, "
    "subfamily_min_bootstrap_ari, subfamily_largest_share, placed_use_share, kept_uses_from_previous, placement, id_match")


def assignment_hash(tx: GenreTaxonomy) -> str:
    sub = getattr(tx, "tag_subfamily_", {})
    text = "\n".join(f"{t}\t{f}\t{sub.get(t)}" for t, f in sorted(tx.tag_family_.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def latest_version(con: duckdb.DuckDBPyConnection, snapshot_id: str | None = None) -> int | None:
    if snapshot_id is None:
        row = first_row(con.execute("SELECT max(version) FROM genre_taxonomy_versions"))
    else:
        row = first_row(con.execute("SELECT max(version) FROM genre_taxonomy_versions WHERE snapshot_id = ?",
                                    [snapshot_id]))
    return None if row is None or row[0] is None else int(row[0])


def next_group_id(con: duckdb.DuckDBPyConnection) -> int:
    """An id no version has used, at either level (ids are never reused for another group)."""
    row = first_row(con.execute("SELECT max(family_id) FROM genre_families"))
    return 0 if row is None or row[0] is None else int(row[0]) + 1


def newest_versions(con: duckdb.DuckDBPyConnection, n: int = 2) -> list[int]:
    """The ``n`` newest stored versions, newest first."""
    return [int(r[0]) for r in con.execute(
        "SELECT version FROM genre_taxonomy_versions ORDER BY version DESC LIMIT ?", [n]).fetchall()]


def tag_map(con: duckdb.DuckDBPyConnection, version: int) -> dict[str, int]:
    """Tag → family id of the placed tags of a version."""
    return dict(con.execute("SELECT genre, family_id FROM genre_taxonomy WHERE version = ? AND family_id IS NOT NULL",
                            [version]).fetchall())


def group_names(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """Group id (family or subfamily) → its name in the newest version that has it."""
    return dict(con.execute("SELECT family_id, name FROM genre_families ORDER BY version").fetchall())


def _fmt(x):
    return None if x is None else float(x)


def save_taxonomy(con: duckdb.DuckDBPyConnection, tx: GenreTaxonomy, snapshot_id: str,
                  previous_version: int | None) -> tuple[int, bool]:
    """Store ``tx`` as a new version, unless the same snapshot already has this exact tag map.

    Returns (version, created).
    """
    ahash = assignment_hash(tx)
    same = first_row(con.execute(
        "SELECT version FROM genre_taxonomy_versions WHERE snapshot_id = ? AND assignment_hash = ? "
        "ORDER BY version DESC LIMIT 1", [snapshot_id, ahash]))
    if same:
        return int(same[0]), False
    version = (latest_version(con) or 0) + 1
    scan = {"family": [asdict(s) for s in tx.family_scan_], "subfamily": [asdict(s) for s in tx.subfamily_scan_]}
    dendro = {"tags": tx.clustered_tags_, "linkage": [[round(float(v), 6) for v in row] for row in tx.linkage_],
              "k": tx.k_cut_, "sub_k": tx.sub_k_cut_, "families": [tx.tag_family_.get(t) for t in tx.clustered_tags_]}
    routes: dict[str, int] = {}
    for r in tx.tag_placement_.values():
        routes[r] = routes.get(r, 0) + 1
    params = {**tx.get_params(), "effective_min_artists": tx.effective_min_artists_, "selection": tx.selection_reason_,
              "subfamily_selection": tx.subfamily_selection_reason_, "hierarchy": tx.hierarchy_,
              "family_cut_k": tx.k_cut_, "subfamily_cut_k": tx.sub_k_cut_}
    con.execute(
        "INSERT INTO genre_taxonomy_versions (version, snapshot_id, created_at, previous_version, k, n_tags, "
        "n_clustered_tags, n_tagged_artists, mean_bootstrap_ari, min_bootstrap_ari, selection_ari, silhouette, "
        "largest_share, smallest_share, mean_families_per_artist, kept_from_previous, assignment_hash, params, k_scan, "
        "dendrogram, n_subfamilies, subfamily_bootstrap_ari, subfamily_min_bootstrap_ari, subfamily_largest_share, "
        "placed_use_share, kept_uses_from_previous, placement, id_match) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [version, snapshot_id, datetime.now(timezone.utc).replace(tzinfo=None), previous_version, tx.k_,
         len(tx.tag_artists_), len(tx.clustered_tags_), tx.n_tagged_artists_, tx.mean_bootstrap_ari_,
         tx.min_bootstrap_ari_, tx.selection_ari_, tx.silhouette_, tx.largest_share_, tx.smallest_share_,
         tx.mean_families_per_artist_, _fmt(tx.kept_from_previous_), ahash, json.dumps(params), json.dumps(scan),
         json.dumps(dendro), tx.n_subfamilies_, tx.subfamily_bootstrap_ari_, tx.subfamily_min_bootstrap_ari_,
         tx.subfamily_largest_share_, tx.placed_use_share_, _fmt(tx.kept_uses_from_previous_),
         json.dumps({"routes": routes, "validation": tx.placement_validation_}), json.dumps(tx.id_match_)],
    )
    rows = [(version, t, tx.tag_family_.get(t), tx.tag_placement_.get(t, "clustered"), n,
             tx.tag_subfamily_.get(t), json.dumps(tx.tag_evidence_[t]) if t in tx.tag_evidence_ else None)
            for t, n in sorted(tx.tag_artists_.items())]
    con.executemany("INSERT INTO genre_taxonomy (version, genre, family_id, method, n_artists, subfamily_id, evidence) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    groups = list(tx.families_.values()) + list(tx.subfamilies_.values())
    con.executemany(
        "INSERT INTO genre_families (version, family_id, name, top_tags, n_tags, n_artists, artist_share, level, "
        "parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(version, f.family_id, f.name, f.top_tags, f.n_tags, f.n_artists, f.artist_share, f.level, f.parent_id)
         for f in groups],
    )
    return version, True


def _groups(con, version: int) -> list[Family]:
    return [Family(r[0], r[1], list(r[2]), r[3], r[4], r[5], r[6] or "family", r[7]) for r in con.execute(
        "SELECT family_id, name, top_tags, n_tags, n_artists, artist_share, level, parent_id FROM genre_families "
        "WHERE version = ? ORDER BY family_id", [version]).fetchall()]


def _json(text, default):
    return json.loads(text) if text else default


def load_version(con: duckdb.DuckDBPyConnection, version: int | None = None) -> TaxonomyVersion:
    """A stored version (the latest when None)."""
    if version is None:
        version = latest_version(con)
        if version is None:
            raise UsageError("no genre taxonomy built yet; run `genrestore taxonomy build`")
    row = first_row(con.execute(f"SELECT {_VERSION_COLUMNS} FROM genre_taxonomy_versions WHERE version = ?", [version]))
    if row is None:
        known = [r[0] for r in con.execute("SELECT version FROM genre_taxonomy_versions ORDER BY 1").fetchall()]
        raise UsageError(f"no taxonomy version {version}; stored versions: {known or 'none'}")
    groups = _groups(con, version)
    scan = _json(row[17], {})
    if isinstance(scan, list):  # versions stored before the two-level taxonomy
        scan = {"family": scan, "subfamily": []}
    return TaxonomyVersion(
        *row[:2], str(row[2]), *row[3:16], _json(row[16], {}), scan,
        [g for g in groups if g.level == "family"], [g for g in groups if g.level == "subfamily"],
        *row[18:24], _json(row[24], {}), _json(row[25], {}))


def load_taxonomy(con: duckdb.DuckDBPyConnection, version: int) -> GenreTaxonomy:
    """A GenreTaxonomy that assigns families and subfamilies exactly as stored version ``version`` does."""
    rows = con.execute("SELECT genre, family_id, subfamily_id, n_artists FROM genre_taxonomy WHERE version = ?",
                       [version]).fetchall()
    info = load_version(con, version)
    return GenreTaxonomy.from_assignment(
        {g: f for g, f, _, _ in rows}, {g: n or 0 for g, _, _, n in rows}, {f.family_id: f for f in info.families},
        {g: s for g, _, s, _ in rows}, {s.family_id: s for s in info.subfamilies})


def dendrogram_data(con: duckdb.DuckDBPyConnection, version: int) -> dict:
    row = first_row(con.execute("SELECT dendrogram FROM genre_taxonomy_versions WHERE version = ?", [version]))
    return json.loads(row[0]) if row and row[0] else {}


def taxonomy_json(con: duckdb.DuckDBPyConnection, version: int | None = None) -> dict:
    """The document `taxonomy show --json` prints: both levels, and every tag with its placement."""
    info = load_version(con, version)
    groups = [{"id": g.family_id, "name": g.name, "level": g.level, "parent_id": g.parent_id, "artists": g.n_artists,
               "share": round(g.artist_share, 6), "top_tags": g.top_tags}
              for g in sorted(info.families, key=lambda g: -g.n_artists)
              + sorted(info.subfamilies, key=lambda g: (g.parent_id if g.parent_id is not None else -1, -g.n_artists))]
    tags = [{"genre": g, "family_id": f, "subfamily_id": s, "placement": m} for g, f, s, m in con.execute(
        "SELECT genre, family_id, subfamily_id, method FROM genre_taxonomy WHERE version = ? ORDER BY genre",
        [info.version]).fetchall()]
    return {"version": info.version, "levels": list(LEVELS), "families": groups, "tags": tags}


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
    kept_uses: float = float("nan")
    moved_subfamily: list[tuple[str, int, int]] = field(default_factory=list)
    matches: dict = field(default_factory=dict)  # level → [(v2 id, v1 id or None, jaccard)]

    @property
    def kept_share(self) -> float:
        return 1.0 - len(self.moved) / self.common_tags if self.common_tags else float("nan")


def diff_versions(con: duckdb.DuckDBPyConnection, v1: int, v2: int, threshold: float = 0.2) -> TaxonomyDiff:
    """Moved tags, families that split or merged, and the id match, from ``v1`` to ``v2``."""
    info2 = load_version(con, v2)
    load_version(con, v1)  # raises a clear error for unknown versions
    rows = {v: {g: (f, s, n or 0) for g, f, s, n in con.execute(
        "SELECT genre, family_id, subfamily_id, n_artists FROM genre_taxonomy WHERE version = ?", [v]).fetchall()}
        for v in (v1, v2)}
    a = {t: r[0] for t, r in rows[v1].items() if r[0] is not None}
    b = {t: r[0] for t, r in rows[v2].items() if r[0] is not None}
    common = sorted(set(a) & set(b))
    moved = [(t, a[t], b[t]) for t in common if a[t] != b[t]]
    uses = sum(rows[v2][t][2] for t in common)
    kept_uses = sum(rows[v2][t][2] for t in common if a[t] == b[t]) / uses if uses else float("nan")
    sa = {t: r[1] for t, r in rows[v1].items() if r[1] is not None}
    sb = {t: r[1] for t, r in rows[v2].items() if r[1] is not None}
    moved_sub = [(t, sa[t], sb[t]) for t in sorted(set(sa) & set(sb)) if sa[t] != sb[t]]

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

    matches = {}
    if info2.previous_version == v1:
        matches = {lvl: [(m["new_id"], m["previous_id"], m["jaccard"]) for m in info2.id_match.get(lvl, [])]
                   for lvl in LEVELS}
    return TaxonomyDiff(
        v1, v2, len(common), moved, sorted(set(b) - set(a)), sorted(set(a) - set(b)),
        spread(a, b), spread(b, a),
        sorted(set(b.values()) - set(a.values())), sorted(set(a.values()) - set(b.values())),
        kept_uses, moved_sub, matches,
    )
