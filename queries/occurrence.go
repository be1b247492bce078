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
	// Column and SubType narrow a test's runs to the series the alert is about, as Elementary keys its alerts
	// (elementary_unique_id: test_unique_id.column.sub_type; ResultSeries reads them): a column anomalies test's one
	// column, a volume anomalies test's metric. "" for every row of the test.
	Column, SubType string
}

// ResultSeries reads the column and sub type of test testID's results an elementary_unique_id names
// (<testID>.<column>.<sub_type>, "None" for none); "" and "" for an id that is not one of testID's.
func ResultSeries(elementaryID, testID string) (column, subType string) {
	rest, ok := strings.CutPrefix(strings.ToLower(elementaryID), strings.ToLower(testID)+".")
	if !ok || testID == "" {
		return "", ""
	}
	rest = elementaryID[len(elementaryID)-len(rest):] // as written
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return "", ""
	}
	none := func(s string) string {
		if strings.EqualFold(s, "None") {
			return ""
		}
		return s
	}
	return none(rest[:i]), none(rest[i+1:])
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
	// SinceNowFailing: the run asked about passed (todai ask --at), and its latest run does not.
	SinceNowFailing AlertSince = "now_failing"
	// SinceUnknown: the mirror holds no run of it at the alert's time (older than the mirror's history, or the
	// alert is about another run than the mirror knows).
	SinceUnknown AlertSince = "unknown"
)

// AlertSinces lists every AlertSince.
func AlertSinces() []AlertSince {
	return []AlertSince{SinceStillFailing, SinceRecovered, SinceNotRun, SinceStillPassing, SinceNowFailing, SinceUnknown}
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
	// RunsSince counts its runs after the alert's, PassesSince those that passed; past MaxOccurrenceRuns runs they
	// count the newest MaxOccurrenceRuns, and Capped says so.
	RunsSince   int  `json:"runs_since"`
	PassesSince int  `json:"passes_since"`
	Capped      bool `json:"runs_since_capped"`
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
		series := checkRange{column: q.Column, subType: q.SubType}
		bound := q.At.Truncate(time.Second).Add(time.Second)
		look := series
		look.before, look.limit = &bound, occurrenceLookBack
		before, err := r.checks(ctx, n, look)
		if err != nil {
			return o, err
		}
		i := alertRun(before, q.Failing)
		if i < 0 {
			return o, nil
		}
		then := before[i]
		o.Then, o.StatusThen = &then, &then.Status
		if then.CompletedAt != nil {
			o.DetectedAt = then.CompletedAt.UTC()
		}
		after := series
		after.after, after.limit = then.CompletedAt, MaxOccurrenceRuns
		since, err := r.checks(ctx, n, after)
		if err != nil {
			return o, err
		}
		o.summarise(then, since, before[i+1:])
		if o.Capped && o.Since == SinceRecovered && len(o.PassedAt) > 0 && o.RecoveredAt != nil &&
			o.RecoveredAt.Equal(*since[len(since)-1].CompletedAt) {
			// Every run read passed: the streak may have begun before the oldest of them.
			if o.RecoveredAt, err = r.recoveredAt(ctx, n, series, then, since[len(since)-1]); err != nil {
				return o, err
			}
		}
		if n.test != nil {
			if err := r.occurrenceCharts(ctx, &o, then, since); err != nil {
				return o, err
			}
		}
		return o, nil
	})
}

// alertRun picks the alert's run among runs newest first: the newest, or, for an alert of a failure, the newest that
// did not pass — a dbt run that errored rather than one skipped, when there is one (edr monitor alerts on errors).
func alertRun(runs []Run, failing bool) int {
	if !failing {
		if len(runs) == 0 {
			return -1
		}
		return 0
	}
	if i := slices.IndexFunc(runs, func(c Run) bool { return !passed(c.Status) && c.Status != "skipped" }); i >= 0 {
		return i
	}
	return slices.IndexFunc(runs, func(c Run) bool { return !passed(c.Status) })
}

// recoveredAt finds when a node whose every run of the newest MaxOccurrenceRuns since then passed began passing:
// the first run after its last failure before oldest (the oldest of them), or after then.
func (r *Reader) recoveredAt(ctx context.Context, n *nodeInfo, series checkRange, then, oldest Run) (*time.Time, error) {
	start := then.CompletedAt
	fail := series
	fail.after, fail.before, fail.limit, fail.failingOnly = then.CompletedAt, oldest.CompletedAt, 1, true
	failed, err := r.checks(ctx, n, fail)
	if err != nil {
		return nil, err
	}
	if len(failed) > 0 {
		start = failed[0].CompletedAt
	}
	first := series
	first.after, first.limit, first.oldestFirst = start, 1, true
	runs, err := r.checks(ctx, n, first)
	if err != nil || len(runs) == 0 {
		return oldest.CompletedAt, err
	}
	return runs[0].CompletedAt, nil
}

// summarise says what happened after then: since holds the later runs newest first, earlier the runs before it
// newest first.
func (o *Occurrence) summarise(then Run, since, earlier []Run) {
	o.RunsSince, o.Capped = len(since), len(since) >= MaxOccurrenceRuns
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
		if passed(then.Status) && o.Flips > 0 {
			o.Since = SinceNowFailing
		}
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

// checkRange says which of a node's runs checks reads: completed strictly after after and at or before before
// (nil for no bound), at most limit, newest first unless oldestFirst; failingOnly keeps those that did not pass;
// column and subType keep a test's results of that series (and those that name none).
type checkRange struct {
	after, before   *time.Time
	limit           int
	oldestFirst     bool
	failingOnly     bool
	column, subType string
}

// checks returns a node's runs as an alert reports them, in the range asked: a test's results (each invocation's
// worst row, without skipped results), a source's freshness checks, any other node's dbt runs.
func (r *Reader) checks(ctx context.Context, n *nodeInfo, w checkRange) ([]Run, error) {
	order := "DESC"
	if w.oldestFirst {
		order = "ASC"
	}
	var query string
	switch {
	case n.test != nil:
		query = `WITH recent AS (
				SELECT id, status, detected_at, test_results_description, failures, invocation_id, created_at
				FROM elementary_test_results
				WHERE test_unique_id = ?1 AND status <> 'skipped'
					AND (?2 IS NULL OR detected_at > ?2) AND (?3 IS NULL OR detected_at <= ?3)
					AND (?5 = 0 OR status NOT IN ('pass', 'success'))
					AND (?6 = '' OR column_name IS NULL OR lower(column_name) = lower(?6))
					AND (?7 = '' OR test_sub_type IS NULL OR lower(test_sub_type) = lower(?7))
				ORDER BY detected_at ` + order + `, created_at ` + order + ` LIMIT ?4 * 4),
			ranked AS (
				SELECT *, row_number() OVER (PARTITION BY coalesce(invocation_id, id)
					ORDER BY ` + statusRank + `, detected_at DESC, id) AS rn FROM recent)
			SELECT id, status, detected_at, NULL, test_results_description, failures, invocation_id
			FROM ranked WHERE rn = 1 ORDER BY detected_at ` + order + `, created_at ` + order + ` LIMIT ?4`
	case n.ResourceType == "source":
		query = `SELECT source_freshness_execution_id, status, coalesce(snapshotted_at, generated_at), NULL, error,
				NULL, invocation_id
			FROM dbt_source_freshness_results
			WHERE unique_id = ?1 AND (?2 IS NULL OR coalesce(snapshotted_at, generated_at) > ?2)
				AND (?3 IS NULL OR coalesce(snapshotted_at, generated_at) <= ?3) AND (?5 = 0 OR status <> 'pass')
				AND ?6 = ?6 AND ?7 = ?7
			ORDER BY generated_at ` + order + `, created_at ` + order + ` LIMIT ?4`
	default:
		query = `SELECT model_execution_id, status, coalesce(execute_completed_at, generated_at), execution_time,
				message, failures, invocation_id
			FROM dbt_run_results
			WHERE unique_id = ?1 AND (?2 IS NULL OR coalesce(execute_completed_at, generated_at) > ?2)
				AND (?3 IS NULL OR coalesce(execute_completed_at, generated_at) <= ?3)
				AND (?5 = 0 OR status NOT IN ('success', 'pass')) AND ?6 = ?6 AND ?7 = ?7
			ORDER BY coalesce(execute_completed_at, generated_at) ` + order + `, created_at ` + order +
			`, model_execution_id ` + order + ` LIMIT ?4`
	}
	bound := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return localdb.FormatTime(*t)
	}
	// Every kind's query takes the same arguments; the series (?6, ?7) narrows a test's only.
	args := []any{n.UniqueID, bound(w.after), bound(w.before), w.limit, w.failingOnly, w.column, w.subType}
	return localdb.Collect(ctx, r.q, "runs of "+n.UniqueID, query, args, func(rows *sql.Rows) (Run, error) {
		var c Run
		var at, msg, inv *string
		err := rows.Scan(&c.resultID, &c.Status, &at, &c.ExecutionTime, &msg, &c.Failures, &inv)
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
