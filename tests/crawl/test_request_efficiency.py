"""Requests the crawl does not send: artists a search page already returned, search pages fetched
twice; and requests measured against the lower bound (ingest.emulator.request_lower_bound)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from ingest.crawl import crawl_async
from ingest.emulator import CatalogGraph, StoredSet, load_catalog, request_lower_bound
from ingest.emulator.running import running_emulator, synthetic_catalog
from warehouse import Writer

from ._support import RecordingTransport, crawl_settings, top_genres


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    return synthetic_catalog(tmp_path_factory.getbasetemp(), artists=400, seed=7)


def _stored(con) -> StoredSet:
    def ids(sql):
        return {r[0] for r in con.execute(sql).fetchall()}

    hits: dict[str, set[str]] = {}
    for g, a in con.execute("SELECT genre, artist_id FROM artist_genre_hits").fetchall():
        hits.setdefault(g, set()).add(a)
    return StoredSet(genre_hits=hits, artists=ids("SELECT artist_id FROM artists"),
                     albums=ids("SELECT album_id FROM albums"),
                     full_albums=ids("SELECT key FROM crawl_queue WHERE kind = 'album' AND state = 'done'"),
                     tracks=ids("SELECT track_id FROM tracks"),
                     full_tracks=ids("SELECT track_id FROM tracks WHERE popularity IS NOT NULL OR isrc IS NOT NULL"),
                     audio_features=ids("SELECT track_id FROM audio_features"))


@pytest.mark.parametrize("mode", ["development", "extended"])
def test_a_complete_crawl_sends_no_request_twice_and_stays_near_the_lower_bound(catalog, tmp_path, mode):
    seeds = ",".join(f"genre:{g}" for g in top_genres(catalog, 2))
    transport = RecordingTransport()
    with running_emulator(catalog, mode=mode) as emu:
        settings = crawl_settings(tmp_path / "var", emu)
        with Writer(settings.warehouse_file) as w:
            result = asyncio.run(crawl_async(settings, w, seeds=seeds, progress=False, transport=transport,
                                             max_minutes=5))
            stored = w.run(_stored)
            single_gets = [r[0] for r in w.con.execute(
                "SELECT url FROM raw_responses WHERE endpoint = '/artists/{id}'").fetchall()]
            hit_artists = set().union(*stored.genre_hits.values())
            searched = Counter(r[0] for r in w.con.execute(
                "SELECT url FROM raw_responses WHERE endpoint = '/search'").fetchall())
        served = emu.stats()["requests"] - emu.stats()["tokens_issued"]
    assert result.status == "completed"
    # No single artist GET for an artist a genre search page returned (a complete object there).
    assert not [u for u in single_gets if u.rsplit("/", 1)[-1].split("?")[0] in hit_artists]
    assert not [u for u, n in searched.items() if n > 1]  # no search page twice
    bound = request_lower_bound(CatalogGraph.from_catalog(load_catalog(catalog)), stored, mode)
    print(f"{mode}: {served} requests, lower bound {bound.requests} {bound.steps}")
    # The probe (<= 10 requests) and discography pages that list nothing new are the slack.
    assert served <= 1.25 * bound.requests + 10
