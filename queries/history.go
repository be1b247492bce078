package queries

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// HistoryDays is how many days a test's history and a team's trend chart show.
const HistoryDays = 14

// testHistory charts the results of the tests ids per day over the last HistoryDays days in loc: how many passed,
// warned and failed (fail or error) — one result per test and invocation, its worst row, as a test's latest result
// is chosen. Nil when none of them has a result in that time.
func (r *Reader) testHistory(ctx context.Context, ids []string, loc *time.Location) (*Chart, error) {
	now := r.now()
	since := startOfDay(now, loc).AddDate(0, 0, -(HistoryDays - 1))
	type result struct {
		status string
		at     *time.Time
	}
	results, err := localdb.Collect(ctx, r.q, "test history", `WITH ranked AS (
			SELECT e.status, e.detected_at, row_number() OVER (PARTITION BY e.test_unique_id,
				coalesce(e.invocation_id, e.id) ORDER BY `+strings.ReplaceAll(statusRank, "status", "e.status")+`,
				e.detected_at DESC) AS rn
			FROM json_each(?1) j CROSS JOIN elementary_test_results e ON e.test_unique_id = j.value
			WHERE e.detected_at >= ?2)
		SELECT status, detected_at FROM ranked WHERE rn = 1`, []any{jsonList(ids), localdb.FormatTime(since)},
		func(rows *sql.Rows) (result, error) {
			var x result
			var at *string
			err := rows.Scan(&x.status, &at)
			x.at = timePtr(at)
			return x, err
		})
	if err != nil || len(results) == 0 {
		return nil, err
	}
	counts := map[ChartSeriesCode]map[string]int{SeriesPass: {}, SeriesWarn: {}, SeriesFail: {}}
	for _, x := range results {
		if x.at == nil {
			continue
		}
		day := x.at.In(loc).Format(time.DateOnly)
		switch x.status {
		case "pass":
			counts[SeriesPass][day]++
		case "warn":
			counts[SeriesWarn][day]++
		case "fail", "error":
			counts[SeriesFail][day]++
		}
	}
	return dayChart(ChartTestHistory, ChartStackedBar, now, loc, HistoryDays,
		[]ChartSeriesCode{SeriesPass, SeriesWarn, SeriesFail}, counts), nil
}

// runTimes charts a model's run time over its last MaxChartPoints runs that took a measured time, oldest first,
// with their median; nil with fewer than two such runs.
func (r *Reader) runTimes(ctx context.Context, id string) (*Chart, error) {
	runs, err := r.runs(ctx, id, MaxChartPoints, []string{"success", "error"}, nil)
	if err != nil {
		return nil, err
	}
	c := &Chart{Subject: ChartRunTimes, Kind: ChartLine, Step: StepRun, Unit: UnitSeconds}
	var times []float64
	for i := len(runs) - 1; i >= 0; i-- {
		run := runs[i]
		if run.ExecutionTime == nil || run.CompletedAt == nil {
			continue
		}
		c.Categories = append(c.Categories, *run.CompletedAt)
		times = append(times, *run.ExecutionTime)
	}
	if len(times) < 2 {
		return nil, nil
	}
	med := median(times)
	runTime, medLine := ChartSeries{Code: SeriesRunTime}, ChartSeries{Code: SeriesMedian}
	for _, t := range times {
		runTime.Values = append(runTime.Values, &t)
		medLine.Values = append(medLine.Values, &med)
	}
	c.Series = []ChartSeries{runTime, medLine}
	return c, nil
}

// startOfDay is the start of t's day in loc (UTC when nil).
func startOfDay(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// chartOf is the picture of a node an answer shows: an anomaly test's buckets, another test's results per day; a model's (or snapshot's or seed's)
// run times when withRuns; nil for anything else.
func (r *Reader) chartOf(ctx context.Context, n *nodeInfo, withRuns bool) (*Chart, error) {
	switch {
	case n.test != nil:
		return r.testChart(ctx, n, true)
	case withRuns && n.ResourceType != "source" && n.ResourceType != "exposure":
		return r.runTimes(ctx, n.UniqueID)
	}
	return nil, nil
}
