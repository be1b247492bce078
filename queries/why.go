package queries

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Why answers "why NODE": its diagnosis (Diagnose: the causes the rows give evidence of, most probable first, each
// with its confidence; the chain of a skip; the next step), its last successful run and the time since (from Now),
// the failed or skipped runs after it (newest first, at most MaxRunLimit), its failing tests, what changed between
// its last success and its first failure, and whether the whole pipeline stopped.
func (r *Reader) Why(ctx context.Context, name string) (WhyAnswer, error) {
	return inSnapshot(ctx, r, func(r *Reader) (WhyAnswer, error) {
		c, n, err := r.resolveNode(ctx, name)
		if err != nil {
			return WhyAnswer{}, err
		}
		d, err := r.diagnosis(ctx, c, n)
		if err != nil {
			return WhyAnswer{}, err
		}
		a := WhyAnswer{Node: n.Node, Health: d.Health, FailedSince: []Run{}, LikelyCauses: slices.Clone(d.Causes),
			RootCauses: []string{}, Chain: slices.Clone(d.Chain), Overdue: d.Overdue, Next: d.Next, Changes: []Change{}}
		if len(a.Chain) > 0 {
			for _, cause := range d.Causes {
				a.RootCauses = append(a.RootCauses, cause.UniqueID)
			}
		}
		if a.Pipeline, err = r.pipeline(ctx, r.now()); err != nil {
			return a, err
		}
		runs := r.runsOf(n)
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
		if a.FailingTests = d.FailingTests; d.Health != HealthFailing {
			tests, err := r.nodeTests(ctx, n)
			if err != nil {
				return a, err
			}
			a.FailingTests = failing(tests)
		}
		if a.LastSuccess != nil && len(a.FailedSince) > 0 {
			if a.Changes, err = r.changes(ctx, n, *a.LastSuccess, a.FailedSince[len(a.FailedSince)-1]); err != nil {
				return a, err
			}
		}
		return a, nil
	})
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
		return c.Kind == CauseStaleSource && c.LoadedAt != nil && !c.LoadedAt.Before(*latestStart)
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
	rows, err := r.q.QueryContext(ctx, `WITH RECURSIVE walk(id, depth) AS (
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
			out = append(out, Cause{Kind: CauseStaleSource, UniqueID: id, Name: name, Detail: &detail,
				Confidence: ConfidenceMedium, LoadedAt: timePtr(loaded)})
		}
		if depth == 0 {
			continue // the node's own run and tests are reported apart
		}
		if str(runStatus) == "error" && !skipped {
			out = append(out, Cause{Kind: CauseUpstreamError, UniqueID: id, Name: name,
				Detail: textOrNil(firstLine(str(runMsg))), Confidence: ConfidenceMedium})
		}
	}
	return out, rows.Err()
}
