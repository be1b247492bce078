package queries

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// Problem is one current failure in the mirror: a test whose latest result fails, errors or warns, a node whose
// latest run errored, or a source whose latest freshness check errored.
type Problem struct {
	Key string
	// Kind is test, model or freshness.
	Kind         string
	NodeID       string
	TestID       string
	Severity     string // ERROR, or WARN for a test that only warns
	InvocationID string
	Summary      string
	DetectedAt   time.Time
	// ShortName and Column are a test's (not_null, order_id), for showing it; "" when unknown.
	ShortName, Column string
	// Team is the team of its node by the team rules ("" when none matches it).
	Team string
	// Facts are the node's, for the team rules and silences.
	Facts NodeFacts
}

const nodeFactCols = `coalesce(n.owners, '[]'), coalesce(n.tags, '[]'), coalesce(n.group_name, ''), coalesce(n.path, ''),
	coalesce(n.original_path, ''), coalesce(n.meta_team, '')`

// Problems returns what is failing now: every test whose latest result fails, errors or warns, every node whose
// latest run errored, every source whose latest freshness check errored, with its node's team and facts (for team
// rules and silences). Escalation opens its incidents from them; the App Home shows them.
func (r *Reader) Problems(ctx context.Context) ([]Problem, error) {
	return inSnapshot(ctx, r, func(r *Reader) ([]Problem, error) {
		var out []Problem
		queriesByKind := []struct {
			kind string
			q    string
		}{
			{"test", `SELECT tl.test_unique_id, coalesce(nullif(tl.column_name, ''), nullif(r.column_name, ''), 'None'),
				coalesce(nullif(r.test_sub_type, ''), 'None'), coalesce(r.test_type, ''), tl.status,
				coalesce(tl.invocation_id, ''), coalesce(tl.detected_at, ''), coalesce(tl.message, ''),
				coalesce(t.parent_model_unique_id, r.model_unique_id, ''), coalesce(t.short_name, ''), ` + nodeFactCols + `
				FROM test_latest tl
				LEFT JOIN elementary_test_results r ON r.id = tl.result_id
				LEFT JOIN dbt_tests t ON t.unique_id = tl.test_unique_id
				LEFT JOIN nodes n ON n.unique_id = coalesce(t.parent_model_unique_id, r.model_unique_id)
				WHERE tl.status IN ('fail', 'error', 'warn')`},
			{"model", `SELECT l.unique_id, '', '', '', l.status, r.invocation_id, coalesce(l.completed_at, r.generated_at, r.created_at, ''),
				coalesce(r.message, ''), l.unique_id, '', ` + nodeFactCols + `
				FROM node_last_run l
				JOIN dbt_run_results r ON r.model_execution_id = l.model_execution_id
				LEFT JOIN nodes n ON n.unique_id = l.unique_id
				WHERE l.status = 'error'`},
			{"freshness", `SELECT s.unique_id, '', '', '', s.status, coalesce(f.invocation_id, ''),
				coalesce(f.generated_at, f.created_at, ''), coalesce(f.error, ''), s.unique_id, '', ` + nodeFactCols + `
				FROM source_freshness_latest s
				LEFT JOIN dbt_source_freshness_results f ON f.source_freshness_execution_id = s.execution_id
				LEFT JOIN nodes n ON n.unique_id = s.unique_id
				WHERE s.status IN ('error', 'runtime error')`},
		}
		for _, k := range queriesByKind {
			if err := r.scanProblems(ctx, k.kind, k.q, &out); err != nil {
				return nil, fmt.Errorf("read %s problems: %w", k.kind, err)
			}
		}
		for i := range out {
			out[i].Team = r.teams.TeamOf(out[i].Facts)
		}
		return out, nil
	})
}

func (r *Reader) scanProblems(ctx context.Context, kind, q string, out *[]Problem) error {
	rows, err := r.q.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, column, subType, testType, status, detected, owners, tags string
			p                                                             Problem
		)
		if err := rows.Scan(&id, &column, &subType, &testType, &status, &p.InvocationID, &detected, &p.Summary, &p.NodeID, &p.ShortName,
			&owners, &tags, &p.Facts.Group, &p.Facts.Path, &p.Facts.OriginalPath, &p.Facts.MetaTeam); err != nil {
			return err
		}
		p.Kind, p.Severity, p.Key = kind, "ERROR", id
		if kind == "test" {
			p.TestID = id
			if column != "None" {
				p.Column = column
			}
			// Elementary keys schema_change and dimension_anomalies tests by the test alone.
			if testType != "schema_change" && testType != "dimension_anomalies" {
				p.Key = id + "." + column + "." + subType
			}
			if status == "warn" {
				p.Severity = "WARN"
			}
			if p.NodeID == "" {
				p.NodeID = id
			}
		}
		if first, _, _ := strings.Cut(p.Summary, "\n"); first != p.Summary {
			p.Summary = first
		}
		if t, err := localdb.ParseTime(detected); err == nil {
			p.DetectedAt = t
		}
		// Malformed lists are read as empty: a node's facts never stop an incident.
		_ = json.Unmarshal([]byte(owners), &p.Facts.Owners)
		_ = json.Unmarshal([]byte(tags), &p.Facts.Tags)
		*out = append(*out, p)
	}
	return rows.Err()
}

// alertClockSlack is how much earlier than the failure's detection an alert's detected_at may be and still be
// about it: edr monitor stamps a model's alert with the run result's generated_at, Todai the run's completion.
const alertClockSlack = 5 * time.Minute

// ElementaryAlerts returns, for each key (a failure's alert_class_id) that edr monitor alerted on (alerts_v2, status
// sent) for a failure detected at or after since[key] (zero: any time), the newest such alert's id.
func (r *Reader) ElementaryAlerts(ctx context.Context, since map[string]time.Time) (map[string]string, error) {
	return inSnapshot(ctx, r, func(r *Reader) (map[string]string, error) {
		out := map[string]string{}
		// A test keyed by itself alone (schema_change, dimension_anomalies) has an alert_class_id that extends it with
		// .<column>.<sub_type>: such keys also match by that prefix (a range, so the index serves it).
		stmt, err := r.q.PrepareContext(ctx, `SELECT alert_id FROM alerts_v2
			WHERE (alert_class_id = ?1 OR (?3 AND alert_class_id > ?1 || '.' AND alert_class_id < ?1 || '/'))
			AND status = 'sent' AND detected_at >= ?2
			ORDER BY detected_at DESC LIMIT 1`)
		if err != nil {
			return nil, fmt.Errorf("read alerts_v2: %w", err)
		}
		defer stmt.Close()
		for k, t := range since {
			from := ""
			if !t.IsZero() {
				from = localdb.FormatTime(t.Add(-alertClockSlack))
			}
			var id string
			switch err := stmt.QueryRowContext(ctx, k, from, isBareTestKey(k)).Scan(&id); {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return nil, fmt.Errorf("read alerts_v2 for %s: %w", k, err)
			default:
				out[k] = id
			}
		}
		return out, nil
	})
}

// isBareTestKey reports a test key without .<column>.<sub_type>: test.<package>.<name>.<hash>.
func isBareTestKey(key string) bool {
	return strings.HasPrefix(key, "test.") && strings.Count(key, ".") == 3
}

// ElementaryInUse reports whether edr monitor is alerting: alerts_v2 holds an alert updated in the 7 days
// before now.
func (r *Reader) ElementaryInUse(ctx context.Context, now time.Time) (bool, error) {
	var inUse bool
	err := r.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM alerts_v2 WHERE updated_at >= ?)`,
		localdb.FormatTime(now.Add(-7*24*time.Hour))).Scan(&inUse)
	if err != nil {
		return false, fmt.Errorf("read alerts_v2: %w", err)
	}
	return inUse, nil
}

// ResultRef is a test's, model's or source's latest result: the dbt invocation it came from (and that invocation's
// job), when, and its status.
type ResultRef struct {
	InvocationID string
	JobName      string
	At           time.Time
	Status       string
}

// LatestResults returns the latest result of each test (its newest invocation's worst row), model or snapshot (its
// last run) and source (its last freshness check) among ids; ids with none are absent. Escalation names the run that
// cleared an incident with it.
func (r *Reader) LatestResults(ctx context.Context, ids []string) (map[string]ResultRef, error) {
	out := map[string]ResultRef{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("latest results: %w", err)
	}
	return inSnapshot(ctx, r, func(r *Reader) (map[string]ResultRef, error) {
		rows, err := r.q.QueryContext(ctx, `WITH wanted(id) AS (SELECT value FROM json_each(?1)),
			latest(id, invocation_id, at, status) AS (
				SELECT t.test_unique_id, coalesce(t.invocation_id, ''), coalesce(t.detected_at, ''), t.status
				FROM wanted w CROSS JOIN test_latest t ON t.test_unique_id = w.id
				UNION ALL
				SELECT l.unique_id, rr.invocation_id, coalesce(l.completed_at, rr.generated_at, ''), l.status
				FROM wanted w CROSS JOIN node_last_run l ON l.unique_id = w.id
				JOIN dbt_run_results rr ON rr.model_execution_id = l.model_execution_id
				UNION ALL
				SELECT s.unique_id, coalesce(f.invocation_id, ''), coalesce(f.generated_at, f.created_at, ''), s.status
				FROM wanted w CROSS JOIN source_freshness_latest s ON s.unique_id = w.id
				JOIN dbt_source_freshness_results f ON f.source_freshness_execution_id = s.execution_id)
			SELECT l.id, l.invocation_id, coalesce(i.job_name, ''), l.at, l.status
			FROM latest l LEFT JOIN dbt_invocations i ON i.invocation_id = l.invocation_id`, string(list))
		if err != nil {
			return nil, fmt.Errorf("latest results: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id, at string
				ref    ResultRef
			)
			if err := rows.Scan(&id, &ref.InvocationID, &ref.JobName, &at, &ref.Status); err != nil {
				return nil, fmt.Errorf("latest results: %w", err)
			}
			ref.At, _ = localdb.ParseTime(at) // an unreadable time is unknown
			out[id] = ref
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("latest results: %w", err)
		}
		return out, nil
	})
}
