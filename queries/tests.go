package queries

import (
	"context"
	"fmt"
	"time"
)

// TestsWindow is how far back "tests NODE" counts results for a test's pass rate.
const TestsWindow = HistoryDays * 24 * time.Hour

// TestRecord is one test of a node: its latest result and how often it passed in the window.
type TestRecord struct {
	TestState
	// Runs counts its results in the window; Passed those that passed. PassRate is Passed/Runs, nil without runs.
	Runs     int      `json:"runs"`
	Passed   int      `json:"passed"`
	PassRate *float64 `json:"pass_rate"`
}

// TestsAnswer answers "tests NODE": the tests on a node, failing first, each with its latest status and its pass
// rate over the last WindowDays days.
type TestsAnswer struct {
	Node       Node         `json:"node"`
	WindowDays int          `json:"window_days"`
	Tests      []TestRecord `json:"tests"`
	// Chart is the tests' results per day over the window (omitted when they have none).
	Chart *Chart `json:"chart,omitempty"`
}

// Tests answers "tests NODE".
func (r *Reader) Tests(ctx context.Context, name string) (TestsAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ TestsAnswer, err error) {
		a := TestsAnswer{Node: n.Node, WindowDays: int(TestsWindow / (24 * time.Hour)), Tests: []TestRecord{}}
		latest, err := r.nodeTests(ctx, n)
		if err != nil {
			return a, err
		}
		since := r.now().Add(-TestsWindow).UTC().Format("2006-01-02T15:04:05.000000Z")
		for _, t := range latest {
			rec := TestRecord{TestState: t}
			if err := r.q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(status = 'pass'), 0)
				FROM elementary_test_results WHERE test_unique_id = ? AND detected_at >= ?`, t.UniqueID, since).
				Scan(&rec.Runs, &rec.Passed); err != nil {
				return a, fmt.Errorf("pass rate of %s: %w", t.UniqueID, err)
			}
			if rec.Runs > 0 {
				rate := float64(rec.Passed) / float64(rec.Runs)
				rec.PassRate = &rate
			}
			a.Tests = append(a.Tests, rec)
		}
		ids := make([]string, len(latest))
		for i, t := range latest {
			ids[i] = t.UniqueID
		}
		if len(ids) > 0 {
			a.Chart, err = r.testHistory(ctx, ids, r.zoneOf(n))
		}
		return a, err
	})
}
