-- Jobs: who started each job run and why, and the reports the report job wrote.

ALTER TABLE job_runs ADD COLUMN trigger VARCHAR;
ALTER TABLE job_runs ADD COLUMN pid INTEGER;
ALTER TABLE job_runs ADD COLUMN options VARCHAR;
ALTER TABLE job_runs ADD COLUMN message VARCHAR;
ALTER TABLE job_runs ADD COLUMN parent_run_id VARCHAR;

COMMENT ON COLUMN job_runs.run_id IS 'unique id of this job run (time-ordered)';
COMMENT ON COLUMN job_runs.job IS 'job name: crawl, refresh, snapshot, build, retrain, report, prune or cycle';
COMMENT ON COLUMN job_runs.started_at IS 'UTC start of the run';
COMMENT ON COLUMN job_runs.ended_at IS 'UTC end of the run (NULL while running)';
COMMENT ON COLUMN job_runs.status IS 'running, succeeded, failed, skipped (writer busy or nothing to do), paused (crawl waiting out a Retry-After), stopped (SIGTERM), missed (scheduler too late), abandoned (process died)';
COMMENT ON COLUMN job_runs.snapshot_id IS 'snapshot the run published or worked on';
COMMENT ON COLUMN job_runs.error IS 'one-line error or reason; never holds secrets';
COMMENT ON COLUMN job_runs.trigger IS 'manual (jobs run), scheduled (the scheduler), demo, or cycle';
COMMENT ON COLUMN job_runs.pid IS 'process id that ran the job';
COMMENT ON COLUMN job_runs.options IS 'JSON keyword options the job ran with';
COMMENT ON COLUMN job_runs.message IS 'one-line human summary of the outcome';
COMMENT ON COLUMN job_runs.parent_run_id IS 'run_id of the cycle run this step belonged to, else NULL';

CREATE TABLE reports (
    report_id            VARCHAR PRIMARY KEY,
    created_at           TIMESTAMP NOT NULL,
    job_run_id           VARCHAR,
    snapshot_id          VARCHAR,
    previous_snapshot_id VARCHAR,
    html_path            VARCHAR NOT NULL,
    json_path            VARCHAR NOT NULL,
    sections             VARCHAR
);
COMMENT ON TABLE reports IS 'Ops: one row per nightly report written (HTML + JSON under var/reports/<date>/).';
COMMENT ON COLUMN reports.report_id IS 'id of the report (time-ordered)';
COMMENT ON COLUMN reports.created_at IS 'UTC time the report was written';
COMMENT ON COLUMN reports.job_run_id IS 'job_runs.run_id of the report job that wrote it';
COMMENT ON COLUMN reports.snapshot_id IS 'the snapshot the report describes';
COMMENT ON COLUMN reports.previous_snapshot_id IS 'the snapshot it compares against (NULL for the first)';
COMMENT ON COLUMN reports.html_path IS 'self-contained HTML file';
COMMENT ON COLUMN reports.json_path IS 'machine-readable JSON with the same content';
COMMENT ON COLUMN reports.sections IS 'JSON map section -> available or the reason it is not';
