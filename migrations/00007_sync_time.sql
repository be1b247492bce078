-- +goose Up
-- Time each sync run spent in warehouse queries (metadata and data), for /metrics.
ALTER TABLE sync_runs ADD COLUMN warehouse_ms INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sync_runs DROP COLUMN warehouse_ms;
