-- Core schema: bronze raw responses, silver entities and observations, data-set tables, ops tables.
-- Every Spotify-derived column is nullable; every row records its `source`
-- ('spotify:extended', 'spotify:development', 'musicoset', 'spotify_songs', ...).

-- ───────────────────────────── bronze ─────────────────────────────
CREATE SEQUENCE raw_responses_seq;
CREATE TABLE raw_responses (
    response_id   BIGINT PRIMARY KEY DEFAULT nextval('raw_responses_seq'),
    run_id        VARCHAR,
    requested_at  TIMESTAMP NOT NULL,
    method        VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,
    endpoint      VARCHAR,
    status        INTEGER,
    body          VARCHAR,
    source        VARCHAR NOT NULL
);
COMMENT ON TABLE raw_responses IS 'Bronze: every API response as received (request URL, status, body). Never holds tokens or secrets.';
COMMENT ON COLUMN raw_responses.run_id IS 'crawl_runs.run_id of the run that fetched it';
COMMENT ON COLUMN raw_responses.url IS 'request URL with query string; no credentials';
COMMENT ON COLUMN raw_responses.endpoint IS 'endpoint template, e.g. /artists/{id}/albums';
COMMENT ON COLUMN raw_responses.body IS 'response body text (JSON when well-formed)';
COMMENT ON COLUMN raw_responses.source IS 'spotify:<mode> of the credentials that fetched it';

-- ───────────────────────────── silver: entities ─────────────────────────────
CREATE TABLE artists (
    artist_id     VARCHAR PRIMARY KEY,
    name          VARCHAR,
    genres        VARCHAR[],
    popularity    INTEGER,
    followers     BIGINT,
    artist_type   VARCHAR,
    image_url     VARCHAR,
    source        VARCHAR NOT NULL,
    first_seen_at TIMESTAMP,
    updated_at    TIMESTAMP
);
COMMENT ON TABLE artists IS 'Silver: one row per Spotify artist, latest known values.';
COMMENT ON COLUMN artists.artist_id IS 'Spotify base-62 artist id';
COMMENT ON COLUMN artists.genres IS 'Spotify micro-genre tags. NULL = unknown (not fetched or not given to these credentials); [] = known to have none';
COMMENT ON COLUMN artists.popularity IS '0-100, NULL where the source does not give it (development mode)';
COMMENT ON COLUMN artists.followers IS 'follower count, NULL where the source does not give it';
COMMENT ON COLUMN artists.artist_type IS 'MusicOSet artist_type (singer, band, ...); NULL elsewhere';
COMMENT ON COLUMN artists.source IS 'where the latest values came from';
COMMENT ON COLUMN artists.first_seen_at IS 'when the artist first entered the warehouse';
COMMENT ON COLUMN artists.updated_at IS 'when the row last changed';

CREATE VIEW artist_genres AS
    SELECT artist_id, unnest(genres) AS genre, source FROM artists WHERE genres IS NOT NULL;
COMMENT ON VIEW artist_genres IS 'Silver (view): one row per artist and genre tag, derived from artists.genres so the two never disagree.';

CREATE TABLE genres (
    genre         VARCHAR PRIMARY KEY,
    source        VARCHAR NOT NULL,
    first_seen_at TIMESTAMP
);
COMMENT ON TABLE genres IS 'Silver: every genre tag seen, from artist objects or genre seeds.';

CREATE TABLE albums (
    album_id               VARCHAR PRIMARY KEY,
    name                   VARCHAR,
    album_type             VARCHAR,
    release_date           VARCHAR,
    release_date_precision VARCHAR,
    release_year           INTEGER,
    total_tracks           INTEGER,
    label                  VARCHAR,
    popularity             INTEGER,
    upc                    VARCHAR,
    source                 VARCHAR NOT NULL,
    updated_at             TIMESTAMP
);
COMMENT ON TABLE albums IS 'Silver: albums, singles and compilations.';
COMMENT ON COLUMN albums.release_date IS 'as given: "1981", "1981-12" or "1981-12-15"';
COMMENT ON COLUMN albums.release_date_precision IS 'year, month or day';
COMMENT ON COLUMN albums.release_year IS 'year parsed from release_date';
COMMENT ON COLUMN albums.label IS 'record label; removed in development mode';
COMMENT ON COLUMN albums.popularity IS '0-100; removed in development mode';
COMMENT ON COLUMN albums.upc IS 'external_ids.upc';

CREATE TABLE album_artists (
    album_id  VARCHAR NOT NULL,
    artist_id VARCHAR NOT NULL,
    position  INTEGER,
    source    VARCHAR NOT NULL,
    PRIMARY KEY (album_id, artist_id)
);
COMMENT ON TABLE album_artists IS 'Silver: credited artists of an album (position 0 = main artist).';

CREATE TABLE tracks (
    track_id     VARCHAR PRIMARY KEY,
    name         VARCHAR,
    album_id     VARCHAR,
    disc_number  INTEGER,
    track_number INTEGER,
    duration_ms  INTEGER,
    explicit     BOOLEAN,
    popularity   INTEGER,
    isrc         VARCHAR,
    source       VARCHAR NOT NULL,
    updated_at   TIMESTAMP
);
COMMENT ON TABLE tracks IS 'Silver: tracks.';
COMMENT ON COLUMN tracks.popularity IS '0-100; removed in development mode and absent from album track listings';
COMMENT ON COLUMN tracks.isrc IS 'external_ids.isrc; only on full track objects';

CREATE TABLE track_artists (
    track_id  VARCHAR NOT NULL,
    artist_id VARCHAR NOT NULL,
    position  INTEGER,
    source    VARCHAR NOT NULL,
    PRIMARY KEY (track_id, artist_id)
);
COMMENT ON TABLE track_artists IS 'Silver: credited artists of a track (position 0 = main artist).';

CREATE TABLE audio_features (
    track_id         VARCHAR PRIMARY KEY,
    acousticness     DOUBLE,
    danceability     DOUBLE,
    energy           DOUBLE,
    instrumentalness DOUBLE,
    key              INTEGER,
    liveness         DOUBLE,
    loudness         DOUBLE,
    mode             INTEGER,
    speechiness      DOUBLE,
    tempo            DOUBLE,
    time_signature   INTEGER,
    valence          DOUBLE,
    duration_ms      INTEGER,
    source           VARCHAR NOT NULL
);
COMMENT ON TABLE audio_features IS 'Silver: Spotify audio features per track (only extended apps granted before 2024-11-27, or imported data sets).';
COMMENT ON COLUMN audio_features.key IS 'pitch class 0-11, -1 = none detected';
COMMENT ON COLUMN audio_features.mode IS '1 = major, 0 = minor';
COMMENT ON COLUMN audio_features.loudness IS 'dB, typically -60..0';
COMMENT ON COLUMN audio_features.tempo IS 'beats per minute';

CREATE TABLE playlists (
    playlist_id VARCHAR PRIMARY KEY,
    name        VARCHAR,
    description VARCHAR,
    owner_id    VARCHAR,
    snapshot_id VARCHAR,
    total_items INTEGER,
    source      VARCHAR NOT NULL,
    updated_at  TIMESTAMP
);
COMMENT ON TABLE playlists IS 'Silver: playlists used as crawl seeds or imported.';
COMMENT ON COLUMN playlists.snapshot_id IS 'Spotify playlist version id (not a warehouse snapshot)';

CREATE TABLE playlist_items (
    playlist_id VARCHAR NOT NULL,
    position    INTEGER NOT NULL,
    track_id    VARCHAR,
    added_at    TIMESTAMP,
    source      VARCHAR NOT NULL,
    PRIMARY KEY (playlist_id, position)
);
COMMENT ON TABLE playlist_items IS 'Silver: playlist memberships in playlist order (a track may appear twice).';

-- ───────────────────────────── silver: observations ─────────────────────────────
CREATE TABLE artist_observations (
    artist_id      VARCHAR NOT NULL,
    observed_at    TIMESTAMP NOT NULL,
    popularity     INTEGER,
    followers      BIGINT,
    genres         VARCHAR[],
    year_end_score DOUBLE,
    source         VARCHAR NOT NULL,
    PRIMARY KEY (artist_id, observed_at, source)
);
COMMENT ON TABLE artist_observations IS 'Silver: values of an artist that change over time, appended when they change.';
COMMENT ON COLUMN artist_observations.year_end_score IS 'MusicOSet yearly popularity score (observed_at = that year''s Dec 31)';

CREATE TABLE track_observations (
    track_id       VARCHAR NOT NULL,
    observed_at    TIMESTAMP NOT NULL,
    popularity     INTEGER,
    year_end_score DOUBLE,
    source         VARCHAR NOT NULL,
    PRIMARY KEY (track_id, observed_at, source)
);
COMMENT ON TABLE track_observations IS 'Silver: track popularity over time.';

CREATE TABLE album_observations (
    album_id       VARCHAR NOT NULL,
    observed_at    TIMESTAMP NOT NULL,
    popularity     INTEGER,
    year_end_score DOUBLE,
    source         VARCHAR NOT NULL,
    PRIMARY KEY (album_id, observed_at, source)
);
COMMENT ON TABLE album_observations IS 'Silver: album popularity over time.';

-- ───────────────────────────── data-set tables ─────────────────────────────
CREATE TABLE ds_music_genre (
    instance_id      BIGINT PRIMARY KEY,
    artist_name      VARCHAR,
    track_name       VARCHAR,
    popularity       DOUBLE,
    acousticness     DOUBLE,
    danceability     DOUBLE,
    duration_ms      DOUBLE,
    energy           DOUBLE,
    instrumentalness DOUBLE,
    key              VARCHAR,
    liveness         DOUBLE,
    loudness         DOUBLE,
    mode             VARCHAR,
    speechiness      DOUBLE,
    tempo            DOUBLE,
    obtained_date    VARCHAR,
    valence          DOUBLE,
    music_genre      VARCHAR,
    source           VARCHAR NOT NULL
);
COMMENT ON TABLE ds_music_genre IS 'Data set: Kaggle "Prediction of music genre" (10 genres), sentinels (tempo ?, duration -1, artist empty_field) as NULL.';
COMMENT ON COLUMN ds_music_genre.key IS 'note name (C, C#, ...)';
COMMENT ON COLUMN ds_music_genre.mode IS 'Major or Minor';

CREATE TABLE ds_spotify_songs (
    row_number               INTEGER PRIMARY KEY,
    track_id                 VARCHAR,
    track_name               VARCHAR,
    track_artist             VARCHAR,
    track_popularity         INTEGER,
    track_album_id           VARCHAR,
    track_album_name         VARCHAR,
    track_album_release_date VARCHAR,
    playlist_name            VARCHAR,
    playlist_id              VARCHAR,
    playlist_genre           VARCHAR,
    playlist_subgenre        VARCHAR,
    danceability             DOUBLE,
    energy                   DOUBLE,
    key                      INTEGER,
    loudness                 DOUBLE,
    mode                     INTEGER,
    speechiness              DOUBLE,
    acousticness             DOUBLE,
    instrumentalness         DOUBLE,
    liveness                 DOUBLE,
    valence                  DOUBLE,
    tempo                    DOUBLE,
    duration_ms              INTEGER,
    source                   VARCHAR NOT NULL
);
COMMENT ON TABLE ds_spotify_songs IS 'Data set: TidyTuesday 2020-01-21 spotify_songs (one row per playlist membership; literal NA as NULL).';
COMMENT ON COLUMN ds_spotify_songs.row_number IS '1-based data row in the source file';

CREATE TABLE fma_genres (
    genre_id     INTEGER PRIMARY KEY,
    title        VARCHAR NOT NULL,
    parent_id    INTEGER,
    top_level_id INTEGER,
    track_count  INTEGER,
    source       VARCHAR NOT NULL
);
COMMENT ON TABLE fma_genres IS 'Free Music Archive genre hierarchy (163 genres, 16 top level); a hand-made taxonomy to compare against.';
COMMENT ON COLUMN fma_genres.parent_id IS 'parent genre_id, NULL for top-level genres';

-- ───────────────────────────── ops ─────────────────────────────
CREATE TABLE crawl_queue (
    kind         VARCHAR NOT NULL,
    key          VARCHAR NOT NULL,
    params       VARCHAR,
    state        VARCHAR NOT NULL DEFAULT 'pending',
    priority     INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    enqueued_at  TIMESTAMP NOT NULL,
    claimed_at   TIMESTAMP,
    done_at      TIMESTAMP,
    run_id       VARCHAR,
    last_error   VARCHAR,
    PRIMARY KEY (kind, key)
);
COMMENT ON TABLE crawl_queue IS 'Ops: the crawl frontier. A unit is (kind, key); state pending → done (or failed), committed with its results.';
COMMENT ON COLUMN crawl_queue.kind IS 'unit type, e.g. search_genre, artist_albums, album, playlist_items';
COMMENT ON COLUMN crawl_queue.params IS 'JSON parameters of the unit (e.g. next offset)';

CREATE TABLE crawl_runs (
    run_id        VARCHAR PRIMARY KEY,
    started_at    TIMESTAMP NOT NULL,
    ended_at      TIMESTAMP,
    status        VARCHAR NOT NULL,
    mode          VARCHAR,
    api_url       VARCHAR,
    seeds         VARCHAR,
    requests      BIGINT DEFAULT 0,
    responses_429 BIGINT DEFAULT 0,
    errors        BIGINT DEFAULT 0,
    entities      VARCHAR,
    paused_until  TIMESTAMP,
    message       VARCHAR
);
COMMENT ON TABLE crawl_runs IS 'Ops: one row per crawl run.';
COMMENT ON COLUMN crawl_runs.status IS 'running, completed, stopped, paused, failed';
COMMENT ON COLUMN crawl_runs.entities IS 'JSON counts of entities written by type';
COMMENT ON COLUMN crawl_runs.paused_until IS 'set when a long Retry-After ended the run; no crawl starts before it';

CREATE TABLE capabilities (
    probed_at   TIMESTAMP NOT NULL,
    api_url     VARCHAR NOT NULL,
    client_hash VARCHAR NOT NULL,
    mode        VARCHAR,
    details     VARCHAR,
    PRIMARY KEY (probed_at, api_url, client_hash)
);
COMMENT ON TABLE capabilities IS 'Ops: what each set of credentials could do when probed (JSON details).';
COMMENT ON COLUMN capabilities.client_hash IS 'sha256 prefix of the client id (never the secret)';

CREATE TABLE job_runs (
    run_id      VARCHAR PRIMARY KEY,
    job         VARCHAR NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    status      VARCHAR NOT NULL,
    counts      VARCHAR,
    snapshot_id VARCHAR,
    error       VARCHAR
);
COMMENT ON TABLE job_runs IS 'Ops: one row per job run (scheduled or by hand).';
COMMENT ON COLUMN job_runs.counts IS 'JSON counts the job reported';

CREATE TABLE snapshots (
    snapshot_id  VARCHAR PRIMARY KEY,
    created_at   TIMESTAMP NOT NULL,
    path         VARCHAR NOT NULL,
    row_counts   VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    pruned_at    TIMESTAMP
);
COMMENT ON TABLE snapshots IS 'Ops: published read-only copies of the warehouse.';
COMMENT ON COLUMN snapshots.row_counts IS 'JSON rows per table at publication';
COMMENT ON COLUMN snapshots.content_hash IS 'hash over every table''s rows, order-independent';

CREATE SEQUENCE rejects_seq;
CREATE TABLE rejects (
    reject_id   BIGINT PRIMARY KEY DEFAULT nextval('rejects_seq'),
    rejected_at TIMESTAMP NOT NULL,
    source      VARCHAR NOT NULL,
    file        VARCHAR,
    line        BIGINT,
    reason      VARCHAR NOT NULL,
    record      VARCHAR
);
COMMENT ON TABLE rejects IS 'Ops: rows and records that failed validation, with where they came from and why.';
COMMENT ON COLUMN rejects.file IS 'input file, or API URL for crawled records';
COMMENT ON COLUMN rejects.line IS '1-based line of the input file';
