-- Crawl runs count what they stored: rows added and rows changed, by table. The older `entities`
-- column counted every row handed to a merge (updates and repeats included), so it overstated
-- what a run stored; runs from this migration on leave it NULL.

ALTER TABLE crawl_runs ADD COLUMN rows_inserted VARCHAR;
ALTER TABLE crawl_runs ADD COLUMN rows_updated VARCHAR;

COMMENT ON COLUMN crawl_runs.rows_inserted IS 'JSON {table: rows} the run added (new keys), by table';
COMMENT ON COLUMN crawl_runs.rows_updated IS 'JSON {table: rows} already stored whose values the run changed, by table';
COMMENT ON COLUMN crawl_runs.entities IS 'runs before migration 0031 only: JSON rows handed to the merge by table (updates and repeats counted too)';
