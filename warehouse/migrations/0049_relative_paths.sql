-- Paths to files under var/ are recorded relative to the warehouse file's directory (var/), so a
-- moved or copied var/ finds its own files. Numbered last so every table it describes exists.
COMMENT ON COLUMN snapshots.path IS 'snapshot file relative to var/ (snapshots/<id>.duckdb); rows from older versions may hold an absolute path, looked up by name in the var/ being read';
COMMENT ON COLUMN models.artifact_path IS 'joblib file holding the fitted estimator and its test-set predictions, relative to var/ (models/<id>.joblib) unless models_dir lies outside it';
COMMENT ON COLUMN reports.html_path IS 'self-contained HTML file, relative to var/ (reports/<date>/runs/<id>.html)';
COMMENT ON COLUMN reports.json_path IS 'machine-readable JSON with the same content, relative to var/';
