package queries

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
)

// Digest thresholds.
const (
	// DigestWindow is the window of the digest's counts.
	DigestWindow = 24 * time.Hour
	// DigestTrendDays is the length of the trend and of the history slow and flaky are measured over.
	DigestTrendDays = 7
	// SlowFactor and SlowMinSeconds: a model is slow when its latest run took at least SlowFactor × its 7-day
	// median and at least SlowMinSeconds.
	SlowFactor     = 2.0
	SlowMinSeconds = 60.0
	// digestListCap caps each list of the digest (the counts stay complete).
	digestListCap = 10
	// digestActions caps the top actions.
	digestActions = 5
)

// Digest statuses, the headline's colour.
const (
	DigestGreen  = "green"
	DigestYellow = "yellow"
	DigestRed    = "red"
)

// DigestQuery asks for a team's digest.
type DigestQuery struct {
	Team string
	// Now is the digest's time (the Reader's clock when zero).
	Now time.Time
	// Previous is the previous digest's slot: problems that began after it are "new". Zero: the last 24 h.
	Previous time.Time
	// Location is the team's zone, for the trend's days (UTC when nil).
	Location *time.Location
	// ReportURL is the Elementary report's link, copied into the answer.
	ReportURL string
	// Coverage asks for the team's weekly sections too (on its coverage day): its blind spots, and how its incidents
	// were handled over the last 7 days (when the read model has the state store's figures).
	Coverage bool
}

// DigestCounts are the counts of the last 24 h: nodes by their latest run, tests by their latest result.
type DigestCounts struct {
	ModelsRun     int `json:"models_run"`
	ModelsFailed  int `json:"models_failed"`
	ModelsSkipped int `json:"models_skipped"`
	TestsPass     int `json:"tests_pass"`
	TestsWarn     int `json:"tests_warn"`
	TestsFail     int `json:"tests_fail"`
	TestsError    int `json:"tests_error"`
}

// DigestProblem is a failing test or an erroring model of the digest.
type DigestProblem struct {
	Kind         string `json:"kind"` // model_error, test_fail, test_error
	Node         Node   `json:"node"`
	TestUniqueID string `json:"test_unique_id,omitempty"`
	TestName     string `json:"test_name,omitempty"`
	// Detail is the first line of the error or test message.
	Detail string `json:"detail,omitempty"`
	// Since is when the current failure streak began (within the 7-day history; SinceBefore says it began
	// earlier).
	Since       *time.Time `json:"since"`
	SinceBefore bool       `json:"since_before_window,omitempty"`
	Owners      []string   `json:"owners"`
	New         bool       `json:"new"`
}

// SlowModel is a model whose latest run was slow against its 7-day median.
type SlowModel struct {
	Node          Node    `json:"node"`
	Seconds       float64 `json:"seconds"`
	MedianSeconds float64 `json:"median_seconds"`
	Ratio         float64 `json:"ratio"`
}

// FlakyTest is a flaky test (FlakyFlips): Flips is how often it flipped over its last FlakyRuns invocations in
// FlakyWindow.
type FlakyTest struct {
	TestUniqueID string   `json:"test_unique_id"`
	Name         string   `json:"name"`
	Node         Node     `json:"node"`
	Flips        int      `json:"flips"`
	Owners       []string `json:"owners"`
}

// TrendDay is one day of the trend: failing test results and model errors that day (in the team's zone).
type TrendDay struct {
	Day      string `json:"day"` // 2006-01-02
	Problems int    `json:"problems"`
}

// DigestAction is one of the top actions, with who should take it.
type DigestAction struct {
	Kind    string `json:"kind"` // fix_model, fix_test, check_source
	Node    Node   `json:"node"`
	Subject string `json:"subject"` // the test or source name the action is about
	// SubjectID is the unique_id of what to act on: the model, the source or the test.
	SubjectID string   `json:"subject_id"`
	Owners    []string `json:"owners"`
	// Downstream counts the digest's failing tests this action's failure caused, as `why` diagnoses them: they are
	// folded into it rather than listed as actions of their own.
	Downstream int `json:"downstream"`
	// Cause is the diagnosed cause of a failing test whose root is not among the digest's actions (another
	// team's model, say); nil when none is evidenced.
	Cause *Cause `json:"cause"`
}

// DigestSkip is why some of a team's models were skipped: the root that skipped them, as the diagnosis finds it,
// and whom to ask about it.
type DigestSkip struct {
	// Root is the first cause of their skip (another team's model that errored, a test that failed in a build);
	// nil when the rows do not say why they were skipped.
	Root *Cause `json:"root"`
	// Team is the root's team ("" when it belongs to none); Owners its owners (empty when nobody owns it: ask the
	// platform team).
	Team   string   `json:"team"`
	Owners []string `json:"owners"`
	// Count is how many of the team's models it skipped; Models names them (at most digestListCap).
	Count  int    `json:"count"`
	Models []Node `json:"models"`
}

// DigestAnswer is a team's daily health digest.
type DigestAnswer struct {
	Team        string     `json:"team"`
	Now         time.Time  `json:"now"`
	WindowStart time.Time  `json:"window_start"`
	Previous    *time.Time `json:"previous_digest"`
	// Status is the headline's colour: red (errors or failing tests, stale sources, a stopped pipeline), yellow
	// (warnings, skips, slow or flaky) or green.
	Status string       `json:"status"`
	Counts DigestCounts `json:"counts"`
	// New are the failing tests whose failure began after the previous digest; StillFailing those older, oldest
	// first. ModelErrors are the models whose latest run errored (New marks the new ones).
	New          []DigestProblem   `json:"new"`
	StillFailing []DigestProblem   `json:"still_failing"`
	ModelErrors  []DigestProblem   `json:"model_errors"`
	Sources      []SourceFreshness `json:"sources"` // stale (error) or erroring (runtime error) sources
	Slow         []SlowModel       `json:"slow_models"`
	Flaky        []FlakyTest       `json:"flaky_tests"`
	Trend        []TrendDay        `json:"trend"`
	Sparkline    string            `json:"sparkline"`
	Actions      []DigestAction    `json:"actions"`
	ReportURL    string            `json:"report_url,omitempty"`
	// Skipped says why the models counted as skipped were skipped, grouped by their root, most skipped first.
	Skipped []DigestSkip `json:"skipped"`
	// Pipeline is set when the whole dbt pipeline stopped (omitted otherwise).
	Pipeline *PipelineStop `json:"pipeline,omitempty"`
	// Chart is the team's failing tests and errored models per day over HistoryDays days.
	Chart *Chart `json:"chart"`
	// Health is the team's health score, its change against a week before and its weakest dimension.
	Health DigestHealth `json:"health"`
	// Coverage is the team's blind spots, on its weekly coverage day (omitted otherwise).
	Coverage *Coverage `json:"coverage,omitempty"`
	// Incidents is how the team's incidents were handled over the last IncidentStatsWindow, on its weekly coverage
	// day (omitted otherwise, or without the state store's figures).
	Incidents *IncidentStatsAnswer `json:"incidents,omitempty"`
}

// DigestHealth is a team's health in its digest: the total, against a week before, and the weakest dimension with
// its lowest test (nil when every scored dimension is at 100).
type DigestHealth struct {
	Total   *float64        `json:"total"`
	Before  *float64        `json:"total_before"`
	Change  *float64        `json:"change"`
	Weakest *DimensionScore `json:"weakest"`
}

// digestHealth is the digest's view of a team's health answer.
func digestHealth(h HealthAnswer) DigestHealth {
	d := DigestHealth{Total: h.Total, Before: h.TotalBefore, Change: h.Change}
	for _, ds := range h.Dimensions {
		if ds.Score == nil || *ds.Score >= 100 || ds.Lowest == nil {
			continue
		}
		if d.Weakest == nil || *ds.Score < *d.Weakest.Score {
			w := ds
			d.Weakest = &w
		}
	}
	return d
}

// AllGreen says nothing needs anyone's attention.
func (a DigestAnswer) AllGreen() bool { return a.Status == DigestGreen }

// Digest builds a team's daily digest from the mirror: counts of the last 24 h, what is new since the previous
// digest, what is still failing and since when, model errors, stale sources, slow models, flaky tests, a 7-day
// trend and the top actions. An unknown team is a *NotFoundError suggesting the known teams. It reads the derived
// tables (node_last_run, test_latest) and the partial indexes of problems, so its cost follows a team's size and
// the week's problems rather than the history's size.
func (r *Reader) Digest(ctx context.Context, q DigestQuery) (DigestAnswer, error) {
	return inSnapshot(ctx, r, func(r *Reader) (DigestAnswer, error) {
		c, err := r.catalog(ctx)
		if err != nil {
			return DigestAnswer{}, err
		}
		team := strings.TrimPrefix(strings.TrimSpace(q.Team), "team:")
		ids := c.byTeam[strings.ToLower(team)]
		if len(ids) == 0 {
			return DigestAnswer{}, &NotFoundError{Name: "team:" + team, Suggestions: c.teamNames}
		}
		now := q.Now
		if now.IsZero() {
			now = r.now()
		}
		now = now.UTC()
		loc := q.Location
		if loc == nil {
			loc = time.UTC
		}
		if spelled := c.byID[ids[0]].Team; spelled != "" {
			team = spelled
		}
		a := DigestAnswer{Team: team, Now: now, WindowStart: now.Add(-DigestWindow), ReportURL: q.ReportURL,
			New: []DigestProblem{}, StillFailing: []DigestProblem{}, ModelErrors: []DigestProblem{},
			Sources: []SourceFreshness{}, Slow: []SlowModel{}, Flaky: []FlakyTest{}, Actions: []DigestAction{},
			Skipped: []DigestSkip{}}
		newAfter := a.WindowStart
		if !q.Previous.IsZero() {
			p := q.Previous.UTC()
			a.Previous, newAfter = &p, p
		}
		weekStart := now.Add(-DigestTrendDays * 24 * time.Hour)
		d := digestRun{r: r, c: c, a: &a, ids: ids, team: team, now: now, weekStart: weekStart, newAfter: newAfter,
			loc: loc}
		steps := []func(context.Context) error{d.runs, d.tests, d.problems, d.histories, d.slow, d.sources}
		for _, step := range steps {
			if err := step(ctx); err != nil {
				return DigestAnswer{}, fmt.Errorf("digest of %s: %w", team, err)
			}
		}
		d.finish()
		if err := d.byRoot(ctx); err != nil {
			return DigestAnswer{}, fmt.Errorf("digest of %s: %w", team, err)
		}
		if err := d.skips(ctx); err != nil {
			return DigestAnswer{}, fmt.Errorf("digest of %s: %w", team, err)
		}
		if a.Pipeline, err = r.pipeline(ctx, now); err != nil {
			return DigestAnswer{}, fmt.Errorf("digest of %s: %w", team, err)
		}
		if a.Pipeline != nil {
			a.Status = DigestRed // nothing is being built: all else waits on it
		}
		var h HealthAnswer
		if err := r.scopeHealth(ctx, c, &h, time.Time{}, strings.ToLower(team)); err != nil {
			return DigestAnswer{}, fmt.Errorf("digest of %s: %w", team, err)
		}
		a.Health = digestHealth(h)
		if q.Coverage {
			a.Coverage = &h.Coverage
			if r.incidentStats != nil {
				stats, err := r.incidentFigures(ctx, a.Team, now.Add(-IncidentStatsWindow), now)
				if err != nil {
					return DigestAnswer{}, fmt.Errorf("digest of %s: %w", team, err)
				}
				a.Incidents = &stats
			}
		}
		return a, nil
	})
}

// digestRun holds one digest's intermediate state.
type digestRun struct {
	r                        *Reader
	c                        *catalog
	a                        *DigestAnswer
	ids                      []string
	team                     string
	now, weekStart, newAfter time.Time
	loc                      *time.Location
	teamTests                map[string]bool
	failingTests             []string // tests whose latest result is fail or error
	latest                   map[string]testLatestRow
	slowCands                map[string]float64 // model → latest run's seconds
	problemRows              map[string]int     // test → problem results in the week
	trend                    map[string]int
	errorModels              []string
	skippedModels            []string // the team's models whose latest run, in the window, was skipped
}

type testLatestRow struct {
	status   string
	detected *time.Time
	message  string
}

func (d *digestRun) fmt(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// runs reads each team node's latest run: the run counts, the model errors and the slow candidates.
func (d *digestRun) runs(ctx context.Context) error {
	rows, err := d.r.q.QueryContext(ctx, `SELECT l.unique_id, l.status, l.completed_at, r.execution_time,
			r.message
		FROM json_each(?1) j JOIN node_last_run l ON l.unique_id = j.value
		JOIN dbt_run_results r ON r.model_execution_id = l.model_execution_id
		WHERE l.completed_at >= ?2 OR l.status = 'error'`, jsonList(d.ids), d.fmt(d.a.WindowStart))
	if err != nil {
		return fmt.Errorf("latest runs: %w", err)
	}
	defer rows.Close()
	d.slowCands = map[string]float64{}
	for rows.Next() {
		var id, status string
		var completed, msg *string
		var secs *float64
		if err := rows.Scan(&id, &status, &completed, &secs, &msg); err != nil {
			return fmt.Errorf("latest runs: %w", err)
		}
		ct := timePtr(completed)
		inWindow := ct != nil && !ct.Before(d.a.WindowStart)
		if inWindow {
			d.a.Counts.ModelsRun++
			switch status {
			case "error", "fail":
				d.a.Counts.ModelsFailed++
			case "skipped":
				d.a.Counts.ModelsSkipped++
				d.skippedModels = append(d.skippedModels, id)
			}
		}
		n := d.c.byID[id]
		if status == "error" && n != nil {
			d.errorModels = append(d.errorModels, id)
			d.a.ModelErrors = append(d.a.ModelErrors, DigestProblem{Kind: "model_error", Node: n.Node,
				Detail: firstLine(str(msg)), Since: ct, Owners: n.Owners})
		}
		if inWindow && status == "success" && secs != nil && *secs >= SlowMinSeconds {
			d.slowCands[id] = *secs
		}
	}
	return rows.Err()
}

// tests reads the latest result of each of the team's tests: the test counts and the failing tests.
func (d *digestRun) tests(ctx context.Context) error {
	x, err := d.r.extras(ctx, d.c)
	if err != nil {
		return fmt.Errorf("latest test results: %w", err)
	}
	latest, err := d.r.testLatest(ctx)
	if err != nil {
		return fmt.Errorf("latest test results: %w", err)
	}
	// The mirror's times are fixed-width UTC text, so the window is compared as text.
	windowStart := d.fmt(d.a.WindowStart)
	d.teamTests, d.latest = map[string]bool{}, map[string]testLatestRow{}
	for _, node := range d.ids {
		for _, t := range x.testsOf[node] {
			id := t.UniqueID
			row, ok := latest[id]
			if !ok || d.teamTests[id] {
				continue
			}
			d.teamTests[id] = true
			if row.detected >= windowStart {
				switch row.status {
				case "pass":
					d.a.Counts.TestsPass++
				case "warn":
					d.a.Counts.TestsWarn++
				case "fail":
					d.a.Counts.TestsFail++
				case "error":
					d.a.Counts.TestsError++
				}
			}
			if row.status == "fail" || row.status == "error" {
				d.failingTests = append(d.failingTests, id)
				d.latest[id] = testLatestRow{status: row.status, detected: timePtr(&row.detected), message: row.message}
			}
		}
	}
	slices.Sort(d.failingTests)
	return nil
}

// problems reads the problems of the chart's days (test fail/error/warn results and run errors) from the partial
// indexes: the week's trend, the tests with enough problems in the week to be flaky, and the failing tests and
// errored models of each of the chart's days.
func (d *digestRun) problems(ctx context.Context) error {
	d.trend, d.problemRows = map[string]int{}, map[string]int{}
	byDay := map[ChartSeriesCode]map[string]map[string]bool{SeriesFailingTests: {}, SeriesErroredModels: {}}
	mark := func(code ChartSeriesCode, at time.Time, id string) {
		day := at.In(d.loc).Format(time.DateOnly)
		if byDay[code][day] == nil {
			byDay[code][day] = map[string]bool{}
		}
		byDay[code][day][id] = true
		if !at.Before(d.weekStart) {
			d.trend[day]++
		}
	}
	chartStart := startOfDay(d.now, d.loc).AddDate(0, 0, -(HistoryDays - 1))
	rows, err := d.r.q.QueryContext(ctx, `SELECT test_unique_id, status, detected_at
		FROM elementary_test_results INDEXED BY test_results_problems
		WHERE detected_at >= ?1 AND status IN ('fail', 'error', 'warn')`, d.fmt(chartStart))
	if err != nil {
		return fmt.Errorf("test problems: %w", err)
	}
	for rows.Next() {
		var id, status, detected string
		if err := rows.Scan(&id, &status, &detected); err != nil {
			rows.Close()
			return fmt.Errorf("test problems: %w", err)
		}
		t, ok := parseTime(detected)
		if !d.teamTests[id] || !ok {
			continue
		}
		if !t.Before(d.weekStart) {
			d.problemRows[id]++
		}
		if status != "warn" {
			mark(SeriesFailingTests, t, id)
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return fmt.Errorf("test problems: %w", err)
	}
	rows.Close()
	// created_at is in the writer's session zone (up to 12 h behind UTC): the index narrows the read to the days
	// and a half day before them; each error is then placed by its UTC time.
	rows, err = d.r.q.QueryContext(ctx, `SELECT unique_id, coalesce(execute_completed_at, generated_at, created_at)
		FROM dbt_run_results INDEXED BY dbt_run_results_problems
		WHERE created_at >= ?1 AND status = 'error'`, d.fmt(chartStart.Add(-elementary.MaxZoneBehindUTC)))
	if err != nil {
		return fmt.Errorf("run errors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at string
		if err := rows.Scan(&id, &at); err != nil {
			return fmt.Errorf("run errors: %w", err)
		}
		if n := d.c.byID[id]; n == nil || !strings.EqualFold(n.Team, d.team) {
			continue
		}
		if t, ok := parseTime(at); ok && !t.Before(chartStart) {
			mark(SeriesErroredModels, t, id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("run errors: %w", err)
	}
	counts, distinct := map[ChartSeriesCode]map[string]int{}, map[ChartSeriesCode]map[string]bool{}
	for code, days := range byDay {
		counts[code], distinct[code] = map[string]int{}, map[string]bool{}
		for day, ids := range days {
			counts[code][day] = len(ids)
			for id := range ids {
				distinct[code][id] = true
			}
		}
	}
	d.a.Chart = dayChart(ChartTeamTrend, ChartBar, d.now, d.loc, HistoryDays,
		[]ChartSeriesCode{SeriesFailingTests, SeriesErroredModels}, counts)
	for code, ids := range distinct {
		d.a.Chart.Totals[string(code)] = len(ids) // how many tests and models, not test-days
	}
	return nil
}

// histories reads the week's results of the failing tests (when did their streak begin) and of the flaky
// candidates (two problems or more), and the week's runs of the erroring models.
func (d *digestRun) histories(ctx context.Context) error {
	var ids []string
	for id, n := range d.problemRows {
		if n >= 2 {
			ids = append(ids, id)
		}
	}
	for _, id := range d.failingTests {
		if d.problemRows[id] < 2 {
			ids = append(ids, id)
		}
	}
	hist := map[string][]testOutcome{} // oldest first
	if len(ids) > 0 {
		rows, err := d.r.q.QueryContext(ctx, `SELECT r.test_unique_id, r.detected_at,
				max(r.status IN ('fail', 'error', 'warn'))
			FROM json_each(?1) j JOIN elementary_test_results r INDEXED BY test_results_test
				ON r.test_unique_id = j.value AND r.detected_at >= ?2
			GROUP BY r.test_unique_id, r.detected_at ORDER BY r.test_unique_id, r.detected_at`,
			jsonList(ids), d.fmt(d.weekStart))
		if err != nil {
			return fmt.Errorf("test histories: %w", err)
		}
		for rows.Next() {
			var id, detected string
			var problem bool
			if err := rows.Scan(&id, &detected, &problem); err != nil {
				rows.Close()
				return fmt.Errorf("test histories: %w", err)
			}
			if t, ok := parseTime(detected); ok {
				hist[id] = append(hist[id], testOutcome{t, problem})
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return fmt.Errorf("test histories: %w", err)
		}
		rows.Close()
	}
	defs, err := d.r.testDefs(ctx, d.c, ids)
	if err != nil {
		return err
	}
	testNode := func(id string) (Node, string, []string) {
		def := defs[id]
		var n Node
		if def != nil && def.primary != nil {
			n = def.primary.Node
		} else if def != nil {
			if p := d.c.byID[def.firstNode]; p != nil {
				n = p.Node
			}
		}
		name, owners := id, n.Owners
		if def != nil {
			name = coalesceStr(def.name, nil)
			if name == "" {
				name = id
			}
			if def.primary != nil {
				owners = def.owners
			} else {
				owners = mergeOwners(n.Owners, def.modelOwners, def.metaOwners)
			}
		}
		if owners == nil {
			owners = []string{}
		}
		return n, name, owners
	}
	for _, id := range d.failingTests {
		l := d.latest[id]
		n, name, owners := testNode(id)
		p := DigestProblem{Kind: "test_" + l.status, Node: n, TestUniqueID: id, TestName: name,
			Detail: firstLine(l.message), Owners: owners, Since: l.detected}
		h := hist[id]
		i := len(h)
		for i > 0 && h[i-1].problem {
			i--
		}
		switch {
		case len(h) > 0 && i == 0:
			p.Since, p.SinceBefore = &h[0].at, true
		case i < len(h):
			p.Since = &h[i].at
		}
		p.New = p.Since != nil && p.Since.After(d.newAfter) && !p.SinceBefore
		if p.New {
			d.a.New = append(d.a.New, p)
		} else {
			d.a.StillFailing = append(d.a.StillFailing, p)
		}
	}
	for id, n := range d.problemRows {
		if n < 2 {
			continue
		}
		outcomes := slices.Clone(hist[id])
		slices.Reverse(outcomes) // newest first
		if flips := flakyFlips(outcomes, d.now); flips >= FlakyFlips {
			node, name, owners := testNode(id)
			d.a.Flaky = append(d.a.Flaky, FlakyTest{TestUniqueID: id, Name: name, Node: node, Flips: flips,
				Owners: owners})
		}
	}
	for i := range d.a.ModelErrors {
		p := &d.a.ModelErrors[i]
		runs, err := d.r.runs(ctx, p.Node.UniqueID, 200, nil, &d.weekStart)
		if err != nil {
			return err
		}
		k := 0
		for k < len(runs) && runs[k].Status == "error" {
			k++
		}
		if k > 0 && runs[k-1].CompletedAt != nil {
			p.Since = runs[k-1].CompletedAt
		}
		p.SinceBefore = k == len(runs) && k > 0 && len(runs) < 200
		p.New = p.Since != nil && p.Since.After(d.newAfter) && !p.SinceBefore
	}
	return nil
}

// slow compares the slow candidates' latest run with their week's median.
func (d *digestRun) slow(ctx context.Context) error {
	if len(d.slowCands) == 0 {
		return nil
	}
	ids := make([]string, 0, len(d.slowCands))
	for id := range d.slowCands {
		ids = append(ids, id)
	}
	rows, err := d.r.q.QueryContext(ctx, `SELECT r.unique_id, r.execution_time
		FROM json_each(?1) j JOIN dbt_run_results r ON r.unique_id = j.value
			AND coalesce(r.execute_completed_at, r.generated_at) >= ?2
		WHERE r.status = 'success' AND r.execution_time IS NOT NULL`, jsonList(ids), d.fmt(d.weekStart))
	if err != nil {
		return fmt.Errorf("run times: %w", err)
	}
	defer rows.Close()
	times := map[string][]float64{}
	for rows.Next() {
		var id string
		var secs float64
		if err := rows.Scan(&id, &secs); err != nil {
			return fmt.Errorf("run times: %w", err)
		}
		times[id] = append(times[id], secs)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("run times: %w", err)
	}
	for id, latest := range d.slowCands {
		ts := times[id]
		if len(ts) < 3 {
			continue // too little history for a median
		}
		if med := median(ts); med > 0 && latest >= SlowFactor*med {
			d.a.Slow = append(d.a.Slow, SlowModel{Node: d.c.byID[id].Node, Seconds: latest, MedianSeconds: med,
				Ratio: latest / med})
		}
	}
	return nil
}

// sources lists the team's stale or erroring sources.
func (d *digestRun) sources(ctx context.Context) error {
	var ids []string
	for _, id := range d.ids {
		if n := d.c.byID[id]; n != nil && n.ResourceType == "source" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	fr, err := d.r.freshnessOf(ctx, d.c, ids, false)
	if err != nil {
		return err
	}
	for _, f := range fr {
		if f.Status == "error" || f.Status == "runtime error" {
			d.a.Sources = append(d.a.Sources, f)
		}
	}
	return nil
}
