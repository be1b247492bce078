-- +goose Up
-- The rows of Elementary's anomaly tests (package queries/mirror): one per time bucket of the tested metric, with
-- its expected range — in test_result_rows since store_result_rows_in_own_table became the default, inline in
-- elementary_test_results.result_rows before. Only anomaly tests' rows are mirrored (a dbt test's rows are samples
-- of failing data).
ALTER TABLE elementary_test_results ADD COLUMN result_rows TEXT;

CREATE TABLE test_result_rows (
    elementary_test_results_id TEXT NOT NULL,
    result_row TEXT,
    detected_at TEXT,
    created_at TEXT NOT NULL,
    row_index INTEGER NOT NULL,
    test_type TEXT,
    PRIMARY KEY (elementary_test_results_id, row_index)
) WITHOUT ROWID;
CREATE INDEX test_result_rows_created ON test_result_rows (created_at);

-- +goose Down
DROP TABLE test_result_rows;
ALTER TABLE elementary_test_results DROP COLUMN result_rows;
