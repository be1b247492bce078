package queries

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// Why answers "why NODE": its diagnosis (Diagnose: the causes the rows give evidence of, most probable first, each
// with its confidence; the chain of a skip; the next step), its last successful run and the time since (from Now),
// the failed or skipped runs after it (newest first, at most MaxRunLimit), its failing tests, what changed between
// its last success and its first failure, and whether the whole pipeline stopped.
func (r *Reader) Why(ctx context.Context, name string) (WhyAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ WhyAnswer, err error) {
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
		if a.Data, err = r.nodeData(ctx, c, n, a.Overdue, r.now()); err != nil {
			return a, err
		}
		if n.test != nil {
			if a.Chart, err = r.testChart(ctx, n, false); err != nil {
				return a, err
			}
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
		if a.Health != HealthOK && a.Health != HealthUnknown {
			if a.History, err = r.incidentHistory(ctx, problemSubjects(n, a.Health, a.FailingTests)); err != nil {
				return a, err
			}
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
	if !slices.ContainsFunc(causes, func(c Cause) bool { return c.Kind == CauseStaleSource && c.LoadedAt != nil }) {
		return causes, nil // nothing it could rule out: no failing test's history to read
	}
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
// and are not named. It walks the catalog's lineage in memory (a test reaches the nodes it tests at depth 1), at most
// maxLineageDepth deep, and looks each node up in the mirror's troubled nodes.
func (r *Reader) upstreamCauses(ctx context.Context, c *catalog, n *nodeInfo, skipped bool) ([]Cause, error) {
	troubled, err := r.troubled(ctx)
	if err != nil {
		return nil, err
	}
	type reached struct {
		id    string
		depth int
	}
	depth := map[string]int{n.UniqueID: 0}
	frontier := []string{n.UniqueID}
	var found []reached
	if t, ok := troubled[n.UniqueID]; ok && t.stale() {
		found = append(found, reached{n.UniqueID, 0})
	}
	for d := 1; len(frontier) > 0 && d <= maxLineageDepth; d++ {
		var next []string
		for _, child := range frontier {
			parents := c.parents[child]
			if child == n.UniqueID && n.test != nil {
				parents = append(slices.Clone(parents), n.test.tested...)
			}
			for _, p := range parents {
				if _, seen := depth[p]; seen {
					continue
				}
				depth[p] = d
				next = append(next, p)
				if _, ok := troubled[p]; ok {
					found = append(found, reached{p, d})
				}
			}
		}
		frontier = next
	}
	name := func(id string) string {
		if x := c.byID[id]; x != nil {
			return x.Name
		}
		return id
	}
	slices.SortFunc(found, func(a, b reached) int {
		return cmp.Or(cmp.Compare(a.depth, b.depth), cmp.Compare(name(a.id), name(b.id)), cmp.Compare(a.id, b.id))
	})
	out := []Cause{}
	for _, f := range found {
		t := troubled[f.id]
		if t.stale() {
			detail := evidenceDetail("freshness "+t.freshStatus, firstLine(t.freshError))
			out = append(out, Cause{Kind: CauseStaleSource, UniqueID: f.id, Name: name(f.id), Detail: &detail,
				Confidence: ConfidenceMedium, LoadedAt: t.loadedAt})
		}
		if f.depth == 0 {
			continue // the node's own run and tests are reported apart
		}
		if t.runStatus == "error" && !skipped {
			out = append(out, Cause{Kind: CauseUpstreamError, UniqueID: f.id, Name: name(f.id),
				Detail: textOrNil(firstLine(t.runMessage)), Confidence: ConfidenceMedium})
		}
	}
	return out, nil
}

// trouble is what the mirror says of a node whose last run errored or whose latest freshness check errored (or could
// not run).
type trouble struct {
	runStatus, runMessage   string
	freshStatus, freshError string
	loadedAt                *time.Time
}

// stale reports whether the node's latest freshness check errored or failed to run.
func (t trouble) stale() bool { return t.freshStatus == "error" || t.freshStatus == "runtime error" }

// troubled returns the nodes whose last run errored and the sources whose freshness errored or could not be
// checked, read once per data generation of the mirror.
func (r *Reader) troubled(ctx context.Context) (map[string]trouble, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return nil, err
	}
	if byID, ok := recall(r.shared, &r.shared.trouble, gen, nil); ok {
		return byID, nil
	}
	type troubled struct {
		id string
		trouble
	}
	// Only what a cause is made of: the nodes whose last run errored and the sources whose freshness errored or
	// could not be checked (a node that merely fails tests is no cause of what is downstream).
	rows, err := localdb.Collect(ctx, r.q, "troubled nodes", `SELECT lr.unique_id, lr.status, rr.message, NULL, NULL,
			NULL
		FROM node_last_run lr JOIN dbt_run_results rr ON rr.model_execution_id = lr.model_execution_id
		WHERE lr.status = 'error'
		UNION ALL
		SELECT sf.unique_id, NULL, NULL, sf.status, f.error, f.max_loaded_at
		FROM source_freshness_latest sf
		LEFT JOIN dbt_source_freshness_results f ON f.source_freshness_execution_id = sf.execution_id
		WHERE sf.status IN ('error', 'runtime error')`, nil, func(rows *sql.Rows) (troubled, error) {
		var t troubled
		var runStatus, runMsg, freshStatus, freshErr, loaded *string
		err := rows.Scan(&t.id, &runStatus, &runMsg, &freshStatus, &freshErr, &loaded)
		t.trouble = trouble{runStatus: str(runStatus), runMessage: str(runMsg), freshStatus: str(freshStatus),
			freshError: str(freshErr), loadedAt: timePtr(loaded)}
		return t, err
	})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]trouble, len(rows))
	for _, t := range rows {
		had := byID[t.id] // a node with both an errored run and an errored freshness check has two rows
		byID[t.id] = trouble{runStatus: cmp.Or(t.runStatus, had.runStatus), runMessage: cmp.Or(t.runMessage, had.runMessage),
			freshStatus: cmp.Or(t.freshStatus, had.freshStatus), freshError: cmp.Or(t.freshError, had.freshError),
			loadedAt: cmp.Or(t.loadedAt, had.loadedAt)}
	}
	remember(r.shared, &r.shared.trouble, gen, time.Time{}, byID)
	return byID, nil
}
