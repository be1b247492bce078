package queries

import (
	"context"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// historyNow is the clock of historyFixture: Sunday Dec 6 2026, 12:00 UTC (21:00 in Tokyo).
var historyNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// historyFixture is a model of team growth (whose zone is Tokyo) with two tests and six runs:
//   - t1 ran twice in invocation A on Dec 5 16:00 UTC (Dec 6 01:00 in Tokyo), passing and failing (its worst
//     row, fail, counts once), passed in B on Dec 4 10:00 UTC, and failed on Nov 10 (outside the 14 days);
//   - t2 warned in B and failed in C on Dec 6 03:00 UTC (Dec 6 12:00 in Tokyo);
//   - m ran on Dec 1 to 6 at 06:00 UTC: success 10 s, success 12 s, error 2 s, success 11 s, skipped (no time),
//     success 30 s.
func historyFixture() Fixture {
	m, t1, t2 := "model.shop.m", "test.shop.t1", "test.shop.t2"
	test := func(id string) Row {
		return Row{"unique_id": id, "name": id[len("test.shop."):], "short_name": "not_null", "severity": "ERROR",
			"package_name": "shop", "depends_on_nodes": `["` + m + `"]`, "parent_model_unique_id": m}
	}
	f := Fixture{
		"dbt_models": {{"unique_id": m, "name": "m", "alias": "m", "package_name": "shop", "owner": `["@ana"]`,
			"meta": "{}", "tags": "[]", "depends_on_nodes": "[]", "group_name": "growth",
			"generated_at": "2026-11-01 00:00:00"}},
		"dbt_tests": {test(t1), test(t2)},
	}
	a, b, c := time.Date(2026, 12, 5, 16, 0, 0, 0, time.UTC), time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	f["elementary_test_results"] = []Row{
		result("a1", t1, m, "inv-a", "pass", a, nil),
		result("a2", t1, m, "inv-a", "fail", a.Add(time.Second), nil),
		result("b1", t1, m, "inv-b", "pass", b, nil),
		result("b2", t2, m, "inv-b", "warn", b, nil),
		result("c1", t2, m, "inv-c", "fail", c, nil),
		result("old", t1, m, "inv-old", "fail", time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC), nil),
	}
	times := []any{10.0, 12.0, 2.0, 11.0, nil, 30.0}
	statuses := []string{"success", "success", "error", "success", "skipped", "success"}
	for i, secs := range times {
		at := time.Date(2026, 12, 1+i, 6, 0, 0, 0, time.UTC)
		f["dbt_run_results"] = append(f["dbt_run_results"], run("run-"+statuses[i]+at.Format("02"), m, statuses[i],
			at.Format(time.RFC3339), at.Format("2006-01-02 15:04:05"), Row{"execution_time": secs}))
	}
	return f
}

// TestCharts: a test's results per day in its team's zone (one per invocation, its worst row), a node's tests
// together, a model's run times with their median, and the team's failing tests and errored models per day —
// worked out by hand (historyFixture) on the mirror loaded directly and synced from SQLite and PostgreSQL.
func TestCharts(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	opts := ReaderOptions{Now: func() time.Time { return historyNow },
		Teams: Teams{Rules: []TeamRule{{Name: "growth", Groups: []string{"growth"}, Location: tokyo}}}}
	forEachFixture(t, historyFixture(), opts, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		// values gives a series' values by day ("12-06": v), the others zero.
		check := func(t *testing.T, c *Chart, code ChartSeriesCode, want map[string]float64) {
			t.Helper()
			s, ok := c.Of(code)
			if !ok {
				t.Fatalf("no %s series", code)
			}
			for i, day := range c.Categories {
				got := 0.0
				if v := s.Values[i]; v != nil {
					got = *v
				}
				if got != want[day.Format("01-02")] {
					t.Errorf("%s on %s = %v, want %v", code, day.Format("01-02"), got, want[day.Format("01-02")])
				}
			}
		}
		dayChartOK := func(t *testing.T, c *Chart) {
			t.Helper()
			if c == nil || len(c.Categories) != HistoryDays {
				t.Fatalf("chart %+v, want %d days", c, HistoryDays)
			}
			first, last := c.Categories[0], c.Categories[HistoryDays-1]
			if last.Format("2006-01-02 15:04 MST") != "2026-12-06 00:00 JST" ||
				first.Format("2006-01-02") != "2026-11-23" {
				t.Errorf("days %s … %s, want Nov 23 … Dec 6 in Tokyo", first, last)
			}
		}
		st, err := r.Status(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		dayChartOK(t, st.Chart)
		check(t, st.Chart, SeriesFail, map[string]float64{"12-06": 1})
		check(t, st.Chart, SeriesPass, map[string]float64{"12-04": 1})
		check(t, st.Chart, SeriesWarn, nil)

		tests, err := r.Tests(ctx, "m")
		if err != nil {
			t.Fatal(err)
		}
		dayChartOK(t, tests.Chart)
		check(t, tests.Chart, SeriesFail, map[string]float64{"12-06": 2})
		check(t, tests.Chart, SeriesPass, map[string]float64{"12-04": 1})
		check(t, tests.Chart, SeriesWarn, map[string]float64{"12-04": 1})
		if tot := tests.Chart.Totals; tot["pass"] != 1 || tot["warn"] != 1 || tot["fail"] != 2 {
			t.Errorf("totals %v", tot)
		}

		runs, err := r.LastRuns(ctx, "m", 5)
		if err != nil {
			t.Fatal(err)
		}
		c := runs.Chart
		if c == nil || c.Subject != ChartRunTimes || len(c.Categories) != 5 {
			t.Fatalf("run times %+v, want the 5 timed runs", c)
		}
		rt, _ := c.Of(SeriesRunTime)
		med, _ := c.Of(SeriesMedian)
		for i, want := range []float64{10, 12, 2, 11, 30} {
			if *rt.Values[i] != want || *med.Values[i] != 11 {
				t.Errorf("run %d: %v s, median %v; want %v s, median 11", i, *rt.Values[i], *med.Values[i], want)
			}
		}
		if c.Categories[0].Day() != 1 || c.Categories[4].Day() != 6 {
			t.Errorf("runs from %s to %s, want Dec 1 to Dec 6, oldest first", c.Categories[0], c.Categories[4])
		}

		d, err := r.Digest(ctx, DigestQuery{Team: "growth", Location: tokyo})
		if err != nil {
			t.Fatal(err)
		}
		dayChartOK(t, d.Chart)
		check(t, d.Chart, SeriesFailingTests, map[string]float64{"12-06": 2})
		check(t, d.Chart, SeriesErroredModels, map[string]float64{"12-03": 1})
		if tot := d.Chart.Totals; tot["failing_tests"] != 2 || tot["errored_models"] != 1 {
			t.Errorf("trend totals %v, want 2 tests and 1 model", tot)
		}
	})
}
