-- name: artist_catalog_stats
-- entity: artist
-- description: Size and span of an artist's catalog: albums (credited on the album or holding one
--   of its tracks), tracks credited at any position, first and last release year, explicit share,
--   distinct collaborators on its tracks, share of tracks where it is featured (not position 0).
WITH artist_tracks AS (
    SELECT artist_id, track_id, min(position) AS position
    FROM {snap}.track_artists
    GROUP BY artist_id, track_id
),
artist_albums AS (
    SELECT artist_id, album_id FROM {snap}.album_artists
    UNION
    SELECT art.artist_id, t.album_id
    FROM artist_tracks art JOIN {snap}.tracks t ON t.track_id = art.track_id
    WHERE t.album_id IS NOT NULL
),
album_stats AS (
    SELECT aa.artist_id, count(*) AS album_count,
           min(al.release_year) AS first_release_year, max(al.release_year) AS last_release_year
    FROM artist_albums aa LEFT JOIN {snap}.albums al ON al.album_id = aa.album_id
    GROUP BY aa.artist_id
),
track_stats AS (
    SELECT art.artist_id, count(*) AS track_count,
           avg(CASE WHEN t.explicit IS NULL THEN NULL WHEN t.explicit THEN 1.0 ELSE 0.0 END) AS explicit_share,
           avg(CASE WHEN art.position IS NULL THEN NULL WHEN art.position > 0 THEN 1.0 ELSE 0.0 END) AS featured_share,
           avg(t.duration_ms) AS mean_duration_ms
    FROM artist_tracks art LEFT JOIN {snap}.tracks t ON t.track_id = art.track_id
    GROUP BY art.artist_id
),
collaborators AS (
    SELECT a.artist_id, count(DISTINCT b.artist_id) AS collaborator_count
    FROM artist_tracks a JOIN {snap}.track_artists b
      ON b.track_id = a.track_id AND b.artist_id <> a.artist_id
    GROUP BY a.artist_id
)
SELECT
    a.artist_id,
    coalesce(s.album_count, 0) AS album_count,
    coalesce(ts.track_count, 0) AS track_count,
    s.first_release_year,
    s.last_release_year,
    s.last_release_year - s.first_release_year + 1 AS years_active,
    ts.explicit_share,
    coalesce(c.collaborator_count, 0) AS collaborator_count,
    ts.featured_share,
    ts.mean_duration_ms
FROM {snap}.artists a
LEFT JOIN album_stats s ON s.artist_id = a.artist_id
LEFT JOIN track_stats ts ON ts.artist_id = a.artist_id
LEFT JOIN collaborators c ON c.artist_id = a.artist_id
