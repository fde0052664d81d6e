-- name: artist_audio_profile
-- entity: artist
-- description: Distribution of the audio features of every track an artist is credited on (any
--   position in track_artists): mean, sample std and 10/50/90th percentiles of each feature,
--   the number of such tracks and the share in a major key. NULL where no track has audio features.
--   Means and spreads add an artist's tracks in track_id order: float sums depend on the order,
--   and a parallel GROUP BY adds in whatever order rows arrive, so two builds of the same
--   snapshot differed in the last bits (and so did the models trained on them).
WITH artist_tracks AS (
    SELECT DISTINCT ta.artist_id, ta.track_id
    FROM {snap}.track_artists ta
),
artist_audio AS (
    SELECT t.artist_id, af.track_id, af.danceability, af.energy, af.loudness, af.speechiness,
           af.acousticness, af.instrumentalness, af.liveness, af.valence, af.tempo,
           af.duration_ms, af.mode
    FROM artist_tracks t
    JOIN {snap}.audio_features af ON af.track_id = t.track_id
),
ordered AS (  -- one sort per artist, shared by every mean and spread below
    SELECT artist_id,
           list(struct_pack(
               danceability := r.danceability, energy := r.energy, loudness := r.loudness,
               speechiness := r.speechiness, acousticness := r.acousticness,
               instrumentalness := r.instrumentalness, liveness := r.liveness, valence := r.valence,
               tempo := r.tempo, duration_ms := r.duration_ms, mode := r.mode
           ) ORDER BY r.track_id) AS tracks
    FROM artist_audio r
    GROUP BY artist_id
),
moments AS (
    SELECT
        artist_id,
        list_avg([x.danceability FOR x IN tracks]) AS danceability_mean,
        list_stddev_samp([x.danceability FOR x IN tracks]) AS danceability_std,
        list_avg([x.energy FOR x IN tracks]) AS energy_mean,
        list_stddev_samp([x.energy FOR x IN tracks]) AS energy_std,
        list_avg([x.loudness FOR x IN tracks]) AS loudness_mean,
        list_stddev_samp([x.loudness FOR x IN tracks]) AS loudness_std,
        list_avg([x.speechiness FOR x IN tracks]) AS speechiness_mean,
        list_stddev_samp([x.speechiness FOR x IN tracks]) AS speechiness_std,
        list_avg([x.acousticness FOR x IN tracks]) AS acousticness_mean,
        list_stddev_samp([x.acousticness FOR x IN tracks]) AS acousticness_std,
        list_avg([x.instrumentalness FOR x IN tracks]) AS instrumentalness_mean,
        list_stddev_samp([x.instrumentalness FOR x IN tracks]) AS instrumentalness_std,
        list_avg([x.liveness FOR x IN tracks]) AS liveness_mean,
        list_stddev_samp([x.liveness FOR x IN tracks]) AS liveness_std,
        list_avg([x.valence FOR x IN tracks]) AS valence_mean,
        list_stddev_samp([x.valence FOR x IN tracks]) AS valence_std,
        list_avg([x.tempo FOR x IN tracks]) AS tempo_mean,
        list_stddev_samp([x.tempo FOR x IN tracks]) AS tempo_std,
        list_avg([x.duration_ms FOR x IN tracks]) AS duration_ms_mean,
        list_stddev_samp([x.duration_ms FOR x IN tracks]) AS duration_ms_std,
        list_avg([x.mode FOR x IN tracks]) AS mode_major_share
    FROM ordered
),
quantiles AS (
    SELECT
        artist_id,
        count(track_id) AS audio_track_count,
        quantile_cont(danceability, 0.1) AS danceability_q10,
        quantile_cont(danceability, 0.5) AS danceability_q50,
        quantile_cont(danceability, 0.9) AS danceability_q90,
        quantile_cont(energy, 0.1) AS energy_q10,
        quantile_cont(energy, 0.5) AS energy_q50,
        quantile_cont(energy, 0.9) AS energy_q90,
        quantile_cont(loudness, 0.1) AS loudness_q10,
        quantile_cont(loudness, 0.5) AS loudness_q50,
        quantile_cont(loudness, 0.9) AS loudness_q90,
        quantile_cont(speechiness, 0.1) AS speechiness_q10,
        quantile_cont(speechiness, 0.5) AS speechiness_q50,
        quantile_cont(speechiness, 0.9) AS speechiness_q90,
        quantile_cont(acousticness, 0.1) AS acousticness_q10,
        quantile_cont(acousticness, 0.5) AS acousticness_q50,
        quantile_cont(acousticness, 0.9) AS acousticness_q90,
        quantile_cont(instrumentalness, 0.1) AS instrumentalness_q10,
        quantile_cont(instrumentalness, 0.5) AS instrumentalness_q50,
        quantile_cont(instrumentalness, 0.9) AS instrumentalness_q90,
        quantile_cont(liveness, 0.1) AS liveness_q10,
        quantile_cont(liveness, 0.5) AS liveness_q50,
        quantile_cont(liveness, 0.9) AS liveness_q90,
        quantile_cont(valence, 0.1) AS valence_q10,
        quantile_cont(valence, 0.5) AS valence_q50,
        quantile_cont(valence, 0.9) AS valence_q90,
        quantile_cont(tempo, 0.1) AS tempo_q10,
        quantile_cont(tempo, 0.5) AS tempo_q50,
        quantile_cont(tempo, 0.9) AS tempo_q90,
        quantile_cont(duration_ms, 0.1) AS duration_ms_q10,
        quantile_cont(duration_ms, 0.5) AS duration_ms_q50,
        quantile_cont(duration_ms, 0.9) AS duration_ms_q90
    FROM artist_audio
    GROUP BY artist_id
)
SELECT
    a.artist_id,
    coalesce(q.audio_track_count, 0) AS audio_track_count,
    m.danceability_mean,
    m.danceability_std,
    q.danceability_q10,
    q.danceability_q50,
    q.danceability_q90,
    m.energy_mean,
    m.energy_std,
    q.energy_q10,
    q.energy_q50,
    q.energy_q90,
    m.loudness_mean,
    m.loudness_std,
    q.loudness_q10,
    q.loudness_q50,
    q.loudness_q90,
    m.speechiness_mean,
    m.speechiness_std,
    q.speechiness_q10,
    q.speechiness_q50,
    q.speechiness_q90,
    m.acousticness_mean,
    m.acousticness_std,
    q.acousticness_q10,
    q.acousticness_q50,
    q.acousticness_q90,
    m.instrumentalness_mean,
    m.instrumentalness_std,
    q.instrumentalness_q10,
    q.instrumentalness_q50,
    q.instrumentalness_q90,
    m.liveness_mean,
    m.liveness_std,
    q.liveness_q10,
    q.liveness_q50,
    q.liveness_q90,
    m.valence_mean,
    m.valence_std,
    q.valence_q10,
    q.valence_q50,
    q.valence_q90,
    m.tempo_mean,
    m.tempo_std,
    q.tempo_q10,
    q.tempo_q50,
    q.tempo_q90,
    m.duration_ms_mean,
    m.duration_ms_std,
    q.duration_ms_q10,
    q.duration_ms_q50,
    q.duration_ms_q90,
    m.mode_major_share
FROM {snap}.artists a
LEFT JOIN quantiles q ON q.artist_id = a.artist_id
LEFT JOIN moments m ON m.artist_id = a.artist_id
