-- Two-level genre taxonomy (families and the subfamilies nested in them), long-tail placement
-- routes, id matching across versions, and labels at both levels.

-- ───────────────────────────── versions ─────────────────────────────
ALTER TABLE genre_taxonomy_versions ADD COLUMN n_subfamilies INTEGER;
ALTER TABLE genre_taxonomy_versions ADD COLUMN subfamily_bootstrap_ari DOUBLE;
ALTER TABLE genre_taxonomy_versions ADD COLUMN subfamily_min_bootstrap_ari DOUBLE;
ALTER TABLE genre_taxonomy_versions ADD COLUMN subfamily_largest_share DOUBLE;
ALTER TABLE genre_taxonomy_versions ADD COLUMN placed_use_share DOUBLE;
ALTER TABLE genre_taxonomy_versions ADD COLUMN kept_uses_from_previous DOUBLE;
ALTER TABLE genre_taxonomy_versions ADD COLUMN placement VARCHAR;
ALTER TABLE genre_taxonomy_versions ADD COLUMN id_match VARCHAR;
COMMENT ON COLUMN genre_taxonomy_versions.k IS 'number of families (the upper level)';
COMMENT ON COLUMN genre_taxonomy_versions.n_tags IS 'tags seen in the snapshot (placed or not)';
COMMENT ON COLUMN genre_taxonomy_versions.n_subfamilies IS 'number of subfamilies (the lower level, each inside one family)';
COMMENT ON COLUMN genre_taxonomy_versions.subfamily_bootstrap_ari IS 'mean ARI of the clustered tags'' subfamilies on fresh artist bootstraps against this partition';
COMMENT ON COLUMN genre_taxonomy_versions.subfamily_min_bootstrap_ari IS 'worst of those subfamily bootstrap ARIs';
COMMENT ON COLUMN genre_taxonomy_versions.subfamily_largest_share IS 'share of tagged artists in the largest subfamily';
COMMENT ON COLUMN genre_taxonomy_versions.placed_use_share IS 'share of tag uses (artist-tag pairs) whose tag was placed in a family';
COMMENT ON COLUMN genre_taxonomy_versions.kept_uses_from_previous IS 'share of tag uses, over tags present in both versions, that kept their family id';
COMMENT ON COLUMN genre_taxonomy_versions.placement IS 'JSON: tags per placement route, and the routes'' validation (accuracy at recovering the family of clustered tags with their co-occurrence hidden)';
COMMENT ON COLUMN genre_taxonomy_versions.id_match IS 'JSON {"family": [{"new_id", "previous_id", "jaccard"}], "subfamily": [...]}: how ids were matched to the previous version';
COMMENT ON COLUMN genre_taxonomy_versions.k_scan IS 'JSON {"family": [...], "subfamily": [...]}: per candidate cut, bootstrap ARI mean/min, silhouette, largest/smallest share, eligible';

-- ───────────────────────────── tag map ─────────────────────────────
ALTER TABLE genre_taxonomy ALTER COLUMN family_id DROP NOT NULL;
ALTER TABLE genre_taxonomy ADD COLUMN subfamily_id INTEGER;
ALTER TABLE genre_taxonomy ADD COLUMN evidence VARCHAR;
COMMENT ON TABLE genre_taxonomy IS 'Gold: the genre tag -> family and subfamily map of each taxonomy version.';
COMMENT ON COLUMN genre_taxonomy.family_id IS 'genre_families.family_id of the family (level family), stable across versions; NULL when no route placed the tag';
COMMENT ON COLUMN genre_taxonomy.subfamily_id IS 'genre_families.family_id of the subfamily (level subfamily); NULL when unplaced';
COMMENT ON COLUMN genre_taxonomy.method IS 'placement route: clustered, head-word, fma, co-occurrence, or unplaced (versions before the two-level taxonomy: clustered, cooccurrence, token, default)';
COMMENT ON COLUMN genre_taxonomy.evidence IS 'JSON: what each route said about a tag outside the tree (matched tag or head word, FMA node, artists shared), and the winning score';

-- ───────────────────────────── groups ─────────────────────────────
ALTER TABLE genre_families ADD COLUMN level VARCHAR DEFAULT 'family';
ALTER TABLE genre_families ADD COLUMN parent_id INTEGER;
COMMENT ON TABLE genre_families IS 'Gold: genre families and subfamilies of each taxonomy version (one id space for both levels).';
COMMENT ON COLUMN genre_families.family_id IS 'group id, matched to the previous version''s group of the same level so it means the same group; never reused for another';
COMMENT ON COLUMN genre_families.level IS 'family (the headline level) or subfamily (nested in one family)';
COMMENT ON COLUMN genre_families.parent_id IS 'for a subfamily, the family_id of its family; NULL for a family';
COMMENT ON COLUMN genre_families.name IS 'its two most characteristic tags (central in the group, weighted by artists)';

-- ───────────────────────────── labels ─────────────────────────────
ALTER TABLE artist_labels ADD COLUMN subfamilies INTEGER[];
ALTER TABLE artist_labels ADD COLUMN label_source VARCHAR;
COMMENT ON COLUMN artist_labels.state IS 'tagged (has placed tags), unplaced (has tags, none placed in a family), untagged (known to have none: genres = [] and no genre-search hits) or unknown (genres NULL, no hits)';
COMMENT ON COLUMN artist_labels.families IS 'sorted family ids (multi-hot); NULL unless tagged';
COMMENT ON COLUMN artist_labels.subfamilies IS 'sorted subfamily ids (multi-hot); NULL unless tagged';
COMMENT ON COLUMN artist_labels.label_source IS 'where the tags came from: genres (artists.genres: imported or crawled), hits (artist_genre_hits), genres+hits; NULL without tags';
