-- +goose Up
-- The local mirror of Elementary's warehouse tables. Each table keeps Elementary's name and the columns Todai reads
-- (queries/elementary lists them; a test keeps the two in step). Differences from the warehouse:
--   * the natural key is the primary key, so the append-only logs' duplicates collapse on insert;
--   * times (real timestamps and time text alike) are normalised to UTC text 'YYYY-MM-DDTHH:MM:SS.ffffffZ',
--     which sorts in time order; a value that cannot be read as a time is kept as it was;
--   * statuses, resource types and materializations are lower case, severities upper case;
--   * booleans are 0/1;
--   * Elementary's columns that no answer reads are left out (queries/elementary marks them warehouse-only).

CREATE TABLE dbt_models (
    unique_id TEXT PRIMARY KEY,
    alias TEXT,
    checksum TEXT,
    materialization TEXT,
    tags TEXT,
    meta TEXT,
    owner TEXT,
    database_name TEXT,
    schema_name TEXT,
    depends_on_nodes TEXT,
    description TEXT,
    name TEXT NOT NULL,
    package_name TEXT,
    original_path TEXT,
    path TEXT,
    patch_path TEXT,
    generated_at TEXT,
    metadata_hash TEXT,
    group_name TEXT,
    access TEXT
);

CREATE TABLE dbt_snapshots (
    unique_id TEXT PRIMARY KEY,
    alias TEXT,
    checksum TEXT,
    materialization TEXT,
    tags TEXT,
    meta TEXT,
    owner TEXT,
    database_name TEXT,
    schema_name TEXT,
    depends_on_nodes TEXT,
    description TEXT,
    name TEXT NOT NULL,
    package_name TEXT,
    original_path TEXT,
    path TEXT,
    patch_path TEXT,
    generated_at TEXT,
    metadata_hash TEXT,
    group_name TEXT,
    access TEXT
);

CREATE TABLE dbt_seeds (
    unique_id TEXT PRIMARY KEY,
    alias TEXT,
    checksum TEXT,
    tags TEXT,
    meta TEXT,
    owner TEXT,
    database_name TEXT,
    schema_name TEXT,
    description TEXT,
    name TEXT NOT NULL,
    package_name TEXT,
    original_path TEXT,
    path TEXT,
    generated_at TEXT,
    metadata_hash TEXT,
    group_name TEXT
);

CREATE TABLE dbt_sources (
    unique_id TEXT PRIMARY KEY,
    database_name TEXT,
    schema_name TEXT,
    source_name TEXT NOT NULL,
    name TEXT NOT NULL,
    identifier TEXT,
    loaded_at_field TEXT,
    freshness_warn_after TEXT,
    freshness_error_after TEXT,
    freshness_filter TEXT,
    relation_name TEXT,
    tags TEXT,
    meta TEXT,
    owner TEXT,
    package_name TEXT,
    original_path TEXT,
    path TEXT,
    source_description TEXT,
    description TEXT,
    generated_at TEXT,
    metadata_hash TEXT
);

CREATE TABLE dbt_tests (
    unique_id TEXT PRIMARY KEY,
    database_name TEXT,
    schema_name TEXT,
    name TEXT NOT NULL,
    short_name TEXT,
    alias TEXT,
    test_column_name TEXT,
    severity TEXT,
    warn_if TEXT,
    error_if TEXT,
    test_params TEXT,
    test_namespace TEXT,
    test_original_name TEXT,
    tags TEXT,
    model_tags TEXT,
    model_owners TEXT,
    meta TEXT,
    depends_on_nodes TEXT,
    parent_model_unique_id TEXT,
    description TEXT,
    package_name TEXT,
    type TEXT,
    original_path TEXT,
    path TEXT,
    generated_at TEXT,
    metadata_hash TEXT,
    quality_dimension TEXT,
    group_name TEXT
);

CREATE TABLE dbt_exposures (
    unique_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    label TEXT,
    maturity TEXT,
    type TEXT,
    owner_email TEXT,
    owner_name TEXT,
    url TEXT,
    depends_on_nodes TEXT,
    description TEXT,
    tags TEXT,
    meta TEXT,
    package_name TEXT,
    original_path TEXT,
    path TEXT,
    generated_at TEXT,
    metadata_hash TEXT
);

CREATE TABLE dbt_groups (
    unique_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_email TEXT,
    owner_name TEXT,
    generated_at TEXT,
    metadata_hash TEXT
);

CREATE TABLE dbt_columns (
    unique_id TEXT PRIMARY KEY,
    parent_unique_id TEXT NOT NULL,
    name TEXT NOT NULL,
    data_type TEXT,
    tags TEXT,
    meta TEXT,
    database_name TEXT,
    schema_name TEXT,
    table_name TEXT,
    description TEXT,
    resource_type TEXT,
    generated_at TEXT,
    metadata_hash TEXT
);

CREATE TABLE dbt_invocations (
    invocation_id TEXT PRIMARY KEY,
    job_id TEXT,
    job_name TEXT,
    job_run_id TEXT,
    run_started_at TEXT,
    run_completed_at TEXT,
    generated_at TEXT,
    created_at TEXT NOT NULL,
    command TEXT,
    dbt_version TEXT,
    elementary_version TEXT,
    full_refresh INTEGER,
    target_name TEXT,
    target_database TEXT,
    target_schema TEXT,
    target_profile_name TEXT,
    threads INTEGER,
    selected TEXT,
    project_name TEXT,
    env TEXT,
    orchestrator TEXT,
    dbt_user TEXT,
    job_url TEXT,
    job_run_url TEXT,
    git_sha TEXT,
    cause_category TEXT,
    cause TEXT,
    pull_request_id TEXT
);

CREATE TABLE dbt_run_results (
    model_execution_id TEXT PRIMARY KEY,
    unique_id TEXT NOT NULL,
    invocation_id TEXT NOT NULL,
    generated_at TEXT,
    created_at TEXT NOT NULL,
    name TEXT,
    message TEXT,
    status TEXT NOT NULL,
    resource_type TEXT,
    execution_time REAL,
    execute_completed_at TEXT,
    failures INTEGER,
    query_id TEXT,
    materialization TEXT,
    group_name TEXT
);

CREATE TABLE elementary_test_results (
    id TEXT PRIMARY KEY,
    test_unique_id TEXT NOT NULL,
    model_unique_id TEXT,
    invocation_id TEXT,
    detected_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    column_name TEXT,
    test_type TEXT,
    test_sub_type TEXT,
    test_results_description TEXT,
    test_name TEXT,
    severity TEXT,
    status TEXT NOT NULL,
    failures INTEGER,
    test_short_name TEXT
);

CREATE TABLE dbt_source_freshness_results (
    source_freshness_execution_id TEXT PRIMARY KEY,
    unique_id TEXT NOT NULL,
    max_loaded_at TEXT,
    snapshotted_at TEXT,
    generated_at TEXT,
    created_at TEXT NOT NULL,
    max_loaded_at_time_ago_in_s REAL,
    status TEXT NOT NULL,
    error TEXT,
    compile_started_at TEXT,
    compile_completed_at TEXT,
    execute_started_at TEXT,
    execute_completed_at TEXT,
    invocation_id TEXT,
    warn_after TEXT,
    error_after TEXT,
    filter TEXT
);

CREATE TABLE alerts_v2 (
    alert_id TEXT PRIMARY KEY,
    alert_class_id TEXT NOT NULL,
    type TEXT,
    detected_at TEXT,
    created_at TEXT,
    updated_at TEXT NOT NULL,
    status TEXT,
    data TEXT,
    sent_at TEXT
);

CREATE INDEX dbt_tests_parent ON dbt_tests (parent_model_unique_id);
CREATE INDEX dbt_columns_parent ON dbt_columns (parent_unique_id, name);
CREATE INDEX dbt_invocations_created ON dbt_invocations (created_at);
-- A node's runs newest first (the read model orders runs by execute_completed_at, else generated_at).
CREATE INDEX dbt_run_results_node ON dbt_run_results (unique_id, coalesce(execute_completed_at, generated_at), created_at, model_execution_id);
CREATE INDEX dbt_run_results_created ON dbt_run_results (created_at);
-- A test's results in time order, with their status (covering for histories, streaks and flaky tests).
CREATE INDEX test_results_test ON elementary_test_results (test_unique_id, detected_at, status);
CREATE INDEX test_results_created ON elementary_test_results (created_at);
CREATE INDEX freshness_results_source ON dbt_source_freshness_results (unique_id, generated_at);
CREATE INDEX freshness_results_created ON dbt_source_freshness_results (created_at);
CREATE INDEX alerts_v2_class ON alerts_v2 (alert_class_id, detected_at);

-- What the sync knows about each warehouse table.
CREATE TABLE sync_state (
    table_name TEXT PRIMARY KEY,
    present INTEGER NOT NULL DEFAULT 0,           -- the table exists in the warehouse
    columns TEXT,                                 -- JSON list of the columns found at discovery
    fingerprint TEXT,                             -- the cheap change marker seen at the last successful read
    watermark TEXT,                               -- history tables: newest watermark value read (RFC 3339)
    rows_read INTEGER NOT NULL DEFAULT 0,         -- rows read from the warehouse by the last successful read
    rows_local INTEGER NOT NULL DEFAULT 0,        -- rows in the mirror after it
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_duration_ms INTEGER,
    last_error TEXT,
    last_error_at TEXT
);

-- One row per sync run, newest last: what `todai sync --status` and the "as of" of every answer read.
CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    ok INTEGER NOT NULL DEFAULT 0,
    tables_read INTEGER NOT NULL DEFAULT 0,
    rows_read INTEGER NOT NULL DEFAULT 0,
    metadata_queries INTEGER NOT NULL DEFAULT 0,
    data_queries INTEGER NOT NULL DEFAULT 0,
    error TEXT
);

-- +goose Down
DROP TABLE dbt_models;
DROP TABLE dbt_snapshots;
DROP TABLE dbt_seeds;
DROP TABLE dbt_sources;
DROP TABLE dbt_tests;
DROP TABLE dbt_exposures;
DROP TABLE dbt_groups;
DROP TABLE dbt_columns;
DROP TABLE dbt_invocations;
DROP TABLE dbt_run_results;
DROP TABLE elementary_test_results;
DROP TABLE dbt_source_freshness_results;
DROP TABLE alerts_v2;
DROP TABLE sync_state;
DROP TABLE sync_runs;
