-- +goose Up
-- When dbt invocations started: the newest of all (has the whole pipeline stopped?) and the newest of one job (did
-- the job that builds an overdue node run since?), each found by one index seek.
CREATE INDEX dbt_invocations_started ON dbt_invocations (coalesce(run_started_at, run_completed_at, generated_at));
CREATE INDEX dbt_invocations_job ON dbt_invocations (job_name, coalesce(run_started_at, run_completed_at, generated_at));

-- +goose Down
DROP INDEX dbt_invocations_job;
DROP INDEX dbt_invocations_started;
