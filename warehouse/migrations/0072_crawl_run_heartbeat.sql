-- Several crawl workers (PostgreSQL): which worker runs each crawl run and when it last showed it
-- was alive, so a run whose worker was killed is closed as failed by whoever notices (another
-- worker starting a run, `genrestore crawl status`). One DuckDB writer needs neither (NULL there).
ALTER TABLE crawl_runs ADD COLUMN worker_id VARCHAR;
ALTER TABLE crawl_runs ADD COLUMN heartbeat_at TIMESTAMP;
COMMENT ON COLUMN crawl_runs.worker_id IS 'worker id (host:pid:random) running this run, with several workers; NULL with one DuckDB writer';
COMMENT ON COLUMN crawl_runs.heartbeat_at IS 'UTC time its worker last renewed its leases; a running run silent for longer than a lease is closed as failed';
