package handlerstest

import (
	"time"

	"github.com/todai-dev/todai/queries"
)

// DigestAnswers are the digests the renderers' golden files show: "red" (every kind of problem, owners to mention)
// and "green" (nothing to report).
func DigestAnswers() map[string]queries.DigestAnswer {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	ago := func(h int) *time.Time { t := now.Add(-time.Duration(h) * time.Hour); return &t }
	orders := queries.Node{UniqueID: "model.shop.orders", Name: "orders", ResourceType: "model",
		Owners: []string{"@carol"}, Team: "finance"}
	revenue := queries.Node{UniqueID: "model.shop.revenue", Name: "revenue", ResourceType: "model",
		Owners: []string{"@dave"}, Team: "finance"}
	trend := []queries.TrendDay{{Day: "2026-11-18"}, {Day: "2026-11-19", Problems: 1}, {Day: "2026-11-20"},
		{Day: "2026-11-21", Problems: 2}, {Day: "2026-11-22", Problems: 4}, {Day: "2026-11-23", Problems: 3},
		{Day: "2026-11-24", Problems: 3}}
	red := queries.DigestAnswer{Team: "finance", Now: now, WindowStart: now.Add(-24 * time.Hour), Previous: ago(24),
		Status: queries.DigestRed,
		Counts: queries.DigestCounts{ModelsRun: 120, ModelsFailed: 1, ModelsSkipped: 3, TestsPass: 300, TestsWarn: 1,
			TestsFail: 2},
		// Skipped by another team's model, and by a model nobody owns.
		Skipped: []queries.DigestSkip{
			{Root: &queries.Cause{Kind: queries.CauseUpstreamError, UniqueID: "model.shop.stg_payments", Name: "stg_payments",
				Confidence: queries.ConfidenceHigh}, Team: "payments", Owners: []string{"@payments-team"}, Count: 2,
				Models: []queries.Node{{UniqueID: "model.shop.int_payments", Name: "int_payments"},
					{UniqueID: "model.shop.fct_payments", Name: "fct_payments"}}},
			{Root: &queries.Cause{Kind: queries.CauseUpstreamTestFailed, UniqueID: "model.shop.raw_events", Name: "raw_events",
				Confidence: queries.ConfidenceMedium}, Owners: []string{}, Count: 1,
				Models: []queries.Node{{UniqueID: "model.shop.events_daily", Name: "events_daily"}}}},
		New: []queries.DigestProblem{{Kind: "test_fail", Node: orders, TestUniqueID: "test.shop.not_null_orders_id",
			TestName: "not_null_orders_id", Detail: "Got 7 results, configured to fail if != 0", Since: ago(3),
			Owners: []string{"@carol"}, New: true}},
		StillFailing: []queries.DigestProblem{{Kind: "test_error", Node: revenue, TestName: "unique_revenue_day",
			Since: ago(50), Owners: []string{"@dave", "finance-lead@acme.com"}}},
		ModelErrors: []queries.DigestProblem{{Kind: "model_error", Node: revenue, Detail: "Database Error in model revenue",
			Since: ago(26), Owners: []string{"@dave"}}},
		Sources: []queries.SourceFreshness{{UniqueID: "source.shop.stripe.payments", Name: "stripe.payments",
			Status: "error", MaxLoadedAt: ago(30)}},
		Slow: []queries.SlowModel{{Node: orders, Seconds: 130, MedianSeconds: 40, Ratio: 3.25}},
		Flaky: []queries.FlakyTest{{TestUniqueID: "test.shop.accepted_values", Name: "accepted_values_orders_kind",
			Node: orders, Flips: 4, Owners: []string{"@carol"}}},
		Trend: trend, Sparkline: queries.Sparkline(trend),
		Chart: DayChart(queries.ChartTeamTrend, queries.ChartBar, now, map[queries.ChartSeriesCode][]float64{
			queries.SeriesFailingTests:  {0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 3, 2, 2},
			queries.SeriesErroredModels: {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1},
		}, queries.SeriesFailingTests, queries.SeriesErroredModels),
		Actions: []queries.DigestAction{{Kind: "fix_model", Node: revenue, Subject: "revenue", SubjectID: revenue.UniqueID,
			Owners: []string{"@dave"}, Downstream: 2},
			{Kind: "check_source", Subject: "stripe.payments", SubjectID: "source.shop.stripe.payments", Owners: []string{}},
			{Kind: "fix_test", Node: orders, Subject: "not_null_orders_id", SubjectID: "test.shop.not_null_orders_id",
				Owners: []string{"@carol"}, Cause: &queries.Cause{Kind: "upstream_error", UniqueID: "model.core.customers",
					Name: "customers", Confidence: "medium"}}},
		ReportURL: "https://elementary.acme.com/report"}
	greenTrend := make([]queries.TrendDay, 7)
	green := queries.DigestAnswer{Team: "growth", Now: now, WindowStart: now.Add(-24 * time.Hour),
		Status: queries.DigestGreen, Counts: queries.DigestCounts{ModelsRun: 40, TestsPass: 90},
		New: []queries.DigestProblem{}, StillFailing: []queries.DigestProblem{}, ModelErrors: []queries.DigestProblem{},
		Sources: []queries.SourceFreshness{}, Slow: []queries.SlowModel{}, Flaky: []queries.FlakyTest{},
		Trend: greenTrend, Sparkline: queries.Sparkline(greenTrend), Actions: []queries.DigestAction{},
		Chart: DayChart(queries.ChartTeamTrend, queries.ChartBar, now, map[queries.ChartSeriesCode][]float64{
			queries.SeriesFailingTests:  make([]float64, 14),
			queries.SeriesErroredModels: make([]float64, 14),
		}, queries.SeriesFailingTests, queries.SeriesErroredModels),
		Skipped: []queries.DigestSkip{}}
	red.Health = queries.DigestHealth{Total: f64(71.4), Before: f64(78.2), Change: f64(-6.8),
		Weakest: &queries.DimensionScore{Dimension: queries.DimAccuracy, Score: f64(44), Tests: 9, Weight: 1,
			Lowest: &queries.ScoredTest{UniqueID: "test.shop.assert_margin_positive", Name: "assert_margin_positive",
				Status: "fail", Owners: []string{"@carol"}}}}
	red.Coverage = &queries.Coverage{Counts: queries.CoverageCounts{Models: 48, ModelsNoTests: 5, ModelsNoOwner: 3,
		ModelsNoDesc: 11, ModelsNotBuilt: 1, Sources: 6, SourcesNoFreshness: 2, Exposures: 4, ExposuresNoOwner: 1},
		NoOwner:     []queries.GapNode{{Node: queries.Node{UniqueID: "model.shop.int_margins", Name: "int_margins"}, Downstream: 9}},
		NoFreshness: []queries.GapNode{{Node: queries.Node{UniqueID: "source.shop.erp.ledger", Name: "erp.ledger"}, Downstream: 17}}}
	green.Health = queries.DigestHealth{Total: f64(100), Before: f64(100), Change: f64(0)}
	// The whole pipeline stopped: nothing failed, because nothing ran.
	stopped := green
	stopped.Team, stopped.Status, stopped.Counts = "supply", queries.DigestRed, queries.DigestCounts{}
	stopped.Pipeline = &queries.PipelineStop{Since: now.Add(-30 * time.Hour), JobName: "nightly", SilentSeconds: 30 * 3600}
	return map[string]queries.DigestAnswer{"red": red, "green": green, "stopped": stopped}
}

// DigestCase is one digest golden: Base names its files (red.en, red_late.ja…), Lang is its language, Location the
// team's zone (Asia/Tokyo), Late says it was posted late for its slot at Slot.
type DigestCase struct {
	Base, Name string
	Answer     queries.DigestAnswer
	Lang       string
	Location   *time.Location
	Late       bool
	Slot       time.Time
}

// DigestCases are the digest goldens: each digest in English and Japanese, the red one also late.
func DigestCases() []DigestCase {
	tokyo := time.FixedZone("JST", 9*3600) // Asia/Tokyo, which has kept +09:00 since 1951
	var out []DigestCase
	answers := DigestAnswers()
	for _, name := range []string{"green", "red", "stopped"} {
		for _, lang := range []string{"en", "ja"} {
			for _, late := range []bool{false, true} {
				if late && name != "red" {
					continue
				}
				base := name + "." + lang
				if late {
					base = name + "_late." + lang
				}
				a := answers[name]
				out = append(out, DigestCase{Base: base, Name: name, Answer: a, Lang: lang, Location: tokyo, Late: late,
					Slot: a.Now.Add(-3 * time.Hour)})
			}
		}
	}
	return out
}

// DigestMentions are the mentions the bot would resolve for the digests' owners: one user, and one value that is
// not a mention (which must be shown as plain text).
func DigestMentions() map[string]string {
	return map[string]string{"@dave": "<@U0DAVE>", "@carol": "not a mention"}
}

// PlatformDigest is the platform digest the goldens show: three teams, the weakest first, one without scored tests,
// and the project's blind spots with the models nobody owns.
func PlatformDigest() queries.PlatformDigest {
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	d := DigestAnswers()["red"]
	return queries.PlatformDigest{Now: now,
		Project: queries.DigestHealth{Total: f64(81.5), Before: f64(84), Change: f64(-2.5), Weakest: d.Health.Weakest},
		Teams: []queries.TeamHealth{
			{Team: "finance", DigestHealth: d.Health, Coverage: d.Coverage.Counts},
			{Team: "growth", DigestHealth: queries.DigestHealth{Total: f64(96), Before: f64(95), Change: f64(1)},
				Coverage: queries.CoverageCounts{Models: 30, ModelsNoTests: 2}},
			{Team: "legacy", Coverage: queries.CoverageCounts{Models: 12, ModelsNoOwner: 12, ModelsNoTests: 12}},
		},
		Coverage: queries.Coverage{Counts: queries.CoverageCounts{Models: 90, ModelsNoTests: 19, ModelsNoOwner: 15,
			ModelsNoDesc: 40, ModelsNotBuilt: 3, Sources: 14, SourcesNoFreshness: 4, Exposures: 9, ExposuresNoOwner: 2},
			NoOwner: []queries.GapNode{{Node: queries.Node{UniqueID: "model.shop.legacy_orders", Name: "legacy_orders"}, Downstream: 21},
				{Node: queries.Node{UniqueID: "model.shop.int_margins", Name: "int_margins"}, Downstream: 9}},
			NoFreshness: []queries.GapNode{{Node: queries.Node{UniqueID: "source.shop.erp.ledger", Name: "erp.ledger"}, Downstream: 17}}},
	}
}
