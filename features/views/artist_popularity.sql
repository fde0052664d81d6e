-- name: artist_popularity
-- entity: artist
-- description: Popularity and reach: the artist's popularity and followers as the snapshot holds
--   them (NULL, never 0, where the source does not give them, e.g. development-mode crawls),
--   log10 followers, mean and max popularity of its tracks, best MusicOSet yearly score.
WITH track_pop AS (
    SELECT ta.artist_id, avg(t.popularity) AS track_popularity_mean, max(t.popularity) AS track_popularity_max
    FROM (SELECT DISTINCT artist_id, track_id FROM {snap}.track_artists) ta
    JOIN {snap}.tracks t ON t.track_id = ta.track_id
    GROUP BY ta.artist_id
),
yearly AS (
    SELECT artist_id, max(year_end_score) AS year_end_score_max
    FROM {snap}.artist_observations
    GROUP BY artist_id
)
SELECT
    a.artist_id,
    a.popularity,
    a.followers,
    CASE WHEN a.followers IS NULL THEN NULL ELSE log10(1 + a.followers) END AS log10_followers,
    tp.track_popularity_mean,
    tp.track_popularity_max,
    y.year_end_score_max
FROM {snap}.artists a
LEFT JOIN track_pop tp ON tp.artist_id = a.artist_id
LEFT JOIN yearly y ON y.artist_id = a.artist_id
