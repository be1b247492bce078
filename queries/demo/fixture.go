package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
)

// Values sets columns of a fixture row by name, overriding the helper's defaults. A nil value writes NULL.
// Values are string, int64 (or int), float64, bool or time.Time (for real timestamp columns).
type Values map[string]any

// Fixture is a small hand-made Elementary warehouse with known answers, for tests. Add rows with the helpers
// (each fills sensible defaults and returns the row's id), then Write it with demo.Write. A bad column name is
// remembered and reported by Stream, so helpers never fail halfway through a test's setup.
//
//	f := demo.NewFixture("shop")
//	m := f.Model("orders", demo.Values{"owner": `["@jane"]`})
//	inv := f.Invocation("build", now)
//	f.RunResult(inv, m, "error", now, nil)
//	err := demo.Write(ctx, db, elementary.SQLite, "", f)
type Fixture struct {
	// Package is the dbt project name used in unique ids.
	Package string
	tables  map[string]elementary.Table
	rows    []fixtureRow
	errs    []error
	seq     int
}

type fixtureRow struct {
	table string
	row   []any
}

// NewFixture starts an empty fixture for dbt project pkg (e.g. "shop").
func NewFixture(pkg string) *Fixture {
	f := &Fixture{Package: pkg, tables: map[string]elementary.Table{}}
	for _, t := range elementary.Tables() {
		f.tables[t.Name] = t
	}
	return f
}

// Row adds a raw row to table: defaults first, then v on top.
func (f *Fixture) Row(table string, defaults, v Values) {
	t, ok := f.tables[table]
	if !ok {
		f.errs = append(f.errs, fmt.Errorf("fixture: unknown table %q", table))
		return
	}
	r := make([]any, len(t.Columns))
	ix := map[string]int{}
	for i, c := range t.Columns {
		ix[c.Name] = i
	}
	for _, vals := range []Values{defaults, v} {
		for k, val := range vals {
			i, ok := ix[k]
			if !ok {
				f.errs = append(f.errs, fmt.Errorf("fixture: table %s has no column %q", table, k))
				continue
			}
			if n, isInt := val.(int); isInt {
				val = int64(n)
			}
			r[i] = val
		}
	}
	f.rows = append(f.rows, fixtureRow{table, r})
}

// Stream sends the fixture's rows in the order they were added; it fails if a helper was given a bad column.
func (f *Fixture) Stream(ctx context.Context, fn func(table string, row []any) error) error {
	if len(f.errs) > 0 {
		return errors.Join(f.errs...)
	}
	for _, r := range f.rows {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("fixture: %w", err)
		}
		if err := fn(r.table, r.row); err != nil {
			return err
		}
	}
	return nil
}

func (f *Fixture) next() int {
	f.seq++
	return f.seq
}

// Model adds a dbt_models row named name (unique_id model.<pkg>.<name>, owner `[]`, meta `{}`) and returns its
// unique_id. Set "unique_id" in v to make a versioned or other-package model.
func (f *Fixture) Model(name string, v Values) string {
	id := f.Package + "." + name
	id = "model." + id
	if s, ok := v["unique_id"].(string); ok {
		id = s
	}
	f.Row("dbt_models", Values{"unique_id": id, "name": name, "alias": name, "package_name": f.Package,
		"materialization": "table", "tags": "[]", "meta": "{}", "owner": "[]", "database_name": "ANALYTICS",
		"schema_name": "prod", "depends_on_nodes": "[]", "description": "", "path": name + ".sql",
		"original_path": "models/" + name + ".sql", "generated_at": "2024-01-01 00:00:00",
		"metadata_hash": md5hex(id)}, v)
	return id
}

// Group adds a dbt_groups row (unique_id group.<pkg>.<name>) and returns its unique_id.
func (f *Fixture) Group(name, ownerEmail, ownerName string) string {
	id := "group." + f.Package + "." + name
	f.Row("dbt_groups", Values{"unique_id": id, "name": name, "owner_email": nullable(ownerEmail),
		"owner_name": nullable(ownerName), "generated_at": "2024-01-01 00:00:00", "metadata_hash": md5hex(id)}, nil)
	return id
}

// Source adds a dbt_sources row (unique_id source.<pkg>.<sourceName>.<name>, freshness warn 12h / error 24h) and
// returns its unique_id.
func (f *Fixture) Source(sourceName, name string, v Values) string {
	id := "source." + f.Package + "." + sourceName + "." + name
	f.Row("dbt_sources", Values{"unique_id": id, "source_name": sourceName, "name": name, "identifier": name,
		"database_name": "RAW", "schema_name": sourceName, "tags": "[]", "meta": "{}", "owner": "[]",
		"package_name": f.Package, "loaded_at_field": "_loaded_at",
		"freshness_warn_after": `{"count": 12, "period": "hour"}`, "freshness_error_after": `{"count": 24, "period": "hour"}`,
		"relation_name": strings.ToUpper(`"RAW"."` + sourceName + `"."` + name + `"`),
		"generated_at":  "2024-01-01 00:00:00", "metadata_hash": md5hex(id)}, v)
	return id
}

// Test adds a dbt_tests row named name on parent (a model or source unique_id; generic, severity ERROR,
// depends_on_nodes [parent]) and returns its unique_id (test.<pkg>.<name>.<hash>). shortName is e.g. "not_null".
func (f *Fixture) Test(name, shortName, parent string, v Values) string {
	id := "test." + f.Package + "." + name + "." + hash10(name)
	f.Row("dbt_tests", Values{"unique_id": id, "name": name, "short_name": shortName, "alias": name,
		"severity": "ERROR", "test_original_name": shortName, "tags": "[]", "model_tags": "[]", "model_owners": "[]",
		"meta": "{}", "depends_on_nodes": jsonText([]string{parent}), "parent_model_unique_id": parent,
		"package_name": f.Package, "type": "generic", "database_name": "ANALYTICS", "schema_name": "prod",
		"test_params": "{}", "generated_at": "2024-01-01 00:00:00", "metadata_hash": md5hex(id)}, v)
	return id
}

// Exposure adds a dbt_exposures row depending on the given nodes and returns its unique_id.
func (f *Fixture) Exposure(name string, dependsOn []string, v Values) string {
	id := "exposure." + f.Package + "." + name
	f.Row("dbt_exposures", Values{"unique_id": id, "name": name, "maturity": "medium", "type": "dashboard",
		"depends_on_nodes": jsonText(dependsOn), "tags": "[]", "meta": "{}", "package_name": f.Package,
		"generated_at": "2024-01-01 00:00:00", "metadata_hash": md5hex(id)}, v)
	return id
}

// Invocation adds a dbt_invocations row for command ("run", "build", "test", "freshness") completed at `at`
// (started a minute earlier) and returns its invocation_id. Set "invocation_id" in v where fixtures written apart
// must not share ids.
func (f *Fixture) Invocation(command string, at time.Time, v Values) string {
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", f.next())
	if s, ok := v["invocation_id"].(string); ok {
		id = s
	}
	at = at.UTC()
	f.Row("dbt_invocations", Values{"invocation_id": id, "command": command, "run_started_at": elemTime(at.Add(-time.Minute)),
		"run_completed_at": elemTime(at), "generated_at": elemTime(at), "created_at": at, "target_name": "prod",
		"project_name": f.Package, "full_refresh": false, "threads": 4, "selected": "[]",
		"job_name": "fixture_" + command, "orchestrator": "airflow"}, v)
	return id
}

// RunResult adds a dbt_run_results row: node uniqueID ran in invocation inv with status, completing at `at`.
// It returns the model_execution_id.
func (f *Fixture) RunResult(inv, uniqueID, status string, at time.Time, v Values) string {
	id := inv + "." + uniqueID
	at = at.UTC()
	parts := strings.Split(uniqueID, ".")
	name := parts[len(parts)-1]
	if len(parts) >= 3 {
		name = parts[2]
	}
	f.Row("dbt_run_results", Values{"model_execution_id": id, "unique_id": uniqueID, "invocation_id": inv,
		"generated_at": elemTime(at), "created_at": at, "name": name, "status": status, "resource_type": parts[0],
		"execution_time": 1.5, "execute_started_at": isoTime(at.Add(-1500 * time.Millisecond)),
		"execute_completed_at": isoTime(at), "full_refresh": false}, v)
	return id
}

// TestResult adds an elementary_test_results row for a dbt test (test_type dbt_test) of testID on model
// (its parent) in invocation inv, detected at `at`. It returns the row id (the test_execution_id).
func (f *Fixture) TestResult(inv, testID, model, status string, at time.Time, v Values) string {
	id := inv + "." + testID
	at = at.UTC()
	f.Row("elementary_test_results", Values{"id": id, "test_execution_id": id, "test_unique_id": testID,
		"model_unique_id": model, "invocation_id": inv, "detected_at": at, "created_at": at.Add(time.Minute),
		"test_type": "dbt_test", "test_sub_type": "generic", "owners": "[]", "tags": "[]", "severity": "ERROR",
		"status": status, "failures": 0}, v)
	return id
}

// FreshnessResult adds a dbt_source_freshness_results row for source in invocation inv, checked at `at`, with data
// last loaded at maxLoadedAt. It returns the source_freshness_execution_id.
func (f *Fixture) FreshnessResult(inv, source, status string, maxLoadedAt, at time.Time, v Values) string {
	id := inv + "." + source
	at = at.UTC()
	f.Row("dbt_source_freshness_results", Values{"source_freshness_execution_id": id, "unique_id": source,
		"max_loaded_at": isoTZ(maxLoadedAt), "snapshotted_at": isoTZ(at), "generated_at": elemTime(at),
		"created_at": at, "max_loaded_at_time_ago_in_s": at.Sub(maxLoadedAt).Seconds(), "status": status,
		"invocation_id": inv, "execute_completed_at": isoTime(at),
		"warn_after": `{"count": 12, "period": "hour"}`, "error_after": `{"count": 24, "period": "hour"}`}, v)
	return id
}

// Alert adds an alerts_v2 row (status sent) for alertID of type typ ("test", "model", "source_freshness").
func (f *Fixture) Alert(alertID, classID, typ string, at time.Time, v Values) string {
	at = at.UTC()
	f.Row("alerts_v2", Values{"alert_id": alertID, "alert_class_id": classID, "type": typ, "detected_at": at,
		"created_at": at, "updated_at": at, "status": "sent", "sent_at": at, "data": "{}"}, v)
	return alertID
}
