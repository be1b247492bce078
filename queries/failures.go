package queries

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultFailuresWindow is the window of Failures when FailuresQuery.Since is zero.
const DefaultFailuresWindow = 24 * time.Hour

// Failures answers "failures": one entry per test with at least one fail, error or warn result detected since
// q.Since (DefaultFailuresWindow before Now when zero). Status, DetectedAt, Failures, Severity and Message come from
// its newest such result (worst first among rows detected at the same time); LatestStatus is its latest result
// (the worst row of its newest invocation, any status); Count is its distinct fail, error and warn results in the
// window (rows deduplicated on id by the mirror; skipped rows are not counted, as Elementary hides them by
// default, and an anomaly test's several failing rows of one invocation count one each). Entries are newest first. Scope: q.Node (the node's tests, multi-parent and source tests
// included), q.Team ("team:NAME" scope: tests touching any node of that team; the entries then carry that team), or
// everyone. Owners are the test's primary node's owners ∪ the test's model_owners ∪ its own meta.owner.
func (r *Reader) Failures(ctx context.Context, q FailuresQuery) (FailuresAnswer, error) {
	return inSnapshot(ctx, r, func(r *Reader) (FailuresAnswer, error) {
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
		rows, err := r.q.QueryContext(ctx, `WITH g AS (
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
			ORDER BY e.detected_at DESC, g.test_unique_id`, sinceText, jsonList(scopeIDs), nodeArg)
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
	})
}

// coalesceStr is SQL's coalesce of two nullable texts, read as a string ("" when both are NULL).
func coalesceStr(a, b *string) string {
	if a != nil {
		return *a
	}
	return str(b)
}
