-- Issue 16: a prediction says how sure it is, what it was made from, and by which protocol's model.
ALTER TABLE predictions ADD COLUMN family_rank INTEGER;
ALTER TABLE predictions ADD COLUMN low_confidence BOOLEAN;
ALTER TABLE predictions ADD COLUMN feature_groups VARCHAR;
ALTER TABLE predictions ADD COLUMN protocol VARCHAR;
COMMENT ON COLUMN predictions.probability IS 'probability of the family (calibrated per family on out-of-fold scores for lightgbm-calibrated models)';
COMMENT ON COLUMN predictions.predicted IS 'family assigned: probability at or over the family''s cut (for lightgbm-calibrated, the cut reaching the stated out-of-fold precision)';
COMMENT ON COLUMN predictions.family_rank IS '1 = the artist''s most probable family; the top three are its best guesses';
COMMENT ON COLUMN predictions.low_confidence IS 'true when no family of the artist reaches its cut (the top three are still given)';
COMMENT ON COLUMN predictions.feature_groups IS 'comma-separated feature groups the artist had values for (audio, popularity, catalog, name, text, release, collaborators, graph, artist type)';
COMMENT ON COLUMN predictions.protocol IS 'evaluation protocol of the model''s headline: untagged-like (test artists weighted to the untagged population) or random';
