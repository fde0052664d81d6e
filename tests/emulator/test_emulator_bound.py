"""The request lower bound on a catalog small enough to count by hand."""

import pytest

from ingest.emulator import CatalogGraph, StoredSet, request_lower_bound

# A1 lists L1 L2 L3, A2 lists L3 L4 (L3 is on both discographies), A3 lists L5.
GRAPH = CatalogGraph(
    discographies={"A1": ["L1", "L2", "L3"], "A2": ["L3", "L4"], "A3": ["L5"], "A4": []},
    album_tracks={"L1": ["t1", "t2", "t3"], "L2": ["t4"], "L3": ["t5"], "L4": ["t6"], "L5": ["t7"]},
    track_album={"t1": "L1", "t2": "L1", "t3": "L1", "t4": "L2", "t5": "L3", "t6": "L4", "t7": "L5"},
)
STORED = StoredSet(
    genre_hits={"rock": {"A1", "A2", "A3"}},
    artists={"A1", "A2", "A3", "A4"},
    albums={"L1", "L2", "L3", "L4", "L5"},
    full_albums={"L1", "L2", "L4"},
    tracks={"t1", "t2", "t3", "t4", "t5", "t7"},
    full_tracks={"t7"},
    audio_features={"t1", "t2", "t3", "t4"},
    seed_tracks={"t7"},
)
SMALL = {"search": 2, "discography": 2, "artists": 2, "albums": 2, "tracks": 2, "audio_features": 3,
         "album_tracks": 2, "embedded_tracks": 2}


def test_bound_counted_by_hand_with_small_pages():
    # search: 3 hits / 2 = 2 pages, which return A1-A3 in full; artist objects: A4 alone = 1 batch.
    # discovery: L5 is named by the seed track t7 (free); L1, L2 only on A1 (1 page of 2), L4 only on
    #   A2 (1 page, 1 slot left), L3 on both fits that slot -> 2 pages.
    # album objects: L1 L2 L4 / 2 = 2. album track pages: L1 embeds t1 t2, t3 needs 1 page; t4 is
    #   embedded in L2; t5's album L3 was never fetched -> 1 page: 2. full tracks: t7 = 1.
    # audio features: 4 / 3 = 2.  Total 2 + 1 + 2 + 2 + 2 + 1 + 2 = 12.
    bound = request_lower_bound(GRAPH, STORED, "extended", sizes=SMALL)
    assert bound.steps == {"search pages": 2, "artist objects": 1, "discography pages": 2, "album objects": 2,
                           "album track pages": 2, "full tracks": 1, "audio features": 2}
    assert bound.requests == 12
    assert STORED.entities == 4 + 5 + 6 + 4


def test_bound_in_development_mode_sizes():
    # Pages of 10, single GETs: search 1, A4 1 GET, discovery A1 + A2 = 2 pages (L3 fits the room),
    # 3 album GETs, album track pages: L1 embeds all its tracks, t5 (L3 not fetched) 1 page,
    # t7 one track GET. No audio features in development mode.  1 + 1 + 2 + 3 + 0 + 1 + 1 = 9.
    stored = StoredSet(**{**STORED.__dict__, "audio_features": set()})
    unseeded = StoredSet(**{**stored.__dict__, "seed_tracks": set()})
    # Without t7 as a seed, L5 must be found on A3's discography: one more page.
    assert request_lower_bound(GRAPH, unseeded, "development").steps["discography pages"] == 3
    bound = request_lower_bound(GRAPH, stored, "development")
    assert bound.steps == {"search pages": 1, "artist objects": 1, "discography pages": 2, "album objects": 3,
                           "album track pages": 1, "full tracks": 1}
    assert bound.requests == 9
    with pytest.raises(ValueError, match="no audio features"):
        request_lower_bound(GRAPH, STORED, "development")


def test_shared_albums_beyond_the_room_need_pages_of_their_own():
    graph = CatalogGraph(discographies={"A1": ["L1", "L2", "L3", "L4"], "A2": ["L3", "L4", "L6"]},
                         album_tracks={}, track_album={})

    def pages(albums, page):
        bound = request_lower_bound(graph, StoredSet(albums=albums), "extended", sizes={"discography": page})
        return bound.steps["discography pages"]

    # L1 L2 only on A1: 1 full page; L3 L4 on both: no room left -> 1 more page; L6 not stored.
    assert pages({"L1", "L2", "L3", "L4"}, 2) == 2
    # With L6 (only on A2) stored too, A2's page has one free slot for L3; L4 still needs a page.
    assert pages({"L1", "L2", "L3", "L4", "L6"}, 2) == 3
    # Pages of 10: A1's page has room for both shared albums.
    assert pages({"L1", "L2", "L3", "L4"}, 10) == 1
