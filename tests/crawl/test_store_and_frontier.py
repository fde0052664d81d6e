"""Silver merges, observations and the frontier on a real DuckDB warehouse file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from ingest.crawl import _frontier as frontier
from ingest.crawl._store import merge, observe_artists
from warehouse import Writer

T0 = datetime(2026, 11, 1)


@pytest.fixture
def writer(tmp_path):
    with Writer(tmp_path / "w.duckdb") as w:
        yield w


def artist(pop, genres, followers=10):
    return {"artist_id": "A1", "name": "x", "genres": genres, "popularity": pop, "followers": followers,
            "image_url": None, "source": "spotify:extended"}


def test_changed_values_append_observations_and_unchanged_do_not(writer):
    def write(row, when):
        with writer.transaction() as con:
            observe_artists(con, [row], when)
            merge(con, "artists", [row], when)

    write(artist(50, ["rock"]), T0)
    write(artist(50, ["rock"]), T0 + timedelta(days=1))           # unchanged
    write(artist(51, ["rock"]), T0 + timedelta(days=2))           # popularity changed
    write(artist(None, None, None), T0 + timedelta(days=3))        # nothing known: no erase, no row
    write(artist(51, ["rock", "pop"]), T0 + timedelta(days=4))     # genres changed
    rows = writer.con.execute("SELECT observed_at, popularity, genres FROM artist_observations ORDER BY 1").fetchall()
    assert [(r[1], r[2]) for r in rows] == [(50, ["rock"]), (51, ["rock"]), (51, ["rock", "pop"])]
    stored = writer.con.execute("SELECT popularity, genres, followers FROM artists").fetchall()[0]
    assert stored[0] == 51 and sorted(stored[1]) == ["pop", "rock"] and stored[2] == 10


@pytest.mark.parametrize("order", ["full_first", "simple_first"])
def test_simplified_rows_only_fill_nulls_whatever_the_order(writer, order):
    full = {"album_id": "B1", "name": "Full Name", "album_type": "album", "label": "L", "popularity": 40,
            "total_tracks": 10, "source": "spotify:extended"}
    simple = {"album_id": "B1", "name": "Short", "album_type": "album", "label": None, "popularity": None,
              "total_tracks": 9, "release_year": 1999, "source": "spotify:extended"}
    steps = [(full, False), (simple, True)] if order == "full_first" else [(simple, True), (full, False)]
    for row, fill in steps:
        with writer.transaction() as con:
            merge(con, "albums", [row], T0, fill=fill)
    got = writer.con.execute("SELECT name, label, popularity, total_tracks, release_year FROM albums").fetchall()
    assert got == [("Full Name", "L", 40, 10, 1999)]


def test_units_are_enqueued_once_ever_and_detail_batches_fill_up(writer):
    with writer.transaction() as con:
        frontier.enqueue(con, [frontier.NewUnit("search_genre", "rock")], T0)
        frontier.finish(con, [frontier.Unit("search_genre", "rock")], T0, "r1")
        frontier.enqueue(con, [frontier.NewUnit("search_genre", "rock")], T0)  # done already: ignored
        frontier.add_details(con, "features_batch", [f"t{i}" for i in range(130)], 100, T0)
        frontier.add_details(con, "features_batch", [f"t{i}" for i in range(130, 190)], 100, T0)
    states = writer.con.execute("SELECT kind, state, params FROM crawl_queue ORDER BY kind, state").fetchall()
    assert states[-1][:2] == ("search_genre", "done")
    batches = [(s, len(json.loads(p)["ids"])) for k, s, p in states if k == "features_batch"]
    assert sorted(batches) == [("open", 90), ("pending", 100)]
    with writer.transaction() as con:
        picked, _ = frontier.pick(con, {"features_batch": 1, "search_genre": 1}, set(), allow_partial=False)
        assert [len(b[0].params["ids"]) for b in picked] == [100]
        # Nothing in flight and nothing else pending: the open batch goes out partial.
        picked, _ = frontier.pick(con, {"features_batch": 1, "search_genre": 1},
                                  {("features_batch", picked[0][0].key)}, allow_partial=True)
        assert [len(b[0].params["ids"]) for b in picked] == [90]


def test_partial_artist_batches_wait_while_other_work_is_in_flight(writer):
    with writer.transaction() as con:
        frontier.enqueue(con, [frontier.NewUnit("artist", f"a{i}") for i in range(7)], T0)
        sizes = {"artist": 50}
        assert frontier.pick(con, sizes, set(), allow_partial=False)[0] == []
        batch = frontier.pick(con, sizes, set(), allow_partial=True)[0]
        assert len(batch) == 1 and len(batch[0]) == 7
