package queries

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Why answers "why NODE": its last successful run and the time since (from Now), the failed or skipped runs after
// it (newest first, at most MaxRunLimit), its failing tests (latest fail or error), and the causes the rows give
// evidence of, most probable first, each with its confidence:
//   - its last run errored: that error, and nothing else (what is upstream did not cause it);
//   - its last run was skipped: the roots in that very invocation (skipRoots), with the chain from the primary one,
//     and nothing else; when no root is found, the skip itself with low confidence;
//   - then (unless it errored) upstream sources that are stale (ingestion), and, unless it was skipped, upstream
//     nodes whose last run errored (their data did not update). Upstream tests that merely fail are not causes.
func (r *Reader) Why(ctx context.Context, name string) (WhyAnswer, error) {
	return inSnapshot(ctx, r, func(r *Reader) (WhyAnswer, error) {
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
