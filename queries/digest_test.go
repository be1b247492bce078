package queries

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

var digestTeams = Teams{Rules: []TeamRule{
	{Name: "finance", Groups: []string{"finance"}, Paths: []string{"marts/finance/*"}},
	{Name: "core", Owners: []string{"@alice", "@dave"}},
	{Name: "seeds", Owners: []string{"@seedy"}},
	{Name: "perf", Owners: []string{"@perf"}},
}}

// digestFixture adds to the shared fixture a slow model and a flaky test owned by @perf.
func digestFixture() Fixture {
	f := fixture()
	const big, flaky = "model.shop.big", "test.shop.accepted_values_big_kind.ggg"
	f["dbt_models"] = append(f["dbt_models"], Row{"unique_id": big, "name": "big", "package_name": "shop",
		"owner": `["@perf"]`, "schema_name": "prod", "path": "marts/big.sql"})
	f["dbt_tests"] = append(f["dbt_tests"], Row{"unique_id": flaky, "name": "accepted_values_big_kind",
		"depends_on_nodes": `["` + big + `"]`, "parent_model_unique_id": big, "package_name": "shop"})
	statuses := []string{"pass", "fail", "pass", "fail", "pass", "warn"}
	for i := range 6 {
		d := 5 + i
		inv := "big-inv-" + string(rune('a'+i))
		secs := 40.0
		if d == 10 {
			secs = 130
		}
		f["dbt_run_results"] = append(f["dbt_run_results"], run(inv, big, "success",
			day(d, 7, 0).Format(time.RFC3339), day(d, 7, 5).Format("2006-01-02 15:04:05"),
			Row{"execution_time": secs}))
		f["elementary_test_results"] = append(f["elementary_test_results"],
			result("big-r-"+inv, flaky, big, inv, statuses[i], day(d, 7, 1), nil))
	}
	return f
}

func TestDigest(t *testing.T) {
	db := openMirror(t)
	loadMirror(t, db, digestFixture())
	r := NewReader(db, ReaderOptions{Teams: digestTeams, Now: func() time.Time { return fixtureNow }})
	ctx := context.Background()
	tests := []struct {
		name  string
		q     DigestQuery
		check func(t *testing.T, a DigestAnswer)
	}{
		{"finance since yesterday", DigestQuery{Team: "Finance", ReportURL: "https://report"}, func(t *testing.T, a DigestAnswer) {
			want := DigestCounts{ModelsRun: 3, ModelsFailed: 1, ModelsSkipped: 1, TestsWarn: 1, TestsFail: 1}
			if a.Counts != want {
				t.Errorf("counts = %+v, want %+v", a.Counts, want)
			}
			if a.Status != DigestRed || a.Team != "finance" || a.ReportURL != "https://report" {
				t.Errorf("status %s team %s", a.Status, a.Team)
			}
			if len(a.New) != 0 || len(a.StillFailing) != 1 {
				t.Fatalf("new %+v still %+v", a.New, a.StillFailing)
			}
			f := a.StillFailing[0]
			if f.TestName != "not_null_orders_id" || f.Node.Name != "orders" || !f.Since.Equal(day(9, 6, 20)) ||
				f.Kind != "test_fail" || len(f.Owners) == 0 || f.Owners[0] != "carol" {
				t.Errorf("still failing = %+v", f)
			}
			if len(a.ModelErrors) != 1 || a.ModelErrors[0].Node.Name != "revenue" ||
				a.ModelErrors[0].Detail != "Database Error in model revenue" ||
				!a.ModelErrors[0].Since.Equal(day(9, 6, 10)) || a.ModelErrors[0].New {
				t.Errorf("model errors = %+v", a.ModelErrors)
			}
			if a.Sparkline != "▁▁▁▁▁▇▇" || a.Trend[6].Day != "2024-05-10" || a.Trend[6].Problems != 2 {
				t.Errorf("trend = %+v %s", a.Trend, a.Sparkline)
			}
			// orders' test traces to stripe.payments, core's stale source: named as its cause.
			if len(a.Actions) != 2 || a.Actions[0].Kind != "fix_model" || a.Actions[1].Kind != "fix_test" ||
				a.Actions[0].Downstream != 0 || a.Actions[1].Cause == nil ||
				string(a.Actions[1].Cause.Kind)+" "+a.Actions[1].Cause.UniqueID != "stale_source source.shop.stripe.payments" {
				t.Errorf("actions = %+v", a.Actions)
			}
		}},
		{"finance since a previous digest", DigestQuery{Team: "finance", Previous: day(9, 0, 0)}, func(t *testing.T, a DigestAnswer) {
			if len(a.New) != 1 || len(a.StillFailing) != 0 || !a.ModelErrors[0].New {
				t.Errorf("new %+v still %+v errors %+v", a.New, a.StillFailing, a.ModelErrors)
			}
			if a.Previous == nil || !a.Previous.Equal(day(9, 0, 0)) {
				t.Errorf("previous = %v", a.Previous)
			}
		}},
		{"core: stale and erroring sources", DigestQuery{Team: "core"}, func(t *testing.T, a DigestAnswer) {
			if len(a.Sources) != 1 || a.Sources[0].Name != "stripe.payments" || a.Sources[0].Status != "error" {
				t.Errorf("sources = %+v", a.Sources)
			}
			if a.Status != DigestRed || a.Counts.TestsWarn != 1 || len(a.Actions) != 1 ||
				a.Actions[0].Kind != "check_source" || a.Actions[0].Owners[0] != "@dave" {
				t.Errorf("status %s counts %+v actions %+v", a.Status, a.Counts, a.Actions)
			}
		}},
		{"perf: slow and flaky", DigestQuery{Team: "perf", Location: time.FixedZone("JST", 9*3600)}, func(t *testing.T, a DigestAnswer) {
			if len(a.Slow) != 1 || a.Slow[0].Node.Name != "big" || a.Slow[0].Seconds != 130 ||
				a.Slow[0].MedianSeconds != 40 {
				t.Errorf("slow = %+v", a.Slow)
			}
			if len(a.Flaky) != 1 || a.Flaky[0].Flips != 5 || a.Flaky[0].Owners[0] != "@perf" {
				t.Errorf("flaky = %+v", a.Flaky)
			}
			if a.Status != DigestYellow || a.Counts.TestsWarn != 1 || a.Counts.ModelsRun != 1 {
				t.Errorf("status %s counts %+v", a.Status, a.Counts)
			}
			if a.Trend[6].Day != "2024-05-10" || a.Trend[4].Problems != 1 { // fails on 05-06 and 05-08
				t.Errorf("trend = %+v", a.Trend)
			}
		}},
		{"seeds: all green", DigestQuery{Team: "seeds"}, func(t *testing.T, a DigestAnswer) {
			if !a.AllGreen() || a.Counts != (DigestCounts{}) || len(a.Actions) != 0 || a.Sparkline != "▁▁▁▁▁▁▁" {
				t.Errorf("digest = %+v", a)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := r.Digest(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, a)
		})
	}
	_, err := r.Digest(ctx, DigestQuery{Team: "nobody"})
	var nf *NotFoundError
	if !errors.As(err, &nf) || len(nf.Suggestions) == 0 {
		t.Errorf("unknown team: %v", err)
	}
}

// TestDigestActionsByRoot: the top actions are the roots to fix, as the diagnosis traces the failures.
func TestDigestActionsByRoot(t *testing.T) {
	f := digestFixture()
	// revenue_daily reads revenue, which errors: its test fails in a later test run, traced to revenue's error.
	const daily, dailyTest = "model.shop.revenue_daily", "test.shop.not_null_revenue_daily_amount.hhh"
	f["dbt_models"] = append(f["dbt_models"], Row{"unique_id": daily, "name": "revenue_daily", "package_name": "shop",
		"schema_name": "prod", "path": "marts/finance/revenue_daily.sql", "depends_on_nodes": `["model.shop.revenue"]`})
	f["dbt_tests"] = append(f["dbt_tests"], Row{"unique_id": dailyTest, "name": "not_null_revenue_daily_amount",
		"depends_on_nodes": `["` + daily + `"]`, "parent_model_unique_id": daily, "package_name": "shop"})
	f["dbt_run_results"] = append(f["dbt_run_results"], run("daily-inv", daily, "success",
		day(8, 7, 0).Format(time.RFC3339), day(8, 7, 5).Format("2006-01-02 15:04:05"), nil))
	f["elementary_test_results"] = append(f["elementary_test_results"],
		result("daily-r", dailyTest, daily, "daily-test-inv", "fail", day(10, 7, 0), nil))
	db := openMirror(t)
	loadMirror(t, db, f)
	r := NewReader(db, ReaderOptions{Teams: digestTeams, Now: func() time.Time { return fixtureNow }})
	a, err := r.Digest(context.Background(), DigestQuery{Team: "finance"})
	if err != nil {
		t.Fatal(err)
	}
	// revenue_daily's failing test is traced to revenue's error: folded into fixing revenue, not an action of its
	// own; orders' failing test traces to core's stale source, outside finance's digest: it stays, naming it.
	var got []string
	for _, x := range a.Actions {
		got = append(got, fmt.Sprintf("%s %s downstream=%d cause=%v", x.Kind, x.SubjectID, x.Downstream, x.Cause != nil))
	}
	eq(t, "actions", got, []string{"fix_model model.shop.revenue downstream=1 cause=false",
		"fix_test test.shop.not_null_orders_id.aaa downstream=0 cause=true"})
	if len(a.StillFailing) != 2 {
		t.Errorf("the folded test is still listed among the failures: %+v", a.StillFailing)
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		in   []int
		want string
	}{
		{[]int{0, 0, 0}, "▁▁▁"},
		{[]int{0, 1, 2, 4, 6}, "▁▂▃▅▇"},
		{[]int{5, 5}, "▇▇"},
		{[]int{1, 100}, "▂▇"},
	}
	for _, tt := range tests {
		var days []TrendDay
		for _, n := range tt.in {
			days = append(days, TrendDay{Problems: n})
		}
		if got := Sparkline(days); got != tt.want {
			t.Errorf("Sparkline(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// demoDigests opens the demo mirror of the digest benchmarks (TODAI_BENCH_DEMO_MIRROR; skipped when unset): a
// reader whose clock is the mirror's newest run, and the demo's teams.
func demoDigests(b *testing.B) (*localdb.DB, *Reader, time.Time, []string) {
	b.Helper()
	ctx := context.Background()
	db := localdbtest.OpenDemoMirror(b)
	var newest string
	if err := db.Read.QueryRowContext(ctx, `SELECT max(created_at) FROM dbt_run_results`).Scan(&newest); err != nil {
		b.Fatal(err)
	}
	now, err := localdb.ParseTime(newest)
	if err != nil {
		b.Fatal(err)
	}
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return now }})
	teams, err := r.Teams(ctx)
	if err != nil || len(teams) == 0 {
		b.Fatalf("teams %v: %v", teams, err)
	}
	return db, r, now, teams
}

// BenchmarkDigestDemo measures 50 team digests on a mirror synced from the 10,000-model demo warehouse: the teams
// of the demo, cycled to 50 digests per iteration.
func BenchmarkDigestDemo(b *testing.B) {
	ctx := context.Background()
	_, r, now, teams := demoDigests(b)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for i := range 50 {
			if _, err := r.Digest(ctx, DigestQuery{Team: teams[i%len(teams)], Now: now,
				Previous: now.Add(-24 * time.Hour), Location: tokyo}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkAllDigestsDemo is the morning's digests on the demo mirror: every team's digest once, right after a
// sync that brought new rows (the mirror's data generation moved on; the catalog of the definitions stays).
func BenchmarkAllDigestsDemo(b *testing.B) {
	ctx := context.Background()
	db, r, now, teams := demoDigests(b)
	// A running Todai has read the definitions (the catalog, the tests' index) before the morning's sync.
	if _, err := r.Digest(ctx, DigestQuery{Team: teams[0], Now: now}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		localdbtest.NewDataGeneration(b, db)
		b.StartTimer()
		for _, team := range teams {
			if _, err := r.Digest(ctx, DigestQuery{Team: team, Now: now, Previous: now.Add(-24 * time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(teams)), "teams")
}

// TestDigestSlowModelsOrder: slow models are listed slowest first against their median, and models as slow as each
// other by unique_id, so that the capped list is the same every time.
func TestDigestSlowModelsOrder(t *testing.T) {
	slow := func(id string, ratio float64) SlowModel { return SlowModel{Node: Node{UniqueID: id}, Ratio: ratio} }
	a := DigestAnswer{Slow: []SlowModel{slow("model.x.c", 2), slow("model.x.a", 2), slow("model.x.d", 3), slow("model.x.b", 2)}}
	d := digestRun{a: &a, c: &catalog{}, now: time.Now(), loc: time.UTC, trend: map[string]int{}}
	d.finish()
	var got []string
	for _, s := range a.Slow {
		got = append(got, s.Node.UniqueID)
	}
	if want := []string{"model.x.d", "model.x.a", "model.x.b", "model.x.c"}; !slices.Equal(got, want) {
		t.Errorf("slow models %v, want %v", got, want)
	}
}
