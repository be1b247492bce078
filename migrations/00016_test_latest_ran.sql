-- +goose Up
-- Each test's newest result that was not skipped (package queries): its time and the worst of its rows detected
-- then. Health scores a test by it; kept with test_latest, by the same rows.
CREATE TABLE test_latest_ran (
    test_unique_id TEXT PRIMARY KEY,
    detected_at TEXT NOT NULL,
    status TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO test_latest_ran (test_unique_id, detected_at, status)
    SELECT a.test_unique_id, a.at, (SELECT w.status FROM elementary_test_results w
        WHERE w.test_unique_id = a.test_unique_id AND w.detected_at = a.at AND w.status != 'skipped'
        ORDER BY CASE w.status WHEN 'error' THEN 0 WHEN 'fail' THEN 1 WHEN 'warn' THEN 2 WHEN 'pass' THEN 3 ELSE 5 END
        LIMIT 1)
    FROM (SELECT t.test_unique_id, (SELECT max(e.detected_at) FROM elementary_test_results e
            WHERE e.test_unique_id = t.test_unique_id AND e.status != 'skipped') AS at
        FROM (SELECT DISTINCT test_unique_id FROM test_latest) t) a
    WHERE a.at IS NOT NULL;

-- +goose Down
DROP TABLE test_latest_ran;
