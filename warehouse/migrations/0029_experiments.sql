-- The research bench: one row per run of a named experiment (modeling/experiments/).

CREATE TABLE experiments (
    run_id       VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    protocol     VARCHAR NOT NULL,
    parameters   VARCHAR NOT NULL,
    figures      VARCHAR NOT NULL,
    artifacts    VARCHAR NOT NULL,
    seconds      DOUBLE,
    snapshot_id  VARCHAR,
    seed         INTEGER NOT NULL,
    status       VARCHAR NOT NULL,
    error        VARCHAR,
    created_at   TIMESTAMP NOT NULL
);
COMMENT ON TABLE experiments IS 'Gold: every run of a named research experiment (genrestore experiments run) with its figures and artifacts.';
COMMENT ON COLUMN experiments.run_id IS 'unique id: <name>-<UTC time>-<random>';
COMMENT ON COLUMN experiments.name IS 'experiment name, e.g. text-features, transfer-new-genre (genrestore experiments list)';
COMMENT ON COLUMN experiments.source IS 'the project this experiment was first run in';
COMMENT ON COLUMN experiments.protocol IS 'data sets, split and models, in words';
COMMENT ON COLUMN experiments.parameters IS 'JSON parameters the run used (defaults plus overrides)';
COMMENT ON COLUMN experiments.figures IS 'JSON {figure: number} measured on the test rows (and published figures beside, as published_*)';
COMMENT ON COLUMN experiments.artifacts IS 'JSON tables and curves behind the figures (trials, loadings, per-k silhouettes, ...)';
COMMENT ON COLUMN experiments.seconds IS 'wall-clock seconds the run took';
COMMENT ON COLUMN experiments.snapshot_id IS 'snapshot the data sets were read from (NULL: the live file)';
COMMENT ON COLUMN experiments.seed IS 'random seed of splits and models';
COMMENT ON COLUMN experiments.status IS 'done, failed (error says why) or skipped (its data set is not imported)';
COMMENT ON COLUMN experiments.error IS 'one-line reason for failed or skipped runs; NULL when done';
COMMENT ON COLUMN experiments.created_at IS 'when the run finished (UTC)';
