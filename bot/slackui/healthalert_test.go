package slackui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries"
)

// TestHealthAlertGolden renders a team's health alert in both languages: below the threshold and fallen in a day,
// one test scored before and one not, owners mentioned where the bot resolved them and named (escaped) where not.
func TestHealthAlertGolden(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	at := handlerstest.Now.Add(-time.Hour)
	m := queries.HealthMove{Team: "finance", Total: f(52.5), DayBefore: f(91.3), Movers: []queries.ScoredMove{
		{ScoredTest: queries.ScoredTest{UniqueID: "test.shop.unique_fct_orders_order_id.1", Name: "unique_fct_orders_order_id",
			Status: "fail", Score: 0, DetectedAt: &at, Owners: []string{"@jane"}}, Before: f(100)},
		{ScoredTest: queries.ScoredTest{UniqueID: "test.shop.accepted_values_status.2", Name: "accepted_values_status",
			Status: "warn", Score: 50, DetectedAt: &at, Owners: []string{"<!channel> team"}}},
	}}
	mentions := map[string]string{"@jane": "<@U0JANE>"}
	for _, tc := range []struct {
		name        string
		below, drop *float64
		lang        handlers.Lang
		first       string
	}{
		{"both.en", f(60), f(20), handlers.LangEN, ":warning: finance's data health fell to 52.5/100 (91.3 a day before) — below the alert threshold of 60; a fall of 38.8 points in a day (more than 20)"},
		{"both.ja", f(60), f(20), handlers.LangJA, ":warning: finance のデータ健全性が 52.5/100 に下がりました（前日 91.3） — アラートのしきい値 60 を下回りました、1 日で 38.8 ポイント低下しました（許容 20）"},
		{"drop.en", nil, f(20), handlers.LangEN, ":warning: finance's data health fell to 52.5/100 (91.3 a day before) — a fall of 38.8 points in a day (more than 20)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := HealthAlert(m, tc.below, tc.drop, tc.lang, mentions)
			validateBlocks(t, msg.Blocks)
			if msg.Text != tc.first {
				t.Errorf("notification text:\n got %s\nwant %s", msg.Text, tc.first)
			}
			js := slackJSON(t, msg)
			if strings.Count(string(js), "<@") != strings.Count(string(js), "<@U0JANE>") || strings.Contains(string(js), "<!channel>") {
				t.Errorf("only the resolved owner is pinged:\n%s", js)
			}
			handlerstest.Golden(t, filepath.Join("testdata", "golden", "health_alert", tc.name+".json"), js)
		})
	}
}
