package handlers

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
)

func digestAnswers() map[string]queries.DigestAnswer {
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
		Counts: queries.DigestCounts{ModelsRun: 120, ModelsFailed: 1, ModelsSkipped: 2, TestsPass: 300, TestsWarn: 1,
			TestsFail: 2},
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
		Actions: []queries.DigestAction{{Kind: "fix_model", Node: revenue, Subject: "revenue", Owners: []string{"@dave"}},
			{Kind: "check_source", Subject: "stripe.payments", Owners: []string{}},
			{Kind: "fix_test", Node: revenue, Subject: "unique_revenue_day", Owners: []string{"@dave"}}},
		ReportURL: "https://elementary.acme.com/report"}
	greenTrend := make([]queries.TrendDay, 7)
	green := queries.DigestAnswer{Team: "growth", Now: now, WindowStart: now.Add(-24 * time.Hour),
		Status: queries.DigestGreen, Counts: queries.DigestCounts{ModelsRun: 40, TestsPass: 90},
		New: []queries.DigestProblem{}, StillFailing: []queries.DigestProblem{}, ModelErrors: []queries.DigestProblem{},
		Sources: []queries.SourceFreshness{}, Slow: []queries.SlowModel{}, Flaky: []queries.FlakyTest{},
		Trend: greenTrend, Sparkline: queries.Sparkline(greenTrend), Actions: []queries.DigestAction{}}
	return map[string]queries.DigestAnswer{"red": red, "green": green}
}

func checkDigestGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", "digest", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestDigestGolden(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range digestAnswers() {
		for _, lang := range []Lang{"en", "ja"} {
			for _, late := range []bool{false, true} {
				if late && name == "green" {
					continue
				}
				base := name + "." + string(lang)
				if late {
					base = name + "_late." + string(lang)
				}
				o := DigestOptions{Lang: lang, Location: tokyo, Late: late, Slot: a.Now.Add(-3 * time.Hour),
					Mentions: map[string]string{"@dave": "<@U0DAVE>", "@carol": "not a mention"}}
				t.Run(base, func(t *testing.T) {
					var txt, js bytes.Buffer
					if err := RenderDigestText(&txt, a, o); err != nil {
						t.Fatal(err)
					}
					checkDigestGolden(t, base+".txt", txt.Bytes())
					if err := RenderDigestJSON(&js, a, o); err != nil {
						t.Fatal(err)
					}
					checkDigestGolden(t, base+".json", js.Bytes())
					msg := RenderDigestSlack(a, o)
					blocks, err := json.MarshalIndent(msg, "", "  ")
					if err != nil {
						t.Fatal(err)
					}
					checkDigestGolden(t, base+".slack.json", append(blocks, '\n'))
					// behaviour the goldens must keep
					text := txt.String()
					switch {
					case name == "green" && !strings.Contains(text, "🟢"):
						t.Error("green digest without 🟢")
					case name == "red" && (!strings.Contains(text, "🔴") || !strings.Contains(text, "▁▂▁▃▇▅▅")):
						t.Error("red digest without 🔴 or sparkline")
					case late && !strings.Contains(text, "⏰"):
						t.Error("late digest without its note")
					}
					if name == "red" && (!strings.Contains(string(blocks), `\u003c@U0DAVE\u003e`) ||
						strings.Contains(string(blocks), "not a mention")) {
						t.Error("owners not mentioned safely in Slack")
					}
				})
			}
		}
	}
}
