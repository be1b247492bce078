package queries

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// OccurrenceQuery asks about one past run of a node: the one an alert reported, or the one at a time asked for.
type OccurrenceQuery struct {
	// Node names the node (a name or a unique_id).
	Node string
	// At is when the run happened: the alert's detected time, or, when the alert does not say it, when it was
	// posted. Runs up to a second after it count as at it (an alert shows whole seconds).
	At time.Time
	// Failing says the alert reported a failure: its run is the newest run at or before At that did not pass
	// (a run that passed after the failure and before the alert was posted is not the one it reports).
	Failing bool
}

// AlertSince is what has happened to a node since the run an alert reported.
type AlertSince string

// What has happened since.
const (
	// SinceStillFailing: its latest run still does not pass.
	SinceStillFailing AlertSince = "still_failing"
	// SinceRecovered: its latest run passes.
	SinceRecovered AlertSince = "recovered"
	// SinceNotRun: it has not run again: its latest run is the alert's.
	SinceNotRun AlertSince = "not_run"
	// SinceStillPassing: the run asked about passed (todai ask --at), and every run since has.
	SinceStillPassing AlertSince = "still_passing"
	// SinceUnknown: the mirror holds no run of it at the alert's time (older than the mirror's history, or the
	// alert is about another run than the mirror knows).
	SinceUnknown AlertSince = "unknown"
)

// AlertSinces lists every AlertSince.
func AlertSinces() []AlertSince {
	return []AlertSince{SinceStillFailing, SinceRecovered, SinceNotRun, SinceStillPassing, SinceUnknown}
}

// Occurrence is one past run of a node, as an alert reported it, and what has happened since: the alert object of
// an answer asked under an alert (docs/json.md).
type Occurrence struct {
	// Kind is the alert's kind, by the node's: test, model, snapshot or source_freshness.
	Kind string `json:"kind"`
	// Node is the node's unique_id.
	Node string `json:"node"`
	// DetectedAt is when the run happened (the time asked about when no run is found).
	DetectedAt time.Time `json:"detected_at"`
	// StatusThen is the run's status: fail, warn, error, runtime error, skipped, pass or success; nil when not found.
	StatusThen *string `json:"status_then"`
	// Since is what has happened since.
	Since AlertSince `json:"since"`
	// RecoveredAt is, when it recovered, the first run of its current passing streak.
	RecoveredAt *time.Time `json:"recovered_at"`
	// RunsSince counts its runs after the alert's (at most MaxOccurrenceRuns); PassesSince those that passed.
	RunsSince   int `json:"runs_since"`
	PassesSince int `json:"passes_since"`
	// PassedAt are the times of its current passing streak's runs, oldest first (the last OccurrencePasses).
	PassedAt []time.Time `json:"passed_at"`
	// Streak is, while still failing, how many runs in a row have not passed, and FailingSince when that began
	// (before the alert's run, when it had been failing already).
	Streak       int        `json:"streak"`
	FailingSince *time.Time `json:"failing_since"`
	// Flips counts the changes between passing and not passing from the alert's run to the latest; Flaky is set
	// when it recovered after the alert and failed again (two flips or more).
	Flips int  `json:"flips"`
	Flaky bool `json:"flaky"`
	// Then is the alert's run: its status, time, message (a test's result, a model's error, a source check's
	// error) and failing rows; Latest is the latest run, when it is another one.
	Then   *Run `json:"then"`
	Latest *Run `json:"latest"`
	// Value is, for an anomaly test, the anomalous value the alert's run measured, and Low and High the range
	// expected then.
	Value *float64 `json:"value,omitempty"`
	Low   *float64 `json:"expected_low,omitempty"`
	High  *float64 `json:"expected_high,omitempty"`
	// Chart is, for an anomaly test, the buckets of the alert's run; LatestChart those of the latest run, when it is
	// another one.
	Chart       *Chart `json:"chart,omitempty"`
	LatestChart *Chart `json:"latest_chart,omitempty"`
}

// Limits of what an Occurrence reads and lists.
const (
	// MaxOccurrenceRuns bounds the runs read after the alert's (newest first): RunsSince says at most this.
	MaxOccurrenceRuns = 1000
	// OccurrencePasses is how many passing runs PassedAt lists.
	OccurrencePasses = 5
	// occurrenceLookBack is how many runs before the alert's time are read, to find its run and how long it had
	// been failing.
	occurrenceLookBack = 200
)

// Occurrence finds the run an alert about q.Node reported at q.At (see OccurrenceQuery) and says what has happened
// since: still failing (its streak, since when), recovered (when, after how many passing runs), or not run again;
// with the run's evidence (status, message, failing rows, an anomaly's value and buckets) and the latest run's
// where it differs. A test's runs are its results (each invocation's worst row; skipped results are not runs), a
// source's its freshness checks, any other node's its dbt runs.
func (r *Reader) Occurrence(ctx context.Context, q OccurrenceQuery) (Occurrence, error) {
	return aboutNode(ctx, r, q.Node, func(r *Reader, _ *catalog, n *nodeInfo) (Occurrence, error) {
		o := Occurrence{Kind: alertKind(n), Node: n.UniqueID, DetectedAt: q.At.UTC(), Since: SinceUnknown,
			PassedAt: []time.Time{}}
		bound := q.At.Truncate(time.Second).Add(time.Second)
		before, err := r.checks(ctx, n, nil, &bound, occurrenceLookBack)
		if err != nil {
			return o, err
		}
		i := slices.IndexFunc(before, func(c Run) bool { return !q.Failing || !passed(c.Status) })
		if i < 0 {
			return o, nil
		}
		then := before[i]
		o.Then, o.StatusThen = &then, &then.Status
		if then.CompletedAt != nil {
			o.DetectedAt = then.CompletedAt.UTC()
		}
		since, err := r.checks(ctx, n, then.CompletedAt, nil, MaxOccurrenceRuns)
		if err != nil {
			return o, err
		}
		o.summarise(then, since, before[i+1:])
		if n.test != nil {
			if err := r.occurrenceCharts(ctx, &o, then, since); err != nil {
				return o, err
			}
		}
		return o, nil
	})
}

// summarise says what happened after then: since holds the later runs newest first, earlier the runs before it
// newest first.
func (o *Occurrence) summarise(then Run, since, earlier []Run) {
	o.RunsSince = len(since)
	chrono := append([]Run{then}, since...) // the alert's run, then each later one
	slices.Reverse(chrono[1:])
	for k := 1; k < len(chrono); k++ {
		if passed(chrono[k].Status) != passed(chrono[k-1].Status) {
			o.Flips++
		}
	}
	for _, c := range since {
		if passed(c.Status) {
			o.PassesSince++
		}
	}
	if len(since) == 0 {
		o.Since = SinceNotRun
	} else {
		latest := since[0]
		o.Latest = &latest
	}
	newest := chrono[len(chrono)-1]
	if passed(newest.Status) {
		start := len(chrono) - 1 // the first run of the current passing streak
		for start > 0 && passed(chrono[start-1].Status) {
			start--
		}
		var streak []time.Time
		for _, c := range chrono[start:] {
			if c.CompletedAt != nil {
				streak = append(streak, c.CompletedAt.UTC())
			}
		}
		o.PassedAt = streak[max(0, len(streak)-OccurrencePasses):]
		switch {
		case start > 0: // it failed, then passed
			o.Since = SinceRecovered
			o.RecoveredAt = chrono[start].CompletedAt
		case len(since) > 0:
			o.Since = SinceStillPassing
		}
	} else if len(since) > 0 {
		o.Since = SinceStillFailing
	}
	if !passed(newest.Status) {
		all := append(slices.Clone(since), then) // newest first, down to the alert's run, then before it
		all = append(all, earlier...)
		for _, c := range all {
			if passed(c.Status) {
				break
			}
			o.Streak++
			if c.CompletedAt != nil {
				at := c.CompletedAt.UTC()
				o.FailingSince = &at
			}
		}
	}
	o.Flaky = o.Flips >= 2 && !passed(then.Status)
}

// occurrenceCharts draws an anomaly test's buckets of the alert's run and of the latest run, when it is another,
// and reads the anomalous value the alert's run measured with its expected range.
func (r *Reader) occurrenceCharts(ctx context.Context, o *Occurrence, then Run, since []Run) error {
	c, _, err := r.anomalyChart(ctx, then.resultID)
	if err != nil || c == nil {
		return err
	}
	o.Chart = c
	if k := len(c.Anomalous); k > 0 {
		i := c.Anomalous[k-1]
		if v, ok := c.Of(SeriesValue); ok && i < len(v.Values) {
			o.Value = v.Values[i]
		}
		if c.Band != nil && i < len(c.Band.Low) && i < len(c.Band.High) {
			o.Low, o.High = c.Band.Low[i], c.Band.High[i]
		}
	}
	if len(since) > 0 && since[0].resultID != "" && since[0].resultID != then.resultID {
		if o.LatestChart, _, err = r.anomalyChart(ctx, since[0].resultID); err != nil {
			return err
		}
	}
	return nil
}

// checks returns a node's runs as an alert reports them, newest first, completed strictly after after and at or
// before before (either nil for no bound), at most limit: a test's results (each invocation's worst row, without
// skipped results), a source's freshness checks, any other node's dbt runs.
func (r *Reader) checks(ctx context.Context, n *nodeInfo, after, before *time.Time, limit int) ([]Run, error) {
	var query string
	switch {
	case n.test != nil:
		query = `WITH recent AS (
				SELECT id, status, detected_at, test_results_description, failures, invocation_id, created_at
				FROM elementary_test_results
				WHERE test_unique_id = ?1 AND status <> 'skipped'
					AND (?2 IS NULL OR detected_at > ?2) AND (?3 IS NULL OR detected_at <= ?3)
				ORDER BY detected_at DESC, created_at DESC LIMIT ?4 * 4),
			ranked AS (
				SELECT *, row_number() OVER (PARTITION BY coalesce(invocation_id, id)
					ORDER BY ` + statusRank + `, detected_at DESC) AS rn FROM recent)
			SELECT id, status, detected_at, test_results_description, failures, invocation_id
			FROM ranked WHERE rn = 1 ORDER BY detected_at DESC, created_at DESC LIMIT ?4`
	case n.ResourceType == "source":
		query = `SELECT source_freshness_execution_id, status, coalesce(snapshotted_at, generated_at), error, NULL,
				invocation_id
			FROM dbt_source_freshness_results
			WHERE unique_id = ?1 AND (?2 IS NULL OR coalesce(snapshotted_at, generated_at) > ?2)
				AND (?3 IS NULL OR coalesce(snapshotted_at, generated_at) <= ?3)
			ORDER BY generated_at DESC, created_at DESC LIMIT ?4`
	default:
		query = `SELECT model_execution_id, status, coalesce(execute_completed_at, generated_at), message, failures,
				invocation_id
			FROM dbt_run_results
			WHERE unique_id = ?1 AND (?2 IS NULL OR coalesce(execute_completed_at, generated_at) > ?2)
				AND (?3 IS NULL OR coalesce(execute_completed_at, generated_at) <= ?3)
			ORDER BY coalesce(execute_completed_at, generated_at) DESC, created_at DESC, model_execution_id DESC
			LIMIT ?4`
	}
	bound := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return localdb.FormatTime(*t)
	}
	return localdb.Collect(ctx, r.q, "runs of "+n.UniqueID, query, []any{n.UniqueID, bound(after), bound(before), limit},
		func(rows *sql.Rows) (Run, error) {
			var c Run
			var at, msg, inv *string
			err := rows.Scan(&c.resultID, &c.Status, &at, &msg, &c.Failures, &inv)
			c.Status = strings.ToLower(c.Status)
			c.CompletedAt, c.Message, c.InvocationID = timePtr(at), textOrNil(str(msg)), str(inv)
			if n.test == nil {
				c.resultID = ""
			}
			return c, err
		})
}

// alertKind is the kind of alert edr monitor sends about a node: test, source_freshness, snapshot or model (seeds
// and anything else that runs).
func alertKind(n *nodeInfo) string {
	switch {
	case n.test != nil:
		return "test"
	case n.ResourceType == "source":
		return "source_freshness"
	case n.ResourceType == "snapshot":
		return "snapshot"
	}
	return "model"
}

// passed says whether a run's status is a pass: a test's pass, a run's success, a freshness check's pass.
func passed(status string) bool {
	switch strings.ToLower(status) {
	case "pass", "success":
		return true
	}
	return false
}

// Urgency is the urgency of a node asked about under an alert. An alert that has recovered, on a node with no
// other problem now, is low for the reason recovered — or flaky, when it recovered and failed again since. Any
// other keeps its urgency now (a node whose alert recovered may fail otherwise now), with flaky among its reasons
// when it recovered after the alert and failed again.
func (o Occurrence) Urgency(u UrgencyAnswer) UrgencyAnswer {
	healthyNow := u.Level == "NONE" || u.Level == ""
	switch {
	case o.Since == SinceRecovered && healthyNow:
		why := ReasonRecovered
		if o.Flaky {
			why = ReasonFlaky
		}
		u.Urgency, u.Level, u.Likelihood, u.Impact = "low", "LOW", "", ""
		u.Reasons, u.DecidedBy = []Reason{why}, []Reason{why}
		u.Streak, u.FailingSince, u.Next = 0, nil, nil
	case o.Flaky && !healthyNow && !slices.Contains(u.Reasons, ReasonFlaky):
		u.Reasons = append(slices.Clone(u.Reasons), ReasonFlaky)
	}
	return u
}
