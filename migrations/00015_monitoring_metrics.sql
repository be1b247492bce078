-- +goose Up
-- Elementary's metric history (package queries/mirror): what an anomaly test measured per time bucket, drawn when
-- its result holds no rows of its own. A bucket computed again keeps its id; the newest updated_at wins.
CREATE TABLE data_monitoring_metrics (
    id TEXT PRIMARY KEY,
    full_table_name TEXT,
    column_name TEXT,
    metric_name TEXT,
    metric_value REAL,
    bucket_start TEXT,
    bucket_end TEXT,
    updated_at TEXT NOT NULL,
    dimension TEXT,
    dimension_value TEXT,
    created_at TEXT
);
CREATE INDEX data_monitoring_metrics_updated ON data_monitoring_metrics (updated_at);
CREATE INDEX data_monitoring_metrics_metric ON data_monitoring_metrics (full_table_name, metric_name, column_name,
    bucket_end);

-- +goose Down
DROP TABLE data_monitoring_metrics;
