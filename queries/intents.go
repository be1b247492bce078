package queries

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultRunLimit is how many runs LastRuns returns when asked for none; MaxRunLimit caps any request.
const (
	DefaultRunLimit = 5
	MaxRunLimit     = 100
)

// DefaultFailuresWindow is the window of Failures when FailuresQuery.Since is zero.
const DefaultFailuresWindow = 24 * time.Hour

// maxLineageDepth bounds the lineage walk: it keeps the recursive query finite on cyclic or very deep graphs.
const maxLineageDepth = 64

// urgencyDownstreamList caps the downstream models listed by Urgency (the count covers all of them).
const urgencyDownstreamList = 25

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

func idsJSON(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return "[]"
	}
	return string(b)
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
	if err := r.db.Read.QueryRowContext(ctx, query, n.UniqueID).Scan(&h); err != nil {
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
const invocationColumns = `i.invocation_id, i.job_name, i.orchestrator, i.command, i.target_name, i.job_run_url`

// queryRuns runs a run query of parameters (?1 id, ?2 statuses as JSON, ?3 after, ?4 limit) whose columns are
// status, completed at, execution time, invocation id, message, failing rows, then invocationColumns.
func (r *Reader) queryRuns(ctx context.Context, what, query, id string, limit int, statuses []string,
	after *time.Time) ([]Run, error) {
	var afterArg any
	if after != nil {
		afterArg = after.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	rows, err := r.db.Read.QueryContext(ctx, query, id, idsJSON(statuses), afterArg, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		var run Run
		var completed, msg, invID, job, orch, cmd, target, url *string
		var invocation *string
		if err := rows.Scan(&run.Status, &completed, &run.ExecutionTime, &invocation, &msg, &run.Failures, &invID,
			&job, &orch, &cmd, &target, &url); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		run.CompletedAt, run.InvocationID, run.Message = timePtr(completed), str(invocation), textOrNil(str(msg))
		if invID != nil {
			run.Invocation = &Invocation{ID: *invID, JobName: str(job), Orchestrator: str(orch), Command: str(cmd),
				Target: str(target), JobRunURL: str(url)}
		}
		out = append(out, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// nodeTests returns the latest result of every test of a node (tests whose depends_on_nodes or primary model is
// the node), worst first, then by name; of a test, its own latest result.
func (r *Reader) nodeTests(ctx context.Context, n *nodeInfo) ([]TestState, error) {
	id := n.UniqueID
	tests := `SELECT test_unique_id FROM test_nodes WHERE node_unique_id = ?1`
	if n.test != nil {
		tests = `SELECT ?1`
	}
	rows, err := r.db.Read.QueryContext(ctx, `SELECT tl.test_unique_id, t.name, t.short_name,
		coalesce(tl.column_name, t.test_column_name), tl.status, tl.detected_at, coalesce(tl.severity, t.severity),
		tl.message
		FROM test_latest tl LEFT JOIN dbt_tests t ON t.unique_id = tl.test_unique_id
		WHERE tl.test_unique_id IN (`+tests+`)
		ORDER BY `+strings.ReplaceAll(statusRank, "status", "tl.status")+`, coalesce(t.name, tl.test_unique_id)`, id)
	if err != nil {
		return nil, fmt.Errorf("tests of %s: %w", id, err)
	}
	defer rows.Close()
	out := []TestState{}
	for rows.Next() {
		var ts TestState
		var name, short, col, detected, sev, msg *string
		if err := rows.Scan(&ts.UniqueID, &name, &short, &col, &ts.Status, &detected, &sev, &msg); err != nil {
			return nil, fmt.Errorf("tests of %s: %w", id, err)
		}
		ts.Name, ts.ShortName, ts.Column, ts.Severity, ts.Message = str(name), str(short), str(col), str(sev), str(msg)
		ts.DetectedAt = timePtr(detected)
		out = append(out, ts)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tests of %s: %w", id, err)
	}
	return out, nil
}

// Status answers "status NODE": its health, last run, the latest result of each of its tests, and the latest
// freshness of the source (or of the sources directly feeding a model). Source freshness makes only sources stale.
func (r *Reader) Status(ctx context.Context, name string) (StatusAnswer, error) {
	c, n, err := r.resolveNode(ctx, name)
	if err != nil {
		return StatusAnswer{}, err
	}
	a := StatusAnswer{Node: n.Node}
	if a.Health, err = r.health(ctx, n); err != nil {
		return a, err
	}
	runs, err := r.runsOf(n)(ctx, n.UniqueID, 1, nil, nil)
	if err != nil {
		return a, err
	}
	if len(runs) > 0 {
		a.LastRun = &runs[0]
	}
	if a.Tests, err = r.nodeTests(ctx, n); err != nil {
		return a, err
	}
	if a.Overdue, err = r.overdue(ctx, n); err != nil {
		return a, err
	}
	sources := []string{n.UniqueID}
	if n.ResourceType != "source" {
		sources, err = r.directSourceParents(ctx, c, n.UniqueID)
		if err != nil {
			return a, err
		}
	}
	if len(sources) > 0 {
		fr, err := r.freshnessOf(ctx, c, sources, n.ResourceType == "source")
		if err != nil {
			return a, err
		}
		a.Freshness = fr
	}
	return a, nil
}

func (r *Reader) directSourceParents(ctx context.Context, c *catalog, id string) ([]string, error) {
	rows, err := r.db.Read.QueryContext(ctx, `SELECT parent FROM node_edges WHERE child = ? ORDER BY parent`, id)
	if err != nil {
		return nil, fmt.Errorf("parents of %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("parents of %s: %w", id, err)
		}
		if n := c.byID[p]; n != nil && n.ResourceType == "source" {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

// Owner answers "owner NODE": the node's owners (owner column ∪ meta.owner, else its dbt group's owner), its team,
// and its dbt group.
func (r *Reader) Owner(ctx context.Context, name string) (OwnerAnswer, error) {
	_, n, err := r.resolveNode(ctx, name)
	if err != nil {
		return OwnerAnswer{}, err
	}
	a := OwnerAnswer{Node: n.Node, Owners: n.Owners, Team: n.Team}
	if n.group != "" {
		g := &Group{Name: n.group}
		var email, owner *string
		err := r.db.Read.QueryRowContext(ctx, `SELECT owner_email, owner_name FROM dbt_groups WHERE lower(name) = lower(?)
			ORDER BY (lower(unique_id) = lower('group.' || ? || '.' || name)) DESC, unique_id LIMIT 1`,
			n.group, n.pkg).Scan(&email, &owner)
		if err != nil && err != sql.ErrNoRows {
			return a, fmt.Errorf("group of %s: %w", n.UniqueID, err)
		}
		g.OwnerEmail, g.OwnerName = str(email), str(owner)
		a.Group = g
	}
	return a, nil
}

// LastRuns answers "last-run NODE": its newest runs (limit, DefaultRunLimit when ≤ 0, at most MaxRunLimit),
// deduplicated on model_execution_id, ordered by execute_completed_at else generated_at, with invocation context.
// Skipped runs are included.
func (r *Reader) LastRuns(ctx context.Context, name string, limit int) (LastRunAnswer, error) {
	_, n, err := r.resolveNode(ctx, name)
	if err != nil {
		return LastRunAnswer{}, err
	}
	if limit <= 0 {
		limit = DefaultRunLimit
	}
	limit = min(limit, MaxRunLimit)
	list, err := r.runsOf(n)(ctx, n.UniqueID, limit, nil, nil)
	if err != nil {
		return LastRunAnswer{}, err
	}
	return LastRunAnswer{Node: n.Node, Runs: list}, nil
}

// LastSuccess answers "when was NODE updated?" for a node that dbt builds: its newest successful run (a test's
// newest pass), or no run when it never succeeded. A source's answer is its freshness (Freshness).
func (r *Reader) LastSuccess(ctx context.Context, name string) (LastRunAnswer, error) {
	_, n, err := r.resolveNode(ctx, name)
	if err != nil {
		return LastRunAnswer{}, err
	}
	runs, err := r.runsOf(n)(ctx, n.UniqueID, 1, successStatuses, nil)
	if err != nil {
		return LastRunAnswer{}, err
	}
	return LastRunAnswer{Node: n.Node, Runs: runs, SuccessfulOnly: true}, nil
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

// Failures answers "failures": one entry per test with at least one fail, error or warn result detected since
// q.Since (DefaultFailuresWindow before Now when zero). Status, DetectedAt, Failures, Severity and Message come from
// its newest such result (worst first among rows detected at the same time); LatestStatus is its latest result
// (the worst row of its newest invocation, any status); Count is its distinct fail, error and warn results in the
// window (rows deduplicated on id by the mirror; skipped rows are not counted, as Elementary hides them by
// default, and an anomaly test's several failing rows of one invocation count one each). Entries are newest first. Scope: q.Node (the node's tests, multi-parent and source tests
// included), q.Team ("team:NAME" scope: tests touching any node of that team; the entries then carry that team), or
// everyone. Owners are the test's primary node's owners ∪ the test's model_owners ∪ its own meta.owner.
func (r *Reader) Failures(ctx context.Context, q FailuresQuery) (FailuresAnswer, error) {
	c, err := r.catalog(ctx)
	if err != nil {
		return FailuresAnswer{}, err
	}
	since := q.Since
	if since.IsZero() {
		since = r.now().Add(-DefaultFailuresWindow)
	}
	a := FailuresAnswer{Since: since.UTC(), Failures: []Failure{}}
	scope := 0 // everyone
	var scopeIDs []string
	switch {
	case strings.TrimSpace(q.Node) != "":
		n, err := r.resolve(ctx, c, q.Node)
		if err != nil {
			return a, err
		}
		scope, scopeIDs, a.Scope = 1, []string{n.UniqueID}, n.UniqueID
	case strings.TrimSpace(q.Team) != "":
		team := strings.TrimPrefix(strings.TrimSpace(q.Team), "team:")
		scope, scopeIDs, a.Scope = 1, c.byTeam[strings.ToLower(team)], "team:"+team
		if len(scopeIDs) == 0 {
			return a, nil
		}
	}
	sinceText := since.UTC().Format("2006-01-02T15:04:05.000000Z")
	// One statement shape per scope (constant SQL, parameters only): everyone and teams read the window's problems
	// through the covering partial index (detected_at, test_unique_id, status); a node reads its tests' rows
	// through (test_unique_id, detected_at). Without the hints the planner walks a whole index in test order.
	from := `FROM elementary_test_results r INDEXED BY test_results_problems
			WHERE r.detected_at >= ?1 AND r.status IN ('fail', 'error', 'warn') AND ?2 = ?2 AND ?3 = ?3`
	switch {
	case scope == 1 && strings.HasPrefix(a.Scope, "team:"):
		from = `FROM elementary_test_results r INDEXED BY test_results_problems
			WHERE r.detected_at >= ?1 AND r.status IN ('fail', 'error', 'warn') AND ?3 = ?3
			  AND r.test_unique_id IN (SELECT test_unique_id FROM test_nodes
			                           WHERE node_unique_id IN (SELECT value FROM json_each(?2)))`
	case scope == 1:
		from = `FROM elementary_test_results r INDEXED BY test_results_test
			WHERE r.test_unique_id IN (SELECT test_unique_id FROM test_nodes WHERE node_unique_id = ?3 UNION SELECT ?3)
			  AND r.detected_at >= ?1 AND r.status IN ('fail', 'error', 'warn') AND ?2 = ?2`
	}
	nodeArg := ""
	if len(scopeIDs) == 1 {
		nodeArg = scopeIDs[0]
	}
	// One grouped pass over the index only: SQLite's bare rowid comes from the row holding
	// max(detected_at || rank), the newest problem and, among rows detected at the same time, the worst; only that
	// row is then read. The test's definition comes from the catalog's cache, not from a join per row.
	rows, err := r.db.Read.QueryContext(ctx, `WITH g AS (
			SELECT r.test_unique_id AS test_unique_id, r.rowid AS rid,
				max(r.detected_at || CASE r.status WHEN 'error' THEN '3' WHEN 'fail' THEN '2' ELSE '1' END),
				count(*) AS cnt
			`+from+`
			GROUP BY r.test_unique_id)
		SELECT g.test_unique_id, e.model_unique_id, e.status, e.detected_at, e.failures, e.severity,
			e.test_results_description, e.column_name, e.test_short_name, e.test_name, coalesce(tl.status, e.status),
			g.cnt
		FROM g JOIN elementary_test_results e ON e.rowid = g.rid
		LEFT JOIN test_latest tl ON tl.test_unique_id = g.test_unique_id
		ORDER BY e.detected_at DESC, g.test_unique_id`, sinceText, idsJSON(scopeIDs), nodeArg)
	if err != nil {
		return a, fmt.Errorf("failures: %w", err)
	}
	type problem struct {
		f                                            Failure
		model, sev, msg, col, short, tname, detected *string
	}
	var problems []problem
	for rows.Next() {
		var p problem
		f := &p.f
		if err := rows.Scan(&f.TestUniqueID, &p.model, &f.Status, &p.detected, &f.Failures, &p.sev, &p.msg,
			&p.col, &p.short, &p.tname, &f.LatestStatus, &f.Count); err != nil {
			rows.Close()
			return a, fmt.Errorf("failures: %w", err)
		}
		problems = append(problems, p)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return a, fmt.Errorf("failures: %w", err)
	}
	rows.Close()
	ids := make([]string, len(problems))
	for i := range problems {
		ids[i] = problems[i].f.TestUniqueID
	}
	defs, err := r.testDefs(ctx, c, ids)
	if err != nil {
		return a, err
	}
	a.Failures = make([]Failure, 0, len(problems))
	for i := range problems {
		p := &problems[i]
		f := p.f
		d := defs[f.TestUniqueID]
		f.DetectedAt, f.Message = timePtr(p.detected), str(p.msg)
		f.Severity, f.Column = coalesceStr(p.sev, d.severity), coalesceStr(p.col, d.column)
		f.TestShortName, f.TestName = coalesceStr(p.short, d.shortName), coalesceStr(d.name, p.tname)
		model := str(p.model)
		primary, owners := d.primary, d.owners
		if primary == nil {
			for _, id := range []string{model, d.firstNode} {
				if primary = c.byID[id]; primary != nil {
					break
				}
			}
			if primary == nil && (isElementary(model, "") || isElementary(d.parent, "")) {
				continue // a test of Elementary's own models
			}
			var nodeOwners []string
			if primary != nil {
				nodeOwners = primary.Owners
			}
			owners = mergeOwners(nodeOwners, d.modelOwners, d.metaOwners)
		}
		switch {
		case a.Scope != "" && !strings.HasPrefix(a.Scope, "team:"):
			f.ModelUniqueID = a.Scope
		case primary != nil:
			f.ModelUniqueID = primary.UniqueID
		default:
			f.ModelUniqueID = model
		}
		if primary != nil {
			f.Team = primary.Team
		}
		f.Owners = slices.Clip(owners)
		if strings.HasPrefix(a.Scope, "team:") {
			f.Team = strings.TrimPrefix(a.Scope, "team:")
		}
		a.Failures = append(a.Failures, f)
	}
	return a, nil
}

// coalesceStr is SQL's coalesce of two nullable texts, read as a string ("" when both are NULL).
func coalesceStr(a, b *string) string {
	if a != nil {
		return *a
	}
	return str(b)
}

// Freshness answers "freshness [SOURCE]": the latest freshness check (newest generated_at, then created_at) of
// every source that has one, worst first, when source is empty; of the named source (status "unknown" when never
// checked); or, when the name resolves to a model, of every source upstream of it. "error" means stale (past
// error_after) and "runtime error" means the check itself failed.
func (r *Reader) Freshness(ctx context.Context, source string) (FreshnessAnswer, error) {
	c, err := r.catalog(ctx)
	if err != nil {
		return FreshnessAnswer{}, err
	}
	if strings.TrimSpace(source) == "" {
		fr, err := r.freshnessOf(ctx, c, nil, false)
		return FreshnessAnswer{Sources: fr}, err
	}
	n, err := r.resolve(ctx, c, source)
	if err != nil {
		return FreshnessAnswer{}, err
	}
	if n.ResourceType == "source" {
		fr, err := r.freshnessOf(ctx, c, []string{n.UniqueID}, true)
		return FreshnessAnswer{Sources: fr}, err
	}
	up, err := r.lineage(ctx, n.UniqueID, true)
	if err != nil {
		return FreshnessAnswer{}, err
	}
	var ids []string
	for _, l := range up {
		if l.ResourceType == "source" {
			ids = append(ids, l.UniqueID)
		}
	}
	fr, err := r.freshnessOf(ctx, c, ids, true)
	return FreshnessAnswer{Sources: fr}, err
}

// freshnessOf returns the latest freshness of the given sources (all checked sources when ids is nil); with
// withUnknown, sources never checked appear with status "unknown".
func (r *Reader) freshnessOf(ctx context.Context, c *catalog, ids []string, withUnknown bool) ([]SourceFreshness,
	error) {
	all := 0
	if ids == nil {
		all = 1
	}
	rows, err := r.db.Read.QueryContext(ctx, `SELECT l.unique_id, f.status, f.max_loaded_at, f.snapshotted_at,
		f.max_loaded_at_time_ago_in_s, coalesce(f.warn_after, s.freshness_warn_after),
		coalesce(f.error_after, s.freshness_error_after), f.error
		FROM source_freshness_latest l
		JOIN dbt_source_freshness_results f ON f.source_freshness_execution_id = l.execution_id
		JOIN nodes n ON n.unique_id = l.unique_id
		LEFT JOIN dbt_sources s ON s.unique_id = l.unique_id
		WHERE ?2 = 1 OR l.unique_id IN (SELECT value FROM json_each(?1))
		ORDER BY CASE f.status WHEN 'error' THEN 0 WHEN 'runtime error' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END,
			n.name`, idsJSON(ids), all)
	if err != nil {
		return nil, fmt.Errorf("freshness: %w", err)
	}
	defer rows.Close()
	out := []SourceFreshness{}
	seen := map[string]bool{}
	for rows.Next() {
		var sf SourceFreshness
		var maxLoaded, snap, warn, errAfter, errText *string
		if err := rows.Scan(&sf.UniqueID, &sf.Status, &maxLoaded, &snap, &sf.AgeSeconds, &warn, &errAfter,
			&errText); err != nil {
			return nil, fmt.Errorf("freshness: %w", err)
		}
		if n := c.byID[sf.UniqueID]; n != nil {
			sf.Name = n.Name
		}
		sf.MaxLoadedAt, sf.SnapshottedAt = timePtr(maxLoaded), timePtr(snap)
		sf.WarnAfter, sf.ErrorAfter, sf.Error = criteria(str(warn)), criteria(str(errAfter)), str(errText)
		seen[sf.UniqueID] = true
		out = append(out, sf)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("freshness: %w", err)
	}
	if withUnknown {
		for _, id := range ids {
			if !seen[id] {
				sf := SourceFreshness{UniqueID: id, Status: "unknown"}
				if n := c.byID[id]; n != nil {
					sf.Name = n.Name
				}
				out = append(out, sf)
			}
		}
	}
	return out, nil
}

// criteria renders dbt's freshness criteria {"count": 12, "period": "hour"} as "12 hours"; other text is kept.
func criteria(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return ""
	}
	var c struct {
		Count  *float64 `json:"count"`
		Period string   `json:"period"`
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return s
	}
	if c.Count == nil || c.Period == "" {
		return ""
	}
	unit := c.Period
	if *c.Count != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%s %s", scalarString(*c.Count), unit)
}

// testedNodes lists, at depth 1, the nodes a test (?1) touches: a test's parents. It is empty for other nodes.
const testedNodes = `SELECT node_unique_id, 1 FROM test_nodes WHERE test_unique_id = ?1`

// lineage walks node_edges from id with a recursive query (up: parents, else children), bounded by
// maxLineageDepth so that cycles end, keeping each node's smallest depth. Nodes are ordered by depth then name.
func (r *Reader) lineage(ctx context.Context, id string, up bool) ([]LineageNode, error) {
	step := `SELECT e.child, w.depth + 1 FROM walk w JOIN node_edges e ON e.parent = w.id WHERE w.depth < ?2`
	seed := `SELECT child, 1 FROM node_edges WHERE parent = ?1`
	if up {
		step = `SELECT e.parent, w.depth + 1 FROM walk w JOIN node_edges e ON e.child = w.id WHERE w.depth < ?2`
		seed = `SELECT parent, 1 FROM node_edges WHERE child = ?1 UNION ` + testedNodes
	}
	rows, err := r.db.Read.QueryContext(ctx, `WITH RECURSIVE walk(id, depth) AS (`+seed+` UNION `+step+`)
		SELECT n.unique_id, n.name, n.resource_type, n.health, min(w.depth) AS d
		FROM walk w JOIN nodes n ON n.unique_id = w.id
		WHERE w.id <> ?1
		GROUP BY n.unique_id
		ORDER BY d, n.name, n.unique_id`, id, maxLineageDepth)
	if err != nil {
		return nil, fmt.Errorf("lineage of %s: %w", id, err)
	}
	defer rows.Close()
	out := []LineageNode{}
	for rows.Next() {
		var l LineageNode
		var h string
		if err := rows.Scan(&l.UniqueID, &l.Name, &l.ResourceType, &h, &l.Depth); err != nil {
			return nil, fmt.Errorf("lineage of %s: %w", id, err)
		}
		l.Health = Health(h)
		out = append(out, l)
	}
	return out, rows.Err()
}

// exposures returns the exposures among ids, by name.
func (r *Reader) exposures(ctx context.Context, ids []string) ([]Exposure, error) {
	out := []Exposure{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := r.db.Read.QueryContext(ctx, `SELECT unique_id, name, label, type, maturity, url, owner_name,
		owner_email FROM dbt_exposures WHERE unique_id IN (SELECT value FROM json_each(?)) ORDER BY name, unique_id`,
		idsJSON(ids))
	if err != nil {
		return nil, fmt.Errorf("exposures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Exposure
		var label, typ, mat, url, on, oe *string
		if err := rows.Scan(&e.UniqueID, &e.Name, &label, &typ, &mat, &url, &on, &oe); err != nil {
			return nil, fmt.Errorf("exposures: %w", err)
		}
		e.Label, e.Type, e.Maturity, e.URL, e.OwnerName, e.OwnerEmail = str(label), str(typ), str(mat), str(url),
			str(on), str(oe)
		out = append(out, e)
	}
	return out, rows.Err()
}

// downstream splits the transitive children of id into non-exposure nodes and exposures.
func (r *Reader) downstream(ctx context.Context, id string) ([]LineageNode, []Exposure, error) {
	all, err := r.lineage(ctx, id, false)
	if err != nil {
		return nil, nil, err
	}
	nodes := []LineageNode{}
	var expIDs []string
	for _, l := range all {
		if l.ResourceType == "exposure" {
			expIDs = append(expIDs, l.UniqueID)
		} else {
			nodes = append(nodes, l)
		}
	}
	exps, err := r.exposures(ctx, expIDs)
	return nodes, exps, err
}

// impact is what a node's failure reaches: its downstream nodes and exposures; for a test, the nodes it tests (at
// depth 1) and theirs.
func (r *Reader) impact(ctx context.Context, c *catalog, n *nodeInfo) ([]LineageNode, []Exposure, error) {
	if n.test == nil {
		return r.downstream(ctx, n.UniqueID)
	}
	var nodes []LineageNode
	var exps []Exposure
	seen := map[string]bool{}
	for _, id := range n.test.tested {
		t := c.byID[id]
		if t == nil || seen[id] {
			continue
		}
		seen[id] = true
		h, err := r.health(ctx, t)
		if err != nil {
			return nil, nil, err
		}
		nodes = append(nodes, LineageNode{UniqueID: id, Name: t.Name, ResourceType: t.ResourceType, Health: h, Depth: 1})
		down, e, err := r.downstream(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range down {
			if !seen[d.UniqueID] {
				seen[d.UniqueID] = true
				d.Depth++
				nodes = append(nodes, d)
			}
		}
		for _, x := range e {
			if !seen[x.UniqueID] {
				seen[x.UniqueID] = true
				exps = append(exps, x)
			}
		}
	}
	slices.SortStableFunc(nodes, func(a, b LineageNode) int { return cmp.Compare(a.Depth, b.Depth) })
	if nodes == nil {
		nodes = []LineageNode{}
	}
	if exps == nil {
		exps = []Exposure{}
	}
	return nodes, exps, nil
}

// Upstream answers "upstream NODE": every node it depends on, transitively, with depth and health.
func (r *Reader) Upstream(ctx context.Context, name string) (LineageAnswer, error) {
	_, n, err := r.resolveNode(ctx, name)
	if err != nil {
		return LineageAnswer{}, err
	}
	up, err := r.lineage(ctx, n.UniqueID, true)
	return LineageAnswer{Node: n.Node, Upstream: up}, err
}

// Downstream answers "downstream NODE": every node depending on it, transitively, with depth and health; the
// exposures reached are listed apart in Exposures.
func (r *Reader) Downstream(ctx context.Context, name string) (LineageAnswer, error) {
	_, n, err := r.resolveNode(ctx, name)
	if err != nil {
		return LineageAnswer{}, err
	}
	down, exps, err := r.downstream(ctx, n.UniqueID)
	return LineageAnswer{Node: n.Node, Downstream: down, Exposures: exps}, err
}

// Describe answers "describe NODE" from its definition. Columns are its rows of dbt_columns (by default only the
// documented, tagged or meta-carrying columns), ordered by name case-insensitively; empty when the warehouse has no
// dbt_columns. Exposures are those reached downstream, transitively.
func (r *Reader) Describe(ctx context.Context, name string) (DescribeAnswer, error) {
	_, n, err := r.resolveNode(ctx, name)
	if err != nil {
		return DescribeAnswer{}, err
	}
	a := DescribeAnswer{Node: n.Node, Description: n.description, Path: n.originalPath,
		Materialization: n.materialization, Tags: n.tags, Group: n.group, Columns: []ColumnDoc{}, Meta: n.meta}
	if a.Path == "" {
		a.Path = n.path
	}
	if a.Tags == nil {
		a.Tags = []string{}
	}
	var rel []string
	for _, p := range []string{n.database, n.schema} {
		if p != "" {
			rel = append(rel, p)
		}
	}
	if len(rel) > 0 && n.ResourceType != "exposure" {
		last := n.alias
		if last == "" {
			last = n.nameKey
			if n.ResourceType != "source" {
				last = n.Name
			}
		}
		a.Relation = strings.Join(append(rel, last), ".")
	}
	if n.test != nil {
		a.Test = &TestDefinition{ShortName: n.test.shortName, Column: n.test.column, Severity: n.test.severity,
			ModelUniqueID: n.test.parent, Tested: n.test.tested}
		if a.Test.Tested == nil {
			a.Test.Tested = []string{}
		}
	}
	if a.Columns, err = r.columns(ctx, n.UniqueID); err != nil {
		return a, err
	}
	if _, a.Exposures, err = r.downstream(ctx, n.UniqueID); err != nil {
		return a, err
	}
	return a, nil
}

// columns returns the dbt_columns rows of a node, by name (case-insensitively, then exactly).
func (r *Reader) columns(ctx context.Context, id string) ([]ColumnDoc, error) {
	rows, err := r.db.Read.QueryContext(ctx, `SELECT name, data_type, description FROM dbt_columns
		WHERE parent_unique_id = ? ORDER BY lower(name), name, unique_id`, id)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", id, err)
	}
	defer rows.Close()
	out := []ColumnDoc{}
	for rows.Next() {
		var c ColumnDoc
		var typ, desc *string
		if err := rows.Scan(&c.Name, &typ, &desc); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", id, err)
		}
		c.DataType, c.Description = str(typ), strings.TrimSpace(str(desc))
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", id, err)
	}
	return out, nil
}

var successStatuses = []string{"success", "pass"}
var failedStatuses = []string{"error", "skipped", "fail", "runtime error"}

// Why answers "why NODE": its last successful run and the time since (from Now), the failed or skipped runs after
// it (newest first, at most MaxRunLimit), its failing tests (latest fail or error), and the causes the rows give
// evidence of, most probable first, each with its confidence:
//   - its last run errored: that error, and nothing else (what is upstream did not cause it);
//   - its last run was skipped: the roots in that very invocation (skipRoots), with the chain from the primary one,
//     and nothing else; when no root is found, the skip itself with low confidence;
//   - then (unless it errored) upstream sources that are stale (ingestion), and, unless it was skipped, upstream
//     nodes whose last run errored (their data did not update). Upstream tests that merely fail are not causes.
func (r *Reader) Why(ctx context.Context, name string) (WhyAnswer, error) {
	c, n, err := r.resolveNode(ctx, name)
	if err != nil {
		return WhyAnswer{}, err
	}
	a := WhyAnswer{Node: n.Node, FailedSince: []Run{}, LikelyCauses: []Cause{}}
	runs := r.runsOf(n)
	if a.Health, err = r.health(ctx, n); err != nil {
		return a, err
	}
	ok, err := runs(ctx, n.UniqueID, 1, successStatuses, nil)
	if err != nil {
		return a, err
	}
	var after *time.Time
	if len(ok) > 0 {
		a.LastSuccess = &ok[0]
		after = ok[0].CompletedAt
		if after != nil {
			s := r.now().Sub(*after).Seconds()
			a.SinceLastOK = &s
		}
	}
	if a.FailedSince, err = runs(ctx, n.UniqueID, MaxRunLimit, failedStatuses, after); err != nil {
		return a, err
	}
	tests, err := r.nodeTests(ctx, n)
	if err != nil {
		return a, err
	}
	a.FailingTests = failing(tests)
	last, err := runs(ctx, n.UniqueID, 1, nil, nil)
	if err != nil {
		return a, err
	}
	lastStatus := ""
	if len(last) > 0 && n.ResourceType != "source" {
		lastStatus = last[0].Status
	}
	var roots []Cause
	var chains [][]ChainLink
	if lastStatus == "skipped" {
		if roots, chains, err = r.skipRoots(ctx, c, n.UniqueID, last[0].InvocationID); err != nil {
			return a, err
		}
	}
	a.Next = nextStep(c, n, a.Health, a.FailingTests, lastStatus == "skipped", roots)
	a.RootCauses, a.Chain, a.Changes = []string{}, []ChainLink{}, []Change{}
	if a.Overdue, err = r.overdue(ctx, n); err != nil {
		return a, err
	}
	if o := a.Overdue; o != nil && a.Next == nil && o.JobName != "" {
		a.Next = &NextStep{Action: "check_job", Name: o.JobName, Owners: n.Owners} // healthy, but its build stopped coming
	}
	if a.LastSuccess != nil && len(a.FailedSince) > 0 {
		if a.Changes, err = r.changes(ctx, n, *a.LastSuccess, a.FailedSince[len(a.FailedSince)-1]); err != nil {
			return a, err
		}
	}
	switch lastStatus {
	case "error":
		// Its own error is the cause; what is upstream of it is not.
		a.LikelyCauses = append(a.LikelyCauses, Cause{Kind: "run_error", UniqueID: n.UniqueID, Name: n.Name,
			Detail: textOrNil(firstLine(str(last[0].Message))), InvocationID: last[0].InvocationID,
			Confidence: ConfidenceHigh})
		for _, ch := range a.Changes {
			if ch.Kind == "sql" || ch.Kind == "parents" {
				// Its definition changed between its last success and its first error: what most likely broke it.
				detail := evidenceDetail(ch.Kind, ch.Detail)
				a.LikelyCauses = append(a.LikelyCauses, Cause{Kind: "definition_changed", UniqueID: n.UniqueID,
					Name: n.Name, Detail: &detail, InvocationID: ch.InvocationID, Confidence: ConfidenceMedium})
				break
			}
		}
		return a, nil
	case "skipped":
		if len(roots) == 0 {
			// Nothing upstream errored or failed an ERROR test in that invocation: the rows do not say why.
			a.LikelyCauses = append(a.LikelyCauses, Cause{Kind: "run_skipped", UniqueID: n.UniqueID, Name: n.Name,
				InvocationID: last[0].InvocationID, Confidence: ConfidenceLow})
		}
		for _, root := range roots {
			a.LikelyCauses = append(a.LikelyCauses, root)
			a.RootCauses = append(a.RootCauses, root.UniqueID)
		}
		if len(roots) > 0 {
			// The roots explain the skip; other problems upstream (a stale source) did not cause it.
			a.Chain = chains[0]
			return a, nil
		}
	}
	if o := a.Overdue; o != nil && lastStatus != "skipped" && o.JobName != "" {
		// It missed its build without a run of its own: did its job run at all?
		job := o.JobName // the detail is the job's name: data, phrased by the renderers
		if !o.JobRanSince {
			a.LikelyCauses = append(a.LikelyCauses, Cause{Kind: "job_not_run", UniqueID: n.UniqueID, Name: n.Name,
				Detail: &job, Confidence: ConfidenceHigh})
		} else if len(last) == 0 || last[0].CompletedAt == nil || !last[0].CompletedAt.After(*o.LastSuccess) {
			a.LikelyCauses = append(a.LikelyCauses, Cause{Kind: "not_built_by_job", UniqueID: n.UniqueID,
				Name: n.Name, Detail: &job, Confidence: ConfidenceMedium})
		}
	}
	causes, err := r.upstreamCauses(ctx, n, lastStatus == "skipped")
	if err != nil {
		return a, err
	}
	if a.Health == HealthFailing {
		if causes, err = r.beforeTestsFailed(ctx, causes, a.FailingTests); err != nil {
			return a, err
		}
	}
	a.LikelyCauses = append(a.LikelyCauses, causes...)
	return a, nil
}

// beforeTestsFailed keeps the causes that can explain a failing test: a stale source whose newest data was loaded
// after every failing test had begun failing is not a cause of them (they failed while its data still arrived), and
// is left out. A cause whose time, or a test whose streak's start, the rows do not give is kept.
func (r *Reader) beforeTestsFailed(ctx context.Context, causes []Cause, tests []TestState) ([]Cause, error) {
	var latestStart *time.Time // the last failing test to begin failing began then
	for _, t := range tests {
		_, since, _, err := r.testStreak(ctx, t.UniqueID)
		if err != nil {
			return nil, err
		}
		if since == nil {
			return causes, nil // one test's start is unknown: no cause can be ruled out
		}
		if latestStart == nil || since.After(*latestStart) {
			latestStart = since
		}
	}
	if latestStart == nil {
		return causes, nil
	}
	return slices.DeleteFunc(causes, func(c Cause) bool {
		return c.Kind == "stale_source" && c.LoadedAt != nil && !c.LoadedAt.Before(*latestStart)
	}), nil
}

func failing(tests []TestState) []TestState {
	out := []TestState{}
	for _, t := range tests {
		if t.Status == "fail" || t.Status == "error" {
			out = append(out, t)
		}
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// upstreamCauses names the node itself when it is a stale source, then, nearest first, the upstream sources whose
// freshness is error or runtime error (ingestion: the data stopped arriving; medium confidence) and, unless the node
// was skipped (its skip's roots are found in its invocation), the upstream nodes whose last run errored (they did
// not update, so neither did what was built from them; medium). Upstream tests that fail are no evidence of a cause
// and are not named.
func (r *Reader) upstreamCauses(ctx context.Context, n *nodeInfo, skipped bool) ([]Cause, error) {
	rows, err := r.db.Read.QueryContext(ctx, `WITH RECURSIVE walk(id, depth) AS (
			SELECT ?1, 0
			UNION `+testedNodes+`
			UNION
			SELECT e.parent, w.depth + 1 FROM walk w JOIN node_edges e ON e.child = w.id WHERE w.depth < ?2),
		up AS (SELECT id, min(depth) AS depth FROM walk GROUP BY id)
		SELECT n.unique_id, n.name, n.resource_type, n.health, up.depth, lr.status, rr.message, sf.status, f.error,
			f.max_loaded_at
		FROM up JOIN nodes n ON n.unique_id = up.id
		LEFT JOIN node_last_run lr ON lr.unique_id = n.unique_id
		LEFT JOIN dbt_run_results rr ON rr.model_execution_id = lr.model_execution_id
		LEFT JOIN source_freshness_latest sf ON sf.unique_id = n.unique_id
		LEFT JOIN dbt_source_freshness_results f ON f.source_freshness_execution_id = sf.execution_id
		WHERE n.health IN ('error', 'failing', 'stale')
		ORDER BY up.depth, n.name, n.unique_id`, n.UniqueID, maxLineageDepth)
	if err != nil {
		return nil, fmt.Errorf("causes of %s: %w", n.UniqueID, err)
	}
	defer rows.Close()
	out := []Cause{}
	for rows.Next() {
		var id, name, rtype, health string
		var depth int
		var runStatus, runMsg, freshStatus, freshErr, loaded *string
		if err := rows.Scan(&id, &name, &rtype, &health, &depth, &runStatus, &runMsg, &freshStatus, &freshErr,
			&loaded); err != nil {
			return nil, fmt.Errorf("causes of %s: %w", n.UniqueID, err)
		}
		if s := str(freshStatus); s == "error" || s == "runtime error" {
			detail := evidenceDetail("freshness "+s, firstLine(str(freshErr)))
			out = append(out, Cause{Kind: "stale_source", UniqueID: id, Name: name, Detail: &detail,
				Confidence: ConfidenceMedium, LoadedAt: timePtr(loaded)})
		}
		if depth == 0 {
			continue // the node's own run and tests are reported apart
		}
		if str(runStatus) == "error" && !skipped {
			out = append(out, Cause{Kind: "upstream_error", UniqueID: id, Name: name,
				Detail: textOrNil(firstLine(str(runMsg))), Confidence: ConfidenceMedium})
		}
	}
	return out, rows.Err()
}

// Urgency answers "urgent NODE": how much its current failure matters.
//
//   - Severity: ERROR for a run error or a stale source (freshness error or runtime error), else the worst
//     severity among its failing tests (latest fail or error; a test without severity counts as ERROR), else WARN
//     when it only warns.
//   - Streak: the longest run of consecutive failing latest results, counted from the newest: run errors, a
//     failing test's invocations (worst row per invocation fail or error), or a source's freshness error/runtime
//     error checks; FailingSince is when that streak began.
//   - Downstream models (nearest 25) and their count, and the exposures reached.
//   - Criticality: meta criticality, priority, tier or sla (meta.alerts_config overrides the top level).
//
// Urgency is none when healthy (ok or unknown). Otherwise it is decided on two axes, each low (1), medium (2) or
// high (3), and their sum (5 or more high, 4 medium, less low):
//   - Likelihood, how likely it is real: high for a run error, a stale source, or an ERROR test failing twice or
//     more in a row; medium for a new ERROR failure or a skipped run (it did not build); low for warnings only; one
//     step less for a flaky test (results flipping three times or more over its last ten invocations).
//   - Impact, how much it hurts: high when an exposure is affected, the declared criticality is high (high,
//     critical, P0/P1, tier 0/1, gold, any sla) or ten or more models are downstream; medium with any downstream
//     model; low otherwise.
//
// DecidedBy names the two reasons that decided the axes; Next what to do (its error, the root of its skip, the
// loader of a stale source, its failing test, or watch). Reasons holds the machine codes of every factor seen:
// run_error, tests_failing, source_stale, warn_only, error_severity, warn_severity, exposure_affected, critical,
// wide_impact, persistent_failure, flaky.
func (r *Reader) Urgency(ctx context.Context, name string) (UrgencyAnswer, error) {
	c, n, err := r.resolveNode(ctx, name)
	if err != nil {
		return UrgencyAnswer{}, err
	}
	a := UrgencyAnswer{Node: n.Node, Urgency: "none", Level: "NONE", Reasons: []string{}, FailingTests: []TestState{},
		DownstreamModels: []LineageNode{}, Exposures: []Exposure{}, Criticality: n.criticality, DecidedBy: []string{}}
	if a.Health, err = r.health(ctx, n); err != nil {
		return a, err
	}
	tests, err := r.nodeTests(ctx, n)
	if err != nil {
		return a, err
	}
	a.FailingTests = failing(tests)
	down, exps, err := r.impact(ctx, c, n)
	if err != nil {
		return a, err
	}
	a.DownstreamCount, a.Exposures = len(down), exps
	a.DownstreamModels = down[:min(len(down), urgencyDownstreamList)]
	if a.Health == HealthOK || a.Health == HealthUnknown {
		return a, nil
	}
	var reasons []string
	switch a.Health {
	case HealthError:
		a.Severity = "ERROR"
		reasons = append(reasons, "run_error")
	case HealthStale:
		a.Severity = "ERROR"
		reasons = append(reasons, "source_stale")
	}
	if len(a.FailingTests) > 0 {
		reasons = append(reasons, "tests_failing")
		sev := "WARN"
		for _, t := range a.FailingTests {
			if t.Severity == "" || strings.EqualFold(t.Severity, "ERROR") {
				sev = "ERROR"
			}
		}
		if a.Severity == "" {
			a.Severity = sev
		}
	}
	if a.Severity == "" {
		a.Severity = "WARN"
		reasons = append(reasons, "warn_only")
	}
	var flaky bool
	if a.Streak, a.FailingSince, flaky, err = r.streak(ctx, n, a.Health, a.FailingTests); err != nil {
		return a, err
	}
	if a.Severity == "ERROR" {
		reasons = append(reasons, "error_severity")
	} else {
		reasons = append(reasons, "warn_severity")
	}
	if len(a.Exposures) > 0 {
		reasons = append(reasons, "exposure_affected")
	}
	if _, key := metaCriticality(parseMeta(n.meta)); isCritical(n.criticality, key) {
		reasons = append(reasons, "critical")
	}
	if a.DownstreamCount >= 10 {
		reasons = append(reasons, "wide_impact")
	}
	if a.Streak >= 3 {
		reasons = append(reasons, "persistent_failure")
	}
	if flaky {
		reasons = append(reasons, "flaky")
	}
	a.Reasons = reasons

	// How likely it is real: an error or a stale source is; a failing ERROR test is, once it failed twice in a
	// row; a warning is not yet. A test that flips between pass and fail is one step less likely.
	last, err := r.runsOf(n)(ctx, n.UniqueID, 1, nil, nil)
	if err != nil {
		return a, err
	}
	skipped := len(last) > 0 && last[0].Status == "skipped" && n.ResourceType != "source"
	likely, likelyWhy := 1, "warn_only"
	switch {
	case a.Health == HealthError:
		likely, likelyWhy = 3, "run_error"
	case a.Health == HealthStale:
		likely, likelyWhy = 3, "source_stale"
	case a.Severity == "ERROR" && a.Streak >= 2:
		likely, likelyWhy = 3, "persistent_failure"
	case a.Severity == "ERROR":
		likely, likelyWhy = 2, "new_failure"
	case skipped:
		likely, likelyWhy = 2, "run_skipped" // it did not build: its data is not updated
	case len(a.FailingTests) > 0:
		likelyWhy = "warn_severity"
	}
	if flaky && likely > 1 {
		likely, likelyWhy = likely-1, "flaky"
	}
	// How much it hurts: an exposure, a declared criticality or ten downstream models hurt a lot; any downstream
	// model some; nothing downstream little.
	impact, impactWhy := 1, "no_downstream"
	switch {
	case len(a.Exposures) > 0:
		impact, impactWhy = 3, "exposure_affected"
	case slices.Contains(reasons, "critical"):
		impact, impactWhy = 3, "critical"
	case a.DownstreamCount >= 10:
		impact, impactWhy = 3, "wide_impact"
	case a.DownstreamCount > 0:
		impact, impactWhy = 2, "downstream_models"
	}
	words := [...]string{"", "low", "medium", "high"}
	a.Likelihood, a.Impact = words[likely], words[impact]
	a.DecidedBy = []string{likelyWhy, impactWhy}
	switch sum := likely + impact; {
	case sum >= 5:
		a.Urgency = "high"
	case sum == 4:
		a.Urgency = "medium"
	default:
		a.Urgency = "low"
	}
	a.Level = strings.ToUpper(a.Urgency)
	var roots []Cause
	if skipped {
		if roots, _, err = r.skipRoots(ctx, c, n.UniqueID, last[0].InvocationID); err != nil {
			return a, err
		}
	}
	a.Next = nextStep(c, n, a.Health, a.FailingTests, skipped, roots)
	return a, nil
}

// nextStep says what to do about a node's problem (nextStepFor) and whom to ask: the owners of the node to act on.
func nextStep(c *catalog, n *nodeInfo, health Health, failingTests []TestState, skipped bool, roots []Cause) *NextStep {
	next := nextStepFor(n, health, failingTests, skipped, roots)
	if next == nil {
		return nil
	}
	// Who to ask: the owners of the node to act on; for its own test, its own owners (the catalog's lookup, not the
	// tests' index, which a first question would have to load).
	next.Owners = n.Owners
	if target := c.byID[next.UniqueID]; target != nil {
		next.Owners = target.Owners
	}
	return next
}

// nextStepFor is the step for a node's problem: its own error first, a stale source's loader, the root of its skip
// (the run's log when the rows show none), its worst failing test, else watching the warnings; nil when healthy.
func nextStepFor(n *nodeInfo, health Health, failingTests []TestState, skipped bool, roots []Cause) *NextStep {
	switch health {
	case HealthOK, HealthUnknown:
		return nil
	case HealthError:
		return &NextStep{Action: "fix_error", UniqueID: n.UniqueID, Name: n.Name}
	case HealthStale:
		return &NextStep{Action: "check_loader", UniqueID: n.UniqueID, Name: n.Name}
	}
	if skipped {
		if len(roots) > 0 {
			return &NextStep{Action: "fix_root", UniqueID: roots[0].UniqueID, Name: roots[0].Name}
		}
		// Skipped, and the rows do not say why: the run's own log does.
		return &NextStep{Action: "check_run", UniqueID: n.UniqueID, Name: n.Name}
	}
	if len(failingTests) > 0 {
		t := failingTests[0]
		return &NextStep{Action: "check_test", UniqueID: t.UniqueID, Name: firstNonBlank(t.Name, t.ShortName)}
	}
	return &NextStep{Action: "watch", UniqueID: n.UniqueID, Name: n.Name}
}

// firstNonBlank is the first of ss that is not blank.
func firstNonBlank(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// streak finds the longest current failure streak of a node: run errors, failing tests' invocations, or stale
// freshness checks.
func (r *Reader) streak(ctx context.Context, n *nodeInfo, h Health, tests []TestState) (int, *time.Time, bool, error) {
	best, var0 := 0, (*time.Time)(nil)
	consider := func(count int, since *time.Time) {
		if count > best || (count == best && count > 0 && since != nil && (var0 == nil || since.Before(*var0))) {
			best, var0 = count, since
		}
	}
	if h == HealthError {
		runs, err := r.runs(ctx, n.UniqueID, MaxRunLimit, nil, nil)
		if err != nil {
			return 0, nil, false, err
		}
		count, since := 0, (*time.Time)(nil)
		for _, run := range runs {
			if run.Status != "error" {
				break
			}
			count, since = count+1, run.CompletedAt
		}
		consider(count, since)
	}
	flaky := false
	for _, t := range tests {
		count, since, flips, err := r.testStreak(ctx, t.UniqueID)
		if err != nil {
			return 0, nil, false, err
		}
		consider(count, since)
		flaky = flaky || flips >= flakyFlips
	}
	if n.ResourceType == "source" {
		rows, err := r.db.Read.QueryContext(ctx, `SELECT status, coalesce(snapshotted_at, generated_at)
			FROM dbt_source_freshness_results WHERE unique_id = ?
			ORDER BY generated_at DESC, created_at DESC LIMIT ?`, n.UniqueID, MaxRunLimit)
		if err != nil {
			return 0, nil, false, fmt.Errorf("freshness streak of %s: %w", n.UniqueID, err)
		}
		defer rows.Close()
		count, since := 0, (*time.Time)(nil)
		for rows.Next() {
			var status string
			var at *string
			if err := rows.Scan(&status, &at); err != nil {
				return 0, nil, false, fmt.Errorf("freshness streak of %s: %w", n.UniqueID, err)
			}
			if status != "error" && status != "runtime error" {
				break
			}
			count, since = count+1, timePtr(at)
		}
		if err := rows.Err(); err != nil {
			return 0, nil, false, fmt.Errorf("freshness streak of %s: %w", n.UniqueID, err)
		}
		consider(count, since)
	}
	return best, var0, flaky, nil
}

// testStreak counts a test's consecutive failing invocations from the newest (each invocation's worst row), and how
// often its results flipped between passing and failing over its last flakyWindow invocations.
func (r *Reader) testStreak(ctx context.Context, testID string) (int, *time.Time, int, error) {
	rows, err := r.db.Read.QueryContext(ctx, `SELECT coalesce(invocation_id, detected_at), status, detected_at
		FROM elementary_test_results WHERE test_unique_id = ? ORDER BY detected_at DESC, created_at DESC LIMIT 500`,
		testID)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("streak of %s: %w", testID, err)
	}
	defer rows.Close()
	type inv struct {
		failing bool
		at      *time.Time
	}
	var order []string
	invs := map[string]*inv{}
	for rows.Next() {
		var key, status string
		var at *string
		if err := rows.Scan(&key, &status, &at); err != nil {
			return 0, nil, 0, fmt.Errorf("streak of %s: %w", testID, err)
		}
		i := invs[key]
		if i == nil {
			i = &inv{}
			invs[key] = i
			order = append(order, key)
		}
		if status == "fail" || status == "error" {
			i.failing = true
		}
		if t := timePtr(at); t != nil && (i.at == nil || t.Before(*i.at)) {
			i.at = t
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, 0, fmt.Errorf("streak of %s: %w", testID, err)
	}
	count, since := 0, (*time.Time)(nil)
	for _, k := range order {
		if !invs[k].failing {
			break
		}
		count, since = count+1, invs[k].at
	}
	flips := 0
	for i := 1; i < len(order) && i < flakyWindow; i++ {
		if invs[order[i]].failing != invs[order[i-1]].failing {
			flips++
		}
	}
	return count, since, flips, nil
}

// A test is flaky when its results flipped between passing and failing flakyFlips times or more over its last
// flakyWindow invocations.
const (
	flakyWindow = 10
	flakyFlips  = 3
)
