package queries

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// aboutNode answers a question about the node name names: in one snapshot of the mirror, with the catalog and the
// node resolved (a name that names nothing, or several nodes, is the error).
func aboutNode[T any](ctx context.Context, r *Reader, name string,
	answer func(r *Reader, c *catalog, n *nodeInfo) (T, error)) (T, error) {
	return inSnapshot(ctx, r, func(r *Reader) (T, error) {
		c, n, err := r.resolveNode(ctx, name)
		if err != nil {
			var zero T
			return zero, err
		}
		return answer(r, c, n)
	})
}

func (r *Reader) resolveNode(ctx context.Context, name string) (*catalog, *nodeInfo, error) {
	c, err := r.catalog(ctx)
	if err != nil {
		return nil, nil, err
	}
	n, err := r.resolve(ctx, c, name)
	if err != nil {
		return nil, nil, err
	}
	return c, n, nil
}

// health is a node's health: the derived one of a listed node; a test's from its latest result; one of
// Elementary's own models' from its last run.
func (r *Reader) health(ctx context.Context, n *nodeInfo) (Health, error) {
	query := `SELECT health FROM nodes WHERE unique_id = ?`
	switch {
	case n.test != nil:
		query = `SELECT CASE status WHEN 'error' THEN 'failing' WHEN 'fail' THEN 'failing' WHEN 'warn' THEN 'warn'
			WHEN 'pass' THEN 'ok' ELSE 'unknown' END FROM test_latest WHERE test_unique_id = ?`
	case isElementary(n.UniqueID, n.pkg):
		query = `SELECT CASE status WHEN 'error' THEN 'error' WHEN 'skipped' THEN 'warn' WHEN 'success' THEN 'ok'
			ELSE 'unknown' END FROM node_last_run WHERE unique_id = ?`
	}
	var h string
	if err := r.q.QueryRowContext(ctx, query, n.UniqueID).Scan(&h); err != nil {
		if err == sql.ErrNoRows {
			return HealthUnknown, nil
		}
		return HealthUnknown, fmt.Errorf("health of %s: %w", n.UniqueID, err)
	}
	return Health(h), nil
}

// runs returns a node's runs newest first (execute_completed_at, else generated_at), deduplicated on
// model_execution_id by the mirror's key, with their invocation. statuses, when given, keeps only those;
// after, when set, keeps runs completed strictly after it.
func (r *Reader) runs(ctx context.Context, id string, limit int, statuses []string, after *time.Time) ([]Run, error) {
	return r.queryRuns(ctx, "runs of "+id, `SELECT r.status, coalesce(r.execute_completed_at, r.generated_at),
		r.execution_time, r.invocation_id, r.message, NULL, `+invocationColumns+`
		FROM dbt_run_results r LEFT JOIN dbt_invocations i ON i.invocation_id = r.invocation_id
		WHERE r.unique_id = ?1 AND (?2 = '[]' OR r.status IN (SELECT value FROM json_each(?2)))
		AND (?3 IS NULL OR coalesce(r.execute_completed_at, r.generated_at) > ?3)
		ORDER BY coalesce(r.execute_completed_at, r.generated_at) DESC, r.created_at DESC, r.model_execution_id DESC
		LIMIT ?4`, id, limit, statuses, after)
}

// invocationColumns are the dbt_invocations columns (as i) every run query ends with, in queryRuns' order.
const invocationColumns = `i.invocation_id, i.job_name, i.orchestrator, i.command, i.selected, i.target_name,
	i.job_run_url`

// queryRuns runs a run query of parameters (?1 id, ?2 statuses as JSON, ?3 after, ?4 limit) whose columns are
// status, completed at, execution time, invocation id, message, failing rows, then invocationColumns.
func (r *Reader) queryRuns(ctx context.Context, what, query, id string, limit int, statuses []string,
	after *time.Time) ([]Run, error) {
	var afterArg any
	if after != nil {
		afterArg = localdb.FormatTime(*after)
	}
	return localdb.Collect(ctx, r.q, what, query, []any{id, jsonList(statuses), afterArg, limit},
		func(rows *sql.Rows) (Run, error) {
			var run Run
			var completed, msg, invID, job, orch, cmd, selected, target, url *string
			var invocation *string
			err := rows.Scan(&run.Status, &completed, &run.ExecutionTime, &invocation, &msg, &run.Failures, &invID,
				&job, &orch, &cmd, &selected, &target, &url)
			run.CompletedAt, run.InvocationID, run.Message = timePtr(completed), str(invocation), textOrNil(str(msg))
			if invID != nil {
				run.Invocation = &Invocation{ID: *invID, JobName: str(job), Orchestrator: str(orch), Command: str(cmd),
					Selected: str(selected), Target: str(target), JobRunURL: str(url)}
			}
			return run, err
		})
}

// nodeTests returns the latest result of every test of a node (tests whose depends_on_nodes or primary model is
// the node), worst first, then by name; of a test, its own latest result.
func (r *Reader) nodeTests(ctx context.Context, n *nodeInfo) ([]TestState, error) {
	id := n.UniqueID
	tests := `SELECT test_unique_id FROM test_nodes WHERE node_unique_id = ?1`
	if n.test != nil {
		tests = `SELECT ?1`
	}
	return localdb.Collect(ctx, r.q, "tests of "+id, `SELECT tl.test_unique_id, t.name, t.short_name,
		coalesce(tl.column_name, t.test_column_name), tl.status, tl.detected_at, coalesce(tl.severity, t.severity),
		tl.message
		FROM test_latest tl LEFT JOIN dbt_tests t ON t.unique_id = tl.test_unique_id
		WHERE tl.test_unique_id IN (`+tests+`)
		ORDER BY `+strings.ReplaceAll(statusRank, "status", "tl.status")+`, coalesce(t.name, tl.test_unique_id)`,
		[]any{id}, func(rows *sql.Rows) (TestState, error) {
			var ts TestState
			var name, short, col, detected, sev, msg *string
			err := rows.Scan(&ts.UniqueID, &name, &short, &col, &ts.Status, &detected, &sev, &msg)
			ts.Name, ts.ShortName, ts.Column, ts.Severity, ts.Message = str(name), str(short), str(col), str(sev), str(msg)
			ts.DetectedAt = timePtr(detected)
			return ts, err
		})
}

// runsOf is how a node's runs are read: a test's from its results (testRuns), any other node's from its dbt run
// results (runs).
func (r *Reader) runsOf(n *nodeInfo) func(ctx context.Context, id string, limit int, statuses []string,
	after *time.Time) ([]Run, error) {
	if n.test != nil {
		return r.testRuns
	}
	return r.runs
}

// testRuns returns a test's latest results as runs, newest first: one per invocation (its worst row, as a test's
// latest result is chosen), with the result's description as the message, its failing row count, and the
// execution time and invocation of the test's dbt run result when there is one. statuses and after filter as in
// runs.
func (r *Reader) testRuns(ctx context.Context, id string, limit int, statuses []string, after *time.Time) ([]Run, error) {
	return r.queryRuns(ctx, "results of "+id, `WITH ranked AS (
			SELECT e.*, row_number() OVER (PARTITION BY coalesce(e.invocation_id, e.id)
				ORDER BY `+strings.ReplaceAll(statusRank, "status", "e.status")+`, e.detected_at DESC) AS rn
			FROM elementary_test_results e WHERE e.test_unique_id = ?1)
		SELECT x.status, x.detected_at, rr.execution_time, x.invocation_id, x.test_results_description, x.failures,
			`+invocationColumns+`
		FROM ranked x
		LEFT JOIN dbt_run_results rr ON rr.model_execution_id = x.invocation_id || '.' || x.test_unique_id
		LEFT JOIN dbt_invocations i ON i.invocation_id = x.invocation_id
		WHERE x.rn = 1 AND (?2 = '[]' OR x.status IN (SELECT value FROM json_each(?2)))
		AND (?3 IS NULL OR x.detected_at > ?3)
		ORDER BY x.detected_at DESC, x.created_at DESC
		LIMIT ?4`, id, limit, statuses, after)
}

var successStatuses = []string{"success", "pass"}

var failedStatuses = []string{"error", "skipped", "fail", "runtime error"}
