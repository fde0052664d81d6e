-- Gold tables of the features package: materialized feature views and their registry, the genre
-- taxonomy (versions, tag -> family map, families), artist labels and the stored splits.
-- Everything is keyed by the snapshot it was built from, so a build is reproducible (point in time).

-- ───────────────────────────── feature views ─────────────────────────────
CREATE TABLE feature_views (
    name         VARCHAR NOT NULL,
    version      VARCHAR NOT NULL,
    snapshot_id  VARCHAR NOT NULL,
    entity       VARCHAR NOT NULL,
    rows         BIGINT NOT NULL,
    content_hash VARCHAR NOT NULL,
    built_at     TIMESTAMP NOT NULL,
    seconds      DOUBLE,
    PRIMARY KEY (name, snapshot_id)
);
COMMENT ON TABLE feature_views IS 'Gold: registry of materialized feature views, one row per view and snapshot.';
COMMENT ON COLUMN feature_views.name IS 'view name; its rows live in table feature_<name>';
COMMENT ON COLUMN feature_views.version IS 'sha256 prefix of the view definition (SQL text); changes when the definition does';
COMMENT ON COLUMN feature_views.snapshot_id IS 'snapshot the view was built from (snapshots.snapshot_id)';
COMMENT ON COLUMN feature_views.entity IS 'what one row describes, e.g. artist';
COMMENT ON COLUMN feature_views.rows IS 'rows materialized for this snapshot';
COMMENT ON COLUMN feature_views.content_hash IS 'order-independent hash of the materialized rows; equal for every rebuild from the same snapshot';
COMMENT ON COLUMN feature_views.built_at IS 'when this materialization was written (UTC)';
COMMENT ON COLUMN feature_views.seconds IS 'build time of the view';

CREATE TABLE feature_artist_audio_profile (
    snapshot_id VARCHAR NOT NULL,
    artist_id VARCHAR NOT NULL,
    audio_track_count BIGINT,
    danceability_mean DOUBLE, danceability_std DOUBLE, danceability_q10 DOUBLE, danceability_q50 DOUBLE, danceability_q90 DOUBLE,
    energy_mean DOUBLE, energy_std DOUBLE, energy_q10 DOUBLE, energy_q50 DOUBLE, energy_q90 DOUBLE,
    loudness_mean DOUBLE, loudness_std DOUBLE, loudness_q10 DOUBLE, loudness_q50 DOUBLE, loudness_q90 DOUBLE,
    speechiness_mean DOUBLE, speechiness_std DOUBLE, speechiness_q10 DOUBLE, speechiness_q50 DOUBLE, speechiness_q90 DOUBLE,
    acousticness_mean DOUBLE, acousticness_std DOUBLE, acousticness_q10 DOUBLE, acousticness_q50 DOUBLE, acousticness_q90 DOUBLE,
    instrumentalness_mean DOUBLE, instrumentalness_std DOUBLE, instrumentalness_q10 DOUBLE, instrumentalness_q50 DOUBLE, instrumentalness_q90 DOUBLE,
    liveness_mean DOUBLE, liveness_std DOUBLE, liveness_q10 DOUBLE, liveness_q50 DOUBLE, liveness_q90 DOUBLE,
    valence_mean DOUBLE, valence_std DOUBLE, valence_q10 DOUBLE, valence_q50 DOUBLE, valence_q90 DOUBLE,
    tempo_mean DOUBLE, tempo_std DOUBLE, tempo_q10 DOUBLE, tempo_q50 DOUBLE, tempo_q90 DOUBLE,
    duration_ms_mean DOUBLE, duration_ms_std DOUBLE, duration_ms_q10 DOUBLE, duration_ms_q50 DOUBLE, duration_ms_q90 DOUBLE,
    mode_major_share DOUBLE,
    PRIMARY KEY (snapshot_id, artist_id)
);
COMMENT ON TABLE feature_artist_audio_profile IS 'Gold feature view artist_audio_profile: distribution of the audio features of the tracks an artist is credited on (any position), per snapshot. NULL where the artist has no track with audio features.';
COMMENT ON COLUMN feature_artist_audio_profile.snapshot_id IS 'snapshot the row was built from';
COMMENT ON COLUMN feature_artist_audio_profile.artist_id IS 'artists.artist_id';
COMMENT ON COLUMN feature_artist_audio_profile.audio_track_count IS 'distinct tracks credited to the artist that have audio features';
COMMENT ON COLUMN feature_artist_audio_profile.mode_major_share IS 'share of those tracks in a major key (mode = 1)';
COMMENT ON COLUMN feature_artist_audio_profile.danceability_mean IS 'mean of the danceability (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.danceability_std IS 'sample standard deviation (NULL for one track) of the danceability (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.danceability_q10 IS '10th percentile of the danceability (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.danceability_q50 IS 'median of the danceability (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.danceability_q90 IS '90th percentile of the danceability (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.energy_mean IS 'mean of the energy (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.energy_std IS 'sample standard deviation (NULL for one track) of the energy (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.energy_q10 IS '10th percentile of the energy (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.energy_q50 IS 'median of the energy (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.energy_q90 IS '90th percentile of the energy (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.loudness_mean IS 'mean of the loudness (dB) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.loudness_std IS 'sample standard deviation (NULL for one track) of the loudness (dB) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.loudness_q10 IS '10th percentile of the loudness (dB) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.loudness_q50 IS 'median of the loudness (dB) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.loudness_q90 IS '90th percentile of the loudness (dB) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.speechiness_mean IS 'mean of the speechiness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.speechiness_std IS 'sample standard deviation (NULL for one track) of the speechiness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.speechiness_q10 IS '10th percentile of the speechiness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.speechiness_q50 IS 'median of the speechiness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.speechiness_q90 IS '90th percentile of the speechiness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.acousticness_mean IS 'mean of the acousticness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.acousticness_std IS 'sample standard deviation (NULL for one track) of the acousticness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.acousticness_q10 IS '10th percentile of the acousticness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.acousticness_q50 IS 'median of the acousticness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.acousticness_q90 IS '90th percentile of the acousticness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.instrumentalness_mean IS 'mean of the instrumentalness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.instrumentalness_std IS 'sample standard deviation (NULL for one track) of the instrumentalness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.instrumentalness_q10 IS '10th percentile of the instrumentalness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.instrumentalness_q50 IS 'median of the instrumentalness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.instrumentalness_q90 IS '90th percentile of the instrumentalness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.liveness_mean IS 'mean of the liveness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.liveness_std IS 'sample standard deviation (NULL for one track) of the liveness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.liveness_q10 IS '10th percentile of the liveness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.liveness_q50 IS 'median of the liveness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.liveness_q90 IS '90th percentile of the liveness (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.valence_mean IS 'mean of the valence (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.valence_std IS 'sample standard deviation (NULL for one track) of the valence (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.valence_q10 IS '10th percentile of the valence (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.valence_q50 IS 'median of the valence (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.valence_q90 IS '90th percentile of the valence (0-1) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.tempo_mean IS 'mean of the tempo (BPM) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.tempo_std IS 'sample standard deviation (NULL for one track) of the tempo (BPM) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.tempo_q10 IS '10th percentile of the tempo (BPM) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.tempo_q50 IS 'median of the tempo (BPM) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.tempo_q90 IS '90th percentile of the tempo (BPM) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.duration_ms_mean IS 'mean of the track duration (ms) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.duration_ms_std IS 'sample standard deviation (NULL for one track) of the track duration (ms) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.duration_ms_q10 IS '10th percentile of the track duration (ms) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.duration_ms_q50 IS 'median of the track duration (ms) of the artist''s tracks';
COMMENT ON COLUMN feature_artist_audio_profile.duration_ms_q90 IS '90th percentile of the track duration (ms) of the artist''s tracks';

CREATE TABLE feature_artist_catalog_stats (
    snapshot_id       VARCHAR NOT NULL,
    artist_id         VARCHAR NOT NULL,
    album_count       BIGINT,
    track_count       BIGINT,
    first_release_year INTEGER,
    last_release_year INTEGER,
    years_active      INTEGER,
    explicit_share    DOUBLE,
    collaborator_count BIGINT,
    featured_share    DOUBLE,
    mean_duration_ms  DOUBLE,
    PRIMARY KEY (snapshot_id, artist_id)
);
COMMENT ON TABLE feature_artist_catalog_stats IS 'Gold feature view artist_catalog_stats: size and span of an artist''s catalog, per snapshot.';
COMMENT ON COLUMN feature_artist_catalog_stats.snapshot_id IS 'snapshot the row was built from';
COMMENT ON COLUMN feature_artist_catalog_stats.artist_id IS 'artists.artist_id';
COMMENT ON COLUMN feature_artist_catalog_stats.album_count IS 'distinct albums crediting the artist (album_artists) or holding one of its tracks';
COMMENT ON COLUMN feature_artist_catalog_stats.track_count IS 'distinct tracks crediting the artist at any position (track_artists)';
COMMENT ON COLUMN feature_artist_catalog_stats.first_release_year IS 'earliest release_year of those albums; NULL when unknown';
COMMENT ON COLUMN feature_artist_catalog_stats.last_release_year IS 'latest release_year of those albums; NULL when unknown';
COMMENT ON COLUMN feature_artist_catalog_stats.years_active IS 'last_release_year - first_release_year + 1';
COMMENT ON COLUMN feature_artist_catalog_stats.explicit_share IS 'share of the artist''s tracks marked explicit, over tracks where explicit is known';
COMMENT ON COLUMN feature_artist_catalog_stats.collaborator_count IS 'distinct other artists credited on the artist''s tracks';
COMMENT ON COLUMN feature_artist_catalog_stats.featured_share IS 'share of the artist''s tracks where it is not the main (position 0) artist';
COMMENT ON COLUMN feature_artist_catalog_stats.mean_duration_ms IS 'mean tracks.duration_ms of the artist''s tracks';

CREATE TABLE feature_artist_popularity (
    snapshot_id           VARCHAR NOT NULL,
    artist_id             VARCHAR NOT NULL,
    popularity            INTEGER,
    followers             BIGINT,
    log10_followers       DOUBLE,
    track_popularity_mean DOUBLE,
    track_popularity_max  INTEGER,
    year_end_score_max    DOUBLE,
    PRIMARY KEY (snapshot_id, artist_id)
);
COMMENT ON TABLE feature_artist_popularity IS 'Gold feature view artist_popularity: popularity and reach, NULL (never 0) where the source does not give them.';
COMMENT ON COLUMN feature_artist_popularity.snapshot_id IS 'snapshot the row was built from';
COMMENT ON COLUMN feature_artist_popularity.artist_id IS 'artists.artist_id';
COMMENT ON COLUMN feature_artist_popularity.popularity IS 'artists.popularity (0-100); NULL in development-mode crawls';
COMMENT ON COLUMN feature_artist_popularity.followers IS 'artists.followers; NULL where not given';
COMMENT ON COLUMN feature_artist_popularity.log10_followers IS 'log10(1 + followers); NULL where followers is';
COMMENT ON COLUMN feature_artist_popularity.track_popularity_mean IS 'mean popularity of the artist''s tracks that have one';
COMMENT ON COLUMN feature_artist_popularity.track_popularity_max IS 'highest popularity among the artist''s tracks';
COMMENT ON COLUMN feature_artist_popularity.year_end_score_max IS 'highest yearly popularity score in artist_observations (MusicOSet); NULL elsewhere';

-- ───────────────────────────── genre taxonomy ─────────────────────────────
CREATE TABLE genre_taxonomy_versions (
    version             INTEGER PRIMARY KEY,
    snapshot_id         VARCHAR NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    previous_version    INTEGER,
    k                   INTEGER NOT NULL,
    n_tags              INTEGER NOT NULL,
    n_clustered_tags    INTEGER NOT NULL,
    n_tagged_artists    INTEGER NOT NULL,
    mean_bootstrap_ari  DOUBLE,
    min_bootstrap_ari   DOUBLE,
    selection_ari       DOUBLE,
    silhouette          DOUBLE,
    largest_share       DOUBLE,
    smallest_share      DOUBLE,
    mean_families_per_artist DOUBLE,
    kept_from_previous  DOUBLE,
    assignment_hash     VARCHAR NOT NULL,
    params              VARCHAR NOT NULL,
    k_scan              VARCHAR,
    dendrogram          VARCHAR
);
COMMENT ON TABLE genre_taxonomy_versions IS 'Gold: one row per genre-taxonomy version with the figures that chose it.';
COMMENT ON COLUMN genre_taxonomy_versions.version IS 'taxonomy version number, 1, 2, ...';
COMMENT ON COLUMN genre_taxonomy_versions.snapshot_id IS 'snapshot whose artist genres it was fitted on';
COMMENT ON COLUMN genre_taxonomy_versions.created_at IS 'when the version was stored (UTC)';
COMMENT ON COLUMN genre_taxonomy_versions.previous_version IS 'version whose family ids were matched (Hungarian on tag overlap); NULL for the first';
COMMENT ON COLUMN genre_taxonomy_versions.k IS 'number of families';
COMMENT ON COLUMN genre_taxonomy_versions.n_tags IS 'tags assigned a family (all tags seen in the snapshot)';
COMMENT ON COLUMN genre_taxonomy_versions.n_clustered_tags IS 'tags with at least min_artists artists, which the clustering used';
COMMENT ON COLUMN genre_taxonomy_versions.n_tagged_artists IS 'artists with at least one tag';
COMMENT ON COLUMN genre_taxonomy_versions.mean_bootstrap_ari IS 'mean ARI of the clustered tags'' families on fresh artist bootstraps against this partition (held-out check, not the resamples that chose k)';
COMMENT ON COLUMN genre_taxonomy_versions.min_bootstrap_ari IS 'worst of those bootstrap ARIs';
COMMENT ON COLUMN genre_taxonomy_versions.selection_ari IS 'mean bootstrap ARI of the chosen k on the resamples used to choose k';
COMMENT ON COLUMN genre_taxonomy_versions.silhouette IS 'silhouette of the clustered tags on the precomputed distances';
COMMENT ON COLUMN genre_taxonomy_versions.largest_share IS 'share of tagged artists in the largest family';
COMMENT ON COLUMN genre_taxonomy_versions.smallest_share IS 'share of tagged artists in the smallest family';
COMMENT ON COLUMN genre_taxonomy_versions.mean_families_per_artist IS 'mean number of families per tagged artist';
COMMENT ON COLUMN genre_taxonomy_versions.kept_from_previous IS 'share of tags present in both versions that kept their family id';
COMMENT ON COLUMN genre_taxonomy_versions.assignment_hash IS 'sha256 of the sorted tag -> family map; a rebuild with the same map reuses the version';
COMMENT ON COLUMN genre_taxonomy_versions.params IS 'JSON estimator parameters';
COMMENT ON COLUMN genre_taxonomy_versions.k_scan IS 'JSON per candidate k: bootstrap ARI mean/min, silhouette, largest/smallest share, eligible';
COMMENT ON COLUMN genre_taxonomy_versions.dendrogram IS 'JSON {"tags": [...], "linkage": [[a, b, height, size], ...]} of the clustered tags';

CREATE TABLE genre_taxonomy (
    version   INTEGER NOT NULL,
    genre     VARCHAR NOT NULL,
    family_id INTEGER NOT NULL,
    method    VARCHAR NOT NULL,
    n_artists INTEGER,
    PRIMARY KEY (version, genre)
);
COMMENT ON TABLE genre_taxonomy IS 'Gold: the genre tag -> family map of each taxonomy version.';
COMMENT ON COLUMN genre_taxonomy.version IS 'genre_taxonomy_versions.version';
COMMENT ON COLUMN genre_taxonomy.genre IS 'Spotify micro-genre tag';
COMMENT ON COLUMN genre_taxonomy.family_id IS 'genre_families.family_id, stable across versions';
COMMENT ON COLUMN genre_taxonomy.method IS 'how it was assigned: clustered, cooccurrence (rare tag), token (name rule) or default (largest family)';
COMMENT ON COLUMN genre_taxonomy.n_artists IS 'artists carrying the tag in the fitted snapshot';

CREATE TABLE genre_families (
    version      INTEGER NOT NULL,
    family_id    INTEGER NOT NULL,
    name         VARCHAR NOT NULL,
    top_tags     VARCHAR[] NOT NULL,
    n_tags       INTEGER NOT NULL,
    n_artists    INTEGER NOT NULL,
    artist_share DOUBLE NOT NULL,
    PRIMARY KEY (version, family_id)
);
COMMENT ON TABLE genre_families IS 'Gold: genre families of each taxonomy version.';
COMMENT ON COLUMN genre_families.family_id IS 'family id, matched to the previous version''s so it means the same family';
COMMENT ON COLUMN genre_families.name IS 'its two most central tags';
COMMENT ON COLUMN genre_families.top_tags IS 'up to 10 most central tags, most central first';
COMMENT ON COLUMN genre_families.n_tags IS 'tags assigned to the family';
COMMENT ON COLUMN genre_families.n_artists IS 'tagged artists with at least one tag of the family';
COMMENT ON COLUMN genre_families.artist_share IS 'n_artists / tagged artists';

-- ───────────────────────────── labels and splits ─────────────────────────────
CREATE TABLE artist_labels (
    snapshot_id      VARCHAR NOT NULL,
    taxonomy_version INTEGER NOT NULL,
    artist_id        VARCHAR NOT NULL,
    state            VARCHAR NOT NULL,
    families         INTEGER[],
    n_tags           INTEGER,
    PRIMARY KEY (snapshot_id, taxonomy_version, artist_id)
);
COMMENT ON TABLE artist_labels IS 'Gold: artist-level multi-label targets: the families of an artist''s genre tags.';
COMMENT ON COLUMN artist_labels.snapshot_id IS 'snapshot the labels were built from';
COMMENT ON COLUMN artist_labels.taxonomy_version IS 'genre_taxonomy_versions.version used';
COMMENT ON COLUMN artist_labels.state IS 'tagged (has tags), untagged (known to have none: genres = []) or unknown (genres NULL)';
COMMENT ON COLUMN artist_labels.families IS 'sorted family ids (multi-hot); NULL unless tagged';
COMMENT ON COLUMN artist_labels.n_tags IS 'number of genre tags; NULL when unknown';

CREATE TABLE splits (
    snapshot_id      VARCHAR NOT NULL,
    taxonomy_version INTEGER NOT NULL,
    artist_id        VARCHAR NOT NULL,
    fold             VARCHAR NOT NULL,
    cv_fold          INTEGER NOT NULL,
    seed             INTEGER NOT NULL,
    PRIMARY KEY (snapshot_id, taxonomy_version, artist_id)
);
COMMENT ON TABLE splits IS 'Gold: the artist-disjoint split of tagged artists (iterative stratification on the family matrix), shared by every model of a snapshot.';
COMMENT ON COLUMN splits.fold IS 'train or test (about 20% of artists)';
COMMENT ON COLUMN splits.cv_fold IS '0-4: cross-validation fold of a train artist; -1 for test';
COMMENT ON COLUMN splits.seed IS 'random seed of the stratification';
COMMENT ON COLUMN genre_families.version IS 'genre_taxonomy_versions.version';
COMMENT ON COLUMN artist_labels.artist_id IS 'artists.artist_id';
COMMENT ON COLUMN splits.snapshot_id IS 'snapshot the split was built for';
COMMENT ON COLUMN splits.taxonomy_version IS 'taxonomy version whose family matrix was stratified';
COMMENT ON COLUMN splits.artist_id IS 'artists.artist_id (tagged artists only)';
