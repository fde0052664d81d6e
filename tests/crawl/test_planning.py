"""The planner's order of work: which kind of request goes first (``_kinds.batch_sizes``) and which
unit of a kind (the priorities ``_units`` gives discographies)."""

from __future__ import annotations

import pytest

from ingest.crawl._kinds import batch_sizes, expected_gain
from ingest.crawl._units import Context, Outcome, _artist
from ingest.spotify import ArtistRecord, Capabilities

EXTENDED = Capabilities(mode="extended")


def _rank(order: dict[str, int], kind: str) -> int:
    return list(order).index(kind)


@pytest.mark.parametrize("albums_per_page", [1.0, 5.0, 8.5, 20.0, 35.0])
@pytest.mark.parametrize("per_album", [0.3, 0.62, 1.25, 3.0, 10.0])
def test_album_batches_go_before_the_discography_pages_whose_worth_counts_them(albums_per_page, per_album):
    # A discography page is valued with what fetching its albums stores; the album batches must then
    # outrank it, or the page's worth is never realized (measured on MusicOSet, extended mode: 200-700
    # album units waited behind pages of 8-10 entities). Only a page whose own albums outweigh a
    # whole album batch's chain may go first.
    learned = {"artist_albums": albums_per_page, "album": per_album}
    order = batch_sizes(EXTENDED, learned)
    album = expected_gain("album", EXTENDED, order["album"], learned)
    page = expected_gain("artist_albums", EXTENDED, order["artist_albums"], learned)
    if albums_per_page < album:
        assert _rank(order, "album") < _rank(order, "artist_albums"), (album, page)
    # An album batch's tracks bring their audio features: never worth less than the tracks alone,
    # more while the features come cheaper per entity (100 per request) than the album batch.
    assert album >= 20 * per_album
    if 20 * per_album < 100:
        assert album > 20 * per_album


def test_an_album_batch_without_audio_features_is_worth_its_tracks():
    dev = Capabilities(mode="development", batch_albums=False, audio_features=False)
    assert expected_gain("album", dev, 1, {"album": 1.5}) == pytest.approx(1.5)


def _discography_priority(artist: dict, rank: int | None = None, ctx: Context | None = None) -> int:
    out = Outcome([])
    ctx = ctx or Context(client=None, caps=EXTENDED)
    _artist(out, ctx, ArtistRecord.model_validate(artist), rank=rank)
    [unit] = [u for u in out.enqueue if u.kind == "artist_albums"]
    return unit.priority


def _id(c: str) -> str:
    return c * 22


def test_discographies_of_the_most_followed_artists_come_first():
    small_but_popular = {"id": _id("a"), "popularity": 90, "followers": {"total": 2_000}}
    large_but_less_popular = {"id": _id("b"), "popularity": 60, "followers": {"total": 3_000_000}}
    assert _discography_priority(large_but_less_popular) > _discography_priority(small_but_popular)
    assert _discography_priority({"id": _id("c"), "popularity": 0, "followers": {"total": 0}}) >= 1
    # Below the seeds' priority (100) whatever the count.
    assert _discography_priority({"id": _id("d"), "followers": {"total": 10**12}}) <= 99
    # Without followers (development mode): popularity, then the search rank.
    assert _discography_priority({"id": _id("e"), "popularity": 70}) == 70
    assert _discography_priority({"id": _id("f")}, rank=5) > _discography_priority({"id": _id("g")}, rank=500)


def test_artists_of_tags_whose_discographies_listed_more_albums_go_first():
    # Measured on MusicOSet: rock artists list 9.2 albums each, pop artists 4.3; a page costs one
    # request either way. Equal followers, so only what the tags' pages listed tells them apart.
    ctx = Context(client=None, caps=EXTENDED)
    followers = {"total": 100_000}
    rocker = {"id": _id("r"), "genres": ["rock"], "followers": followers}
    popper = {"id": _id("p"), "genres": ["pop"], "followers": followers}
    before = (_discography_priority(rocker, ctx=ctx), _discography_priority(popper, ctx=ctx))
    assert before[0] == before[1]
    for i in range(6):  # pages seen so far: rock artists listed 20 albums, pop artists 2
        ctx.discographies.artist(f"rock{i}", ["rock", "album rock"], 50_000)
        ctx.discographies.page(f"rock{i}", 20)
        ctx.discographies.artist(f"pop{i}", ["pop"], 50_000)
        ctx.discographies.page(f"pop{i}", 2)
    late_rocker = {"id": _id("s"), "genres": ["rock"], "followers": followers}
    late_popper = {"id": _id("q"), "genres": ["pop"], "followers": followers}
    assert _discography_priority(late_rocker, ctx=ctx) > _discography_priority(late_popper, ctx=ctx)
    # Units enqueued before the pages came in get the new order when re-scored.
    rescored = ctx.discographies.priorities()
    assert rescored[_id("r")] > before[0] > rescored[_id("p")]
    # An unknown tag is expected to list the run's mean, between the two.
    other = _discography_priority({"id": _id("o"), "genres": ["polka"], "followers": followers}, ctx=ctx)
    assert rescored[_id("p")] < other < rescored[_id("r")]


def test_rescoring_changes_only_pending_discographies_below_the_seeds(tmp_path):
    from datetime import datetime

    from ingest.crawl import _frontier as frontier
    from warehouse import Writer

    now = datetime(2026, 12, 1)
    with Writer(tmp_path / "w.duckdb") as w, w.transaction() as con:
        frontier.enqueue(con, [frontier.NewUnit("artist_albums", "pending", priority=10),
                               frontier.NewUnit("artist_albums", "seed", priority=100),
                               frontier.NewUnit("artist_albums", "done", priority=10),
                               frontier.NewUnit("artist", "pending", priority=10)], now)
        frontier.finish(con, [frontier.Unit("artist_albums", "done")], now, "r1")
        frontier.reprioritize(con, "artist_albums", {"pending": 60, "seed": 1, "done": 60, "unknown": 5},
                              below=100)
        got = dict(((k, key), p) for k, key, p in con.execute("SELECT kind, key, priority FROM crawl_queue").fetchall())
    assert got == {("artist_albums", "pending"): 60, ("artist_albums", "seed"): 100,
                   ("artist_albums", "done"): 10, ("artist", "pending"): 10}
