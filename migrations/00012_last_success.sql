-- +goose Up
-- When each node was last built successfully (package queries): where its own data stops, for the data-as-of that
-- flows down the lineage. Kept with its last run, updated by the same rows.
ALTER TABLE node_last_run ADD COLUMN success_at TEXT;
UPDATE node_last_run SET success_at = (
    SELECT coalesce(r.execute_completed_at, r.generated_at) FROM dbt_run_results r
    WHERE r.unique_id = node_last_run.unique_id AND r.status = 'success'
    ORDER BY coalesce(r.execute_completed_at, r.generated_at) DESC, r.created_at DESC, r.model_execution_id DESC
    LIMIT 1);

-- +goose Down
ALTER TABLE node_last_run DROP COLUMN success_at;
