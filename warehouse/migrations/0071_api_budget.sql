-- One API budget per client id, shared by every crawl worker using it (Spotify limits per app,
-- not per process): a token bucket, plus the latest end of a Retry-After pause any worker was given.
CREATE TABLE api_budget (
    client_hash   VARCHAR PRIMARY KEY,
    tokens        DOUBLE NOT NULL,
    refilled_at   TIMESTAMP NOT NULL,
    paused_until  TIMESTAMP
);
COMMENT ON TABLE api_budget IS 'Ops: the shared request budget of each client id (token bucket) and the pause in force, for several crawl workers.';
COMMENT ON COLUMN api_budget.client_hash IS 'hash of the client id (never the id or secret itself)';
COMMENT ON COLUMN api_budget.tokens IS 'requests that may be sent now; refills at budget_per_window per window_seconds';
COMMENT ON COLUMN api_budget.paused_until IS 'no worker sends before this (the largest Retry-After seen, from its receive time)';
