-- Crawl: where an artist was found by a genre-filtered search. In development mode artist objects
-- carry no genres, so "appeared in the results of genre:"g"" is the genre evidence left
-- (docs/spotify-web-api.md §8.2 a); in extended mode it is a cheap cross-check of artists.genres.
CREATE TABLE artist_genre_hits (
    genre      VARCHAR NOT NULL,
    artist_id  VARCHAR NOT NULL,
    rank       INTEGER,
    source     VARCHAR NOT NULL,
    first_seen_at TIMESTAMP,
    PRIMARY KEY (genre, artist_id)
);
COMMENT ON TABLE artist_genre_hits IS 'Silver: artist returned by a search for genre:"<genre>" (genre evidence that survives when artist objects carry no genres).';
COMMENT ON COLUMN artist_genre_hits.genre IS 'the genre tag searched for';
COMMENT ON COLUMN artist_genre_hits.artist_id IS 'Spotify artist id found in the results';
COMMENT ON COLUMN artist_genre_hits.rank IS '0-based position in the search results (the API''s relevance order)';
COMMENT ON COLUMN artist_genre_hits.source IS 'spotify:<mode> of the credentials that searched';
COMMENT ON COLUMN artist_genre_hits.first_seen_at IS 'when the hit was first recorded';
