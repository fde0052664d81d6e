"""`features` and `taxonomy`: feature views, the genre taxonomy, labels and splits."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from . import app
from ._common import console, is_tty, settings_of

features_app = typer.Typer(help="Feature views per snapshot: list them, show one, build all (with taxonomy, labels, splits).",
                           no_args_is_help=True)
taxonomy_app = typer.Typer(help="The genre taxonomy: micro-genre tags grouped into families, versioned.",
                           no_args_is_help=True)
app.add_typer(features_app, name="features")
app.add_typer(taxonomy_app, name="taxonomy")

_SNAPSHOT_HELP = "Snapshot id (a unique prefix will do); default: the latest published snapshot."


def _snapshot(settings, snapshot: Optional[str]):
    import warehouse

    return warehouse.get_snapshot(settings.snapshots_path, snapshot)


def _read_con(settings):
    """The live file when no writer holds it (gold tables live there), else the latest snapshot."""
    import warehouse

    try:
        path = warehouse.resolve_readable(settings, live=True)
    except (warehouse.WarehouseError, warehouse.UsageError):  # busy, or the live warehouse is PostgreSQL
        path = warehouse.resolve_readable(settings)
    return warehouse.connect_readonly(path)


@features_app.command("list")
def features_list() -> None:
    """List the registered feature views (name, entity, version, columns, description)."""
    import features

    t = Table("view", "entity", "version", "columns", "description")
    for v in features.list_views():
        t.add_row(v.name, v.entity, v.version, str(len(v.columns()) - 1), v.description)
    console.print(t)


@features_app.command("show")
def features_show(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="View name, e.g. artist_audio_profile (see `features list`)."),
    sql: bool = typer.Option(False, "--sql", help="Also print the view's SQL."),
) -> None:
    """Show one view: description, version, output columns, and the snapshots it was built for."""
    import duckdb

    import features

    view = features.get_view(name)
    console.print(f"[bold]{view.name}[/] (entity {view.entity}, version {view.version}, table {view.table})")
    console.print(view.description, highlight=False)
    t = Table("column", "type")
    for col, typ in view.columns():
        t.add_row(col, typ)
    console.print(t)
    try:
        con = _read_con(settings_of(ctx))
    except Exception:
        con = None
    if con is not None:
        try:
            rows = con.execute("SELECT snapshot_id, version, rows, content_hash, built_at FROM feature_views "
                               "WHERE name = ? ORDER BY snapshot_id", [name]).fetchall()
        except duckdb.Error:
            rows = []
        finally:
            con.close()
        if rows:
            b = Table("snapshot", "version", "rows", "content hash", "built at (UTC)", title="materialized")
            for r in rows:
                b.add_row(r[0], r[1], f"{r[2]:,}", r[3], str(r[4])[:19])
            console.print(b)
        else:
            console.print("not materialized yet; run `genrestore features build`")
    if sql:
        console.print(view.sql, highlight=False, markup=False)


@features_app.command("build")
def features_build(
    ctx: typer.Context,
    snapshot: Optional[str] = typer.Option(None, "--snapshot", help=_SNAPSHOT_HELP),
    n_bootstrap: int = typer.Option(30, "--bootstrap", min=0, help="Artist resamples per stability check of the taxonomy."),
) -> None:
    """Build everything for a snapshot: feature views, taxonomy version, artist labels, splits."""
    import warehouse

    import features

    settings = settings_of(ctx)
    info = _snapshot(settings, snapshot)
    warehouse.require_embedded(settings, "genrestore features build")
    with warehouse.Writer(settings.warehouse_file, command="genrestore features build", create=False) as writer:
        report = features.build_all(writer, info, progress=is_tty(),
                                    taxonomy=features.GenreTaxonomy(n_bootstrap=n_bootstrap))
    console.print(f"built features for snapshot [bold]{report.snapshot_id}[/]")
    for v in report.views:
        console.print(f"  view {v.name}: {v.rows:,} rows, hash {v.content_hash} ({v.seconds:.1f} s)")
    tx = report.taxonomy
    console.print(f"  taxonomy version {tx.version} ({'new' if tx.created else 'unchanged, reused'}): {tx.k} families "
                  f"(mean bootstrap ARI {tx.mean_bootstrap_ari:.3f}, largest family {tx.largest_share:.1%}, "
                  f"smallest {tx.smallest_share:.1%}), {tx.n_subfamilies} subfamilies, "
                  f"{tx.placed_use_share:.1%} of tag uses placed"
                  + (f", {tx.kept_from_previous:.1%} of tags kept their family id" if tx.kept_from_previous is not None else ""),
                  highlight=False)
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(report.label_counts.items()))
    console.print(f"  labels: {counts}; split: {report.n_train:,} train (5 CV folds) / {report.n_test:,} test, "
                  f"max family prevalence gap {report.max_prevalence_gap:.2f} points")


def _hierarchy(fma: Optional[Path]):
    """The FMA tree from ``--fma FILE``; None lets the build use the snapshot's fma_genres."""
    if fma is None:
        return None
    import warehouse

    import features

    if not fma.is_file():
        raise warehouse.UsageError(f"no such file: {fma}")
    try:
        return features.read_hierarchy_file(fma)
    except (OSError, KeyError, ValueError) as exc:
        raise warehouse.UsageError(f"cannot read the genre tree {fma}: {exc}") from None


@taxonomy_app.command("build")
def taxonomy_build(
    ctx: typer.Context,
    snapshot: Optional[str] = typer.Option(None, "--snapshot", help=_SNAPSHOT_HELP),
    n_bootstrap: int = typer.Option(30, "--bootstrap", min=0, help="Artist resamples per stability check."),
    min_artists: int = typer.Option(20, "--min-artists", min=2, help="Tags with fewer artists are placed after clustering."),
    k_min: int = typer.Option(8, "--k-min", min=2, help="Fewest families considered."),
    k_max: int = typer.Option(16, "--k-max", min=2, help="Most families considered."),
    sub_k_min: int = typer.Option(20, "--sub-k-min", min=2, help="Fewest subfamilies considered."),
    sub_k_max: int = typer.Option(60, "--sub-k-max", min=2, help="Most subfamilies considered."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the bootstrap resamples."),
    fma: Optional[Path] = typer.Option(None, "--fma", help="FMA genres.csv(.gz) for the fma placement route "
                                       "(default: the snapshot's fma_genres table, if imported)."),
) -> None:
    """Fit the genre taxonomy on a snapshot's artists and store it as a new version (then labels and splits)."""
    import warehouse

    import features

    settings = settings_of(ctx)
    info = _snapshot(settings, snapshot)
    if k_max < k_min or sub_k_max < sub_k_min:
        raise warehouse.UsageError("--k-max must be at least --k-min, and --sub-k-max at least --sub-k-min")
    tx = features.GenreTaxonomy(min_artists=min_artists, k_min=k_min, k_max=k_max, sub_k_min=sub_k_min,
                                sub_k_max=sub_k_max, n_bootstrap=n_bootstrap, random_state=seed)
    hierarchy = _hierarchy(fma)
    warehouse.require_embedded(settings, "genrestore taxonomy build")
    with warehouse.Writer(settings.warehouse_file, command="genrestore taxonomy build", create=False) as writer:
        build, _ = features.build_taxonomy(writer, info, taxonomy=tx, hierarchy=hierarchy)
        features.build_labels(writer, info, build.version)
    kept = (f"; {build.kept_uses_from_previous:.1%} of tag uses kept their family id from version "
            f"{build.previous_version}" if build.kept_uses_from_previous is not None else "")
    console.print(f"taxonomy version {build.version} ({'new' if build.created else 'unchanged, reused'}) "
                  f"on snapshot {info.snapshot_id}: {build.k} families (bootstrap ARI {build.mean_bootstrap_ari:.3f}), "
                  f"{build.n_subfamilies} subfamilies (ARI {build.subfamily_bootstrap_ari:.3f}), "
                  f"{build.n_clustered_tags} clustered tags, {build.placed_use_share:.1%} of tag uses placed{kept}; "
                  f"labels and splits written; `genrestore taxonomy show {build.version}` for the families",
                  highlight=False)


@taxonomy_app.command("show")
def taxonomy_show(
    ctx: typer.Context,
    version: Optional[int] = typer.Argument(None, help="Taxonomy version; default: the latest."),
    as_json: bool = typer.Option(False, "--json", help="Print the version as JSON (families at both levels, every tag)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="PNG of the two-level tree (default without --json: "
                                        "var/reports/taxonomy-v<N>.png)."),
    dendrogram: Optional[Path] = typer.Option(None, "--dendrogram", help="Also write the clustered tags' dendrogram PNG."),
    tags: int = typer.Option(6, "--tags", min=1, max=10, help="Top tags to print per family."),
) -> None:
    """Print the families and their subfamilies (sizes, top tags), the figures that chose the cuts, and draw the tree."""
    import json

    import features
    from features import write_dendrogram, write_taxonomy_tree

    settings = settings_of(ctx)
    con = _read_con(settings)
    try:
        info = features.load_version(con, version)
        data = features.dendrogram_data(con, info.version)
        doc = features.taxonomy_json(con, info.version) if as_json else None
    finally:
        con.close()
    if as_json:
        print(json.dumps(doc, indent=2))
    else:
        _print_version(info, tags)
    out = plot or (None if as_json else Path(settings.reports_path) / f"taxonomy-v{info.version}.png")
    if out is not None:
        write_taxonomy_tree(info, out)
        if not as_json:
            console.print(f"two-level tree written to {out}")
    if dendrogram is not None:
        write_dendrogram(data, info, dendrogram)
        if not as_json:
            console.print(f"dendrogram written to {dendrogram}")


def _print_version(info, tags: int) -> None:
    console.print(f"[bold]taxonomy version {info.version}[/] (snapshot {info.snapshot_id}, created {info.created_at[:19]})")
    subs: dict = {}
    for s in info.subfamilies:
        subs.setdefault(s.parent_id, []).append(s)
    t = Table("id", "family / subfamily", "artists", "share", "tags", "top tags")
    for f in sorted(info.families, key=lambda f: -f.n_artists):
        t.add_row(f"[bold]{f.family_id}[/]", f"[bold]{f.name}[/]", f"{f.n_artists:,}", f"{f.artist_share:.1%}",
                  str(f.n_tags), ", ".join(f.top_tags[:tags]))
        for s in sorted(subs.get(f.family_id, []), key=lambda s: -s.n_artists):
            t.add_row(str(s.family_id), f"  {s.name}", f"{s.n_artists:,}", f"{s.artist_share:.1%}", str(s.n_tags),
                      ", ".join(s.top_tags[:tags]))
    console.print(t)
    console.print(
        f"{info.k} families: mean bootstrap ARI {info.mean_bootstrap_ari:.3f} (min {info.min_bootstrap_ari:.3f}); "
        f"largest family {info.largest_share:.1%} of tagged artists, smallest {info.smallest_share:.1%}; "
        f"silhouette {info.silhouette:.3f}; {info.mean_families_per_artist:.2f} families per artist",
        highlight=False)
    if info.n_subfamilies is not None:
        console.print(f"{info.n_subfamilies} subfamilies: mean bootstrap ARI {info.subfamily_bootstrap_ari:.3f} "
                      f"(min {info.subfamily_min_bootstrap_ari:.3f}); largest {info.subfamily_largest_share:.1%}",
                      highlight=False)
    routes = info.placement.get("routes", {})
    console.print(f"{info.n_clustered_tags} clustered tags of {info.n_tags}, {info.n_tagged_artists:,} tagged artists"
                  + (f"; {info.placed_use_share:.1%} of tag uses placed" if info.placed_use_share is not None else "")
                  + ("; tags by route: " + ", ".join(f"{r} {n}" for r, n in sorted(routes.items(), key=lambda x: -x[1]))
                     if routes else ""), highlight=False)
    val = info.placement.get("validation", {})
    parts = [f"{r} {v['accuracy']:.1%} (answers {v['coverage']:.0%})" for r, v in
             ((r, val.get(r, {})) for r in ("head-word", "fma")) if v.get("available") and v.get("answered")]
    if parts:
        console.print("placement accuracy on clustered tags with their co-occurrence hidden: " + ", ".join(parts),
                      highlight=False)
    if info.kept_from_previous is not None:
        console.print(f"{info.kept_from_previous:.1%} of tags"
                      + (f" ({info.kept_uses_from_previous:.1%} of tag uses)" if info.kept_uses_from_previous is not None else "")
                      + f" kept their family id from version {info.previous_version}", highlight=False)


@taxonomy_app.command("diff")
def taxonomy_diff(
    ctx: typer.Context,
    v1: int = typer.Argument(..., help="Older taxonomy version."),
    v2: int = typer.Argument(..., help="Newer taxonomy version."),
    limit: int = typer.Option(30, "--limit", min=0, help="Moved tags to list (all are counted)."),
) -> None:
    """Compare two versions: how ids were matched, tags that moved family, families that split or merged."""
    import features

    con = _read_con(settings_of(ctx))
    try:
        d = features.diff_versions(con, v1, v2)
        infos = {v: features.load_version(con, v) for v in (v1, v2)}
    finally:
        con.close()
    names = {v: {g.family_id: g.name for g in i.families + i.subfamilies} for v, i in infos.items()}
    console.print(f"version {v1} → {v2}: {d.common_tags} tags placed in both, {len(d.moved)} moved family "
                  f"({d.kept_share:.1%} of tags, {d.kept_uses:.1%} of tag uses kept their family id), "
                  f"{len(d.moved_subfamily)} moved subfamily; {len(d.added_tags)} new tags, {len(d.removed_tags)} gone",
                  highlight=False)
    for level, pairs in d.matches.items():
        if not pairs:
            continue
        m = Table(f"v{v2} {level}", f"v{v1} {level}", "tag Jaccard", title=f"{level} ids matched (optimal matching)")
        for new_id, old_id, jac in pairs:
            m.add_row(f"{new_id} {names[v2].get(new_id, '')}",
                      f"{old_id} {names[v1].get(old_id, '')}" if old_id is not None else "(new id)", f"{jac:.2f}")
        console.print(m)
    for fam, into in d.splits:
        console.print(f"split: {fam} ({names[v1].get(fam)}) → " + ", ".join(f"{f} ({names[v2].get(f)})" for f in into))
    for fam, frm in d.merges:
        console.print("merge: " + ", ".join(f"{f} ({names[v1].get(f)})" for f in frm) + f" → {fam} ({names[v2].get(fam)})")
    if d.new_families:
        console.print("new family ids: " + ", ".join(f"{f} ({names[v2].get(f)})" for f in d.new_families))
    if d.gone_families:
        console.print("gone family ids: " + ", ".join(f"{f} ({names[v1].get(f)})" for f in d.gone_families))
    if d.moved and limit:
        t = Table("tag", f"v{v1} family", f"v{v2} family")
        for tag, a, b in d.moved[:limit]:
            t.add_row(tag, f"{a} {names[v1].get(a, '')}", f"{b} {names[v2].get(b, '')}")
        console.print(t)
