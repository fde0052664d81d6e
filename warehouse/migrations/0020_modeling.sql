-- Modeling registry: trained models, their metrics, and the champion's genre-family predictions.

CREATE TABLE models (
    model_id          VARCHAR PRIMARY KEY,
    task              VARCHAR NOT NULL,
    dataset           VARCHAR NOT NULL,
    estimator         VARCHAR NOT NULL,
    snapshot_id       VARCHAR,
    taxonomy_version  VARCHAR,
    feature_versions  VARCHAR,
    split_id          VARCHAR,
    params            VARCHAR NOT NULL,
    artifact_path     VARCHAR NOT NULL,
    status            VARCHAR NOT NULL,
    headline_metric   VARCHAR NOT NULL,
    headline_value    DOUBLE,
    test_set_hash     VARCHAR NOT NULL,
    n_train           INTEGER,
    n_test            INTEGER,
    train_seconds     DOUBLE,
    created_at        TIMESTAMP NOT NULL,
    promoted_at       TIMESTAMP,
    decision          VARCHAR,
    source            VARCHAR NOT NULL DEFAULT 'genrestore.modeling'
);
COMMENT ON TABLE models IS 'Gold: every trained model (champion, challenger or retired) with what it was trained on and where its artifact is.';
COMMENT ON COLUMN models.model_id IS 'unique id: <task>-<dataset>-<estimator>-<UTC time>-<random>';
COMMENT ON COLUMN models.task IS 'artist-families (multi-label), track-genre (single label), popularity or duration (regression)';
COMMENT ON COLUMN models.dataset IS 'training data: warehouse (artist feature views), music_genre or spotify_songs';
COMMENT ON COLUMN models.estimator IS 'lightgbm, prevalence/majority/mean, logistic/linear, random-forest';
COMMENT ON COLUMN models.snapshot_id IS 'warehouse snapshot the training data came from (NULL: the live file)';
COMMENT ON COLUMN models.taxonomy_version IS 'genre taxonomy version of the family labels (artist-families only)';
COMMENT ON COLUMN models.feature_versions IS 'JSON {feature view: version} of the views used (artist-families only)';
COMMENT ON COLUMN models.split_id IS 'which train/test split: the stored artist split of the snapshot, or the protocol for data-set tasks';
COMMENT ON COLUMN models.params IS 'JSON estimator parameters';
COMMENT ON COLUMN models.artifact_path IS 'joblib file under settings.models_path holding the fitted estimator and its test-set predictions';
COMMENT ON COLUMN models.status IS 'champion (one per task and dataset), challenger, or retired';
COMMENT ON COLUMN models.headline_metric IS 'the metric promotion compares: macro_auprc, macro_auroc (track-genre), rmse (regression)';
COMMENT ON COLUMN models.headline_value IS 'headline metric on the test set';
COMMENT ON COLUMN models.test_set_hash IS 'sha256 prefix of the sorted test-row ids; equal hashes = same test set';
COMMENT ON COLUMN models.n_train IS 'training rows (artists or tracks)';
COMMENT ON COLUMN models.n_test IS 'test rows';
COMMENT ON COLUMN models.train_seconds IS 'wall-clock seconds spent fitting';
COMMENT ON COLUMN models.created_at IS 'when training finished (UTC)';
COMMENT ON COLUMN models.promoted_at IS 'when the model last became champion (UTC)';
COMMENT ON COLUMN models.decision IS 'why it was or was not promoted (paired bootstrap of the headline difference)';
COMMENT ON COLUMN models.source IS 'what wrote the row';

CREATE TABLE model_metrics (
    model_id   VARCHAR NOT NULL,
    metric     VARCHAR NOT NULL,
    value      DOUBLE,
    ci_low     DOUBLE,
    ci_high    DOUBLE,
    family_id  VARCHAR,
    label      VARCHAR,
    support    INTEGER,
    source     VARCHAR NOT NULL DEFAULT 'genrestore.modeling'
);
COMMENT ON TABLE model_metrics IS 'Gold: test-set metrics of each model; one row per metric, and per family/label for the per-family table.';
COMMENT ON COLUMN model_metrics.model_id IS 'models.model_id';
COMMENT ON COLUMN model_metrics.metric IS 'e.g. macro_auprc, micro_f1, hamming_loss, lrap, accuracy, rmse, spearman, threshold';
COMMENT ON COLUMN model_metrics.value IS 'metric value on the test set';
COMMENT ON COLUMN model_metrics.ci_low IS '2.5 % bootstrap percentile (headline metric only, else NULL)';
COMMENT ON COLUMN model_metrics.ci_high IS '97.5 % bootstrap percentile (headline metric only, else NULL)';
COMMENT ON COLUMN model_metrics.family_id IS 'genre family of a per-family row; NULL for overall metrics';
COMMENT ON COLUMN model_metrics.label IS 'family name or class label of a per-label row; NULL for overall metrics';
COMMENT ON COLUMN model_metrics.support IS 'positives (per-label rows) or test rows (overall rows)';
COMMENT ON COLUMN model_metrics.source IS 'what wrote the row';

CREATE TABLE predictions (
    snapshot_id  VARCHAR NOT NULL,
    model_id     VARCHAR NOT NULL,
    artist_id    VARCHAR NOT NULL,
    family_id    VARCHAR NOT NULL,
    family_name  VARCHAR,
    probability  DOUBLE NOT NULL,
    predicted    BOOLEAN NOT NULL,
    reason       VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    source       VARCHAR NOT NULL DEFAULT 'genrestore.modeling',
    PRIMARY KEY (snapshot_id, model_id, artist_id, family_id)
);
COMMENT ON TABLE predictions IS 'Gold: the champion''s genre-family probabilities for every artist whose genres are empty or unknown.';
COMMENT ON COLUMN predictions.snapshot_id IS 'snapshot whose features were scored';
COMMENT ON COLUMN predictions.model_id IS 'the champion that scored them';
COMMENT ON COLUMN predictions.artist_id IS 'Spotify artist id';
COMMENT ON COLUMN predictions.family_id IS 'genre family (genre_families.family_id)';
COMMENT ON COLUMN predictions.family_name IS 'family name at prediction time';
COMMENT ON COLUMN predictions.probability IS 'model probability that the artist belongs to the family';
COMMENT ON COLUMN predictions.predicted IS 'family assigned after per-family thresholds and the at-least-one-family rule';
COMMENT ON COLUMN predictions.reason IS 'why the artist needed a prediction: untagged (genres = []) or unknown (genres NULL)';
COMMENT ON COLUMN predictions.created_at IS 'when the row was written (UTC)';
COMMENT ON COLUMN predictions.source IS 'what wrote the row';
