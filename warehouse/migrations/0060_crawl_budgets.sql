-- The rate budget a crawl learned, per credentials (client_hash: a sha256 prefix of the client id,
-- never the id itself), API URL and mode: the next run starts from it instead of from
-- crawl.budget_per_window (issue 17).

CREATE TABLE crawl_budgets (
    api_url        VARCHAR NOT NULL,
    client_hash    VARCHAR NOT NULL,
    mode           VARCHAR NOT NULL,
    window_seconds DOUBLE NOT NULL,
    budget         DOUBLE NOT NULL,
    limit_seen     DOUBLE,
    ramping        BOOLEAN NOT NULL,
    learned_at     TIMESTAMP NOT NULL,
    run_id         VARCHAR,
    PRIMARY KEY (api_url, client_hash, mode)
);

COMMENT ON TABLE crawl_budgets IS 'rate budget learned by the latest crawl, per API URL, credentials and mode';
COMMENT ON COLUMN crawl_budgets.budget IS 'requests per window_seconds the limiter allowed when the run last saved it';
COMMENT ON COLUMN crawl_budgets.limit_seen IS 'requests answered in the window of the last 429 (NULL: no 429 seen yet)';
COMMENT ON COLUMN crawl_budgets.ramping IS 'budget discovery had not met a 429 yet: the next run keeps ramping';
