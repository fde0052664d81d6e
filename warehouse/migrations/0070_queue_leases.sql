-- Leases on frontier units, for several crawl workers sharing one PostgreSQL frontier: a worker
-- claims pending units by writing its id and a lease expiry; a unit whose lease has expired (its
-- worker died) is pending for everyone again. One DuckDB writer never needs them (NULL there).
ALTER TABLE crawl_queue ADD COLUMN claimed_by VARCHAR;
ALTER TABLE crawl_queue ADD COLUMN lease_until TIMESTAMP;
COMMENT ON COLUMN crawl_queue.claimed_by IS 'worker id (host:pid:run) holding a lease on this pending unit; NULL when unclaimed';
COMMENT ON COLUMN crawl_queue.lease_until IS 'UTC end of the lease; after it the unit may be claimed again (its worker is presumed dead)';
