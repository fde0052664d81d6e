-- name: artist_audio_profile
-- entity: artist
-- description: Distribution of the audio features of every track an artist is credited on (any
--   position in track_artists): mean, sample std and 10/50/90th percentiles of each feature,
--   the number of such tracks and the share in a major key. NULL where no track has audio features.
WITH artist_tracks AS (
    SELECT DISTINCT ta.artist_id, ta.track_id
    FROM {snap}.track_artists ta
)
SELECT
    a.artist_id,
    count(af.track_id) AS audio_track_count,
    avg(af.danceability) AS danceability_mean,
    stddev_samp(af.danceability) AS danceability_std,
    quantile_cont(af.danceability, 0.1) AS danceability_q10,
    quantile_cont(af.danceability, 0.5) AS danceability_q50,
    quantile_cont(af.danceability, 0.9) AS danceability_q90,
    avg(af.energy) AS energy_mean,
    stddev_samp(af.energy) AS energy_std,
    quantile_cont(af.energy, 0.1) AS energy_q10,
    quantile_cont(af.energy, 0.5) AS energy_q50,
    quantile_cont(af.energy, 0.9) AS energy_q90,
    avg(af.loudness) AS loudness_mean,
    stddev_samp(af.loudness) AS loudness_std,
    quantile_cont(af.loudness, 0.1) AS loudness_q10,
    quantile_cont(af.loudness, 0.5) AS loudness_q50,
    quantile_cont(af.loudness, 0.9) AS loudness_q90,
    avg(af.speechiness) AS speechiness_mean,
    stddev_samp(af.speechiness) AS speechiness_std,
    quantile_cont(af.speechiness, 0.1) AS speechiness_q10,
    quantile_cont(af.speechiness, 0.5) AS speechiness_q50,
    quantile_cont(af.speechiness, 0.9) AS speechiness_q90,
    avg(af.acousticness) AS acousticness_mean,
    stddev_samp(af.acousticness) AS acousticness_std,
    quantile_cont(af.acousticness, 0.1) AS acousticness_q10,
    quantile_cont(af.acousticness, 0.5) AS acousticness_q50,
    quantile_cont(af.acousticness, 0.9) AS acousticness_q90,
    avg(af.instrumentalness) AS instrumentalness_mean,
    stddev_samp(af.instrumentalness) AS instrumentalness_std,
    quantile_cont(af.instrumentalness, 0.1) AS instrumentalness_q10,
    quantile_cont(af.instrumentalness, 0.5) AS instrumentalness_q50,
    quantile_cont(af.instrumentalness, 0.9) AS instrumentalness_q90,
    avg(af.liveness) AS liveness_mean,
    stddev_samp(af.liveness) AS liveness_std,
    quantile_cont(af.liveness, 0.1) AS liveness_q10,
    quantile_cont(af.liveness, 0.5) AS liveness_q50,
    quantile_cont(af.liveness, 0.9) AS liveness_q90,
    avg(af.valence) AS valence_mean,
    stddev_samp(af.valence) AS valence_std,
    quantile_cont(af.valence, 0.1) AS valence_q10,
    quantile_cont(af.valence, 0.5) AS valence_q50,
    quantile_cont(af.valence, 0.9) AS valence_q90,
    avg(af.tempo) AS tempo_mean,
    stddev_samp(af.tempo) AS tempo_std,
    quantile_cont(af.tempo, 0.1) AS tempo_q10,
    quantile_cont(af.tempo, 0.5) AS tempo_q50,
    quantile_cont(af.tempo, 0.9) AS tempo_q90,
    avg(af.duration_ms) AS duration_ms_mean,
    stddev_samp(af.duration_ms) AS duration_ms_std,
    quantile_cont(af.duration_ms, 0.1) AS duration_ms_q10,
    quantile_cont(af.duration_ms, 0.5) AS duration_ms_q50,
    quantile_cont(af.duration_ms, 0.9) AS duration_ms_q90,
    avg(af.mode) AS mode_major_share
FROM {snap}.artists a
LEFT JOIN artist_tracks t ON t.artist_id = a.artist_id
LEFT JOIN {snap}.audio_features af ON af.track_id = t.track_id
GROUP BY a.artist_id
