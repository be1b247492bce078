package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/source"
)

// TestAskRealMirror asks questions end to end: a small demo warehouse in a SQLite file, synced into a real local
// mirror, answered by the real read model, rendered as text and JSON.
func TestAskRealMirror(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a warehouse and syncs it")
	}
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	wh := filepath.Join(dir, "warehouse.db")
	if err := demo.Build(ctx, wh, demo.Options{Models: 40, Sources: 8, Days: 4, Now: now}); err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(ctx, "sqlite://"+wh, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db := localdbtest.Open(t, filepath.Join(dir, "state.db"))
	clock := func() time.Time { return now }
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := mirror.New(db, src, mirror.Options{Now: clock, Logger: quiet, Deriver: &queries.Derived{}}).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	r := queries.NewReader(db, queries.ReaderOptions{Now: clock})

	tests := []struct {
		text   string
		intent string
		code   ErrorCode
		check  func(t *testing.T, res Result)
		inText string
	}{
		{text: "status fct_orders", intent: "status", inText: "fct_orders", check: func(t *testing.T, res Result) {
			a := res.Answer.(*queries.StatusAnswer)
			if a.Node.UniqueID != demo.StoryFailingModelID || a.Health.Rank() > queries.HealthFailing.Rank() {
				t.Errorf("status: %s %s", a.Node.UniqueID, a.Health)
			}
		}},
		{text: "fct_ordersの状態", intent: "status", inText: "テスト"},
		{text: "who owns fct_revenue?", intent: "owner", inText: "fct_revenue"},
		{text: "why is fct_orders stale?", intent: "why", inText: "fct_orders"},
		{text: "fct_ordersの上流", intent: "upstream", inText: "上流"},
		{text: "what depends on fct_revenue", intent: "downstream", check: func(t *testing.T, res Result) {
			a := res.Answer.(*queries.LineageAnswer)
			if !slices.ContainsFunc(a.Exposures, func(e queries.Exposure) bool { return e.UniqueID == demo.StoryCriticalExposureID }) {
				t.Errorf("downstream of fct_revenue lacks %s: %+v", demo.StoryCriticalExposureID, a.Exposures)
			}
		}},
		{text: "last-run int_inventory_snapshot 3", intent: "last-run", check: func(t *testing.T, res Result) {
			a := res.Answer.(*queries.LastRunAnswer)
			if len(a.Runs) == 0 || len(a.Runs) > 3 || a.Runs[0].Status != "error" {
				t.Errorf("runs: %+v", a.Runs)
			}
		}},
		{text: "failures since 2d", intent: "failures", check: func(t *testing.T, res Result) {
			a := res.Answer.(*queries.FailuresAnswer)
			if !slices.ContainsFunc(a.Failures, func(f queries.Failure) bool { return f.TestUniqueID == demo.StoryFailingTestID }) {
				t.Errorf("failures lack %s", demo.StoryFailingTestID)
			}
		}},
		{text: "is stripe.payments fresh?", intent: "freshness"},
		{text: "ソースの鮮度", intent: "freshness", inText: "鮮度"},
		{text: "describe fct_orders", intent: "describe"},
		{text: "is fct_orders urgent?", intent: "urgent"},
		{text: "what tests run on fct_orders?", intent: "tests", check: func(t *testing.T, res Result) {
			a := res.Answer.(*queries.TestsAnswer)
			if len(a.Tests) == 0 || a.WindowDays != 14 {
				t.Fatalf("tests of fct_orders: %+v", a)
			}
			for _, x := range a.Tests {
				if x.Runs < x.Passed || (x.Runs > 0) != (x.PassRate != nil) ||
					(x.PassRate != nil && (*x.PassRate < 0 || *x.PassRate > 1)) {
					t.Errorf("test %s: runs %d passed %d rate %v", x.UniqueID, x.Runs, x.Passed, x.PassRate)
				}
			}
		}},
		{text: "status customers", intent: "status", code: CodeAmbiguous},
		// Tests are nodes; Elementary's own models answer by exact unique_id; ISO times.
		{text: "status " + demo.StoryFailingTestID, intent: "status", check: func(t *testing.T, res Result) {
			a := res.Answer.(*queries.StatusAnswer)
			if a.Node.ResourceType != "test" || a.Health != queries.HealthFailing || a.LastRun == nil ||
				len(a.Tests) != 1 || a.Tests[0].UniqueID != demo.StoryFailingTestID {
				t.Errorf("status of a failing test: %+v", a)
			}
		}},
		{text: "owner unique_fct_orders_order_id", intent: "owner", check: func(t *testing.T, res Result) {
			if a := res.Answer.(*queries.OwnerAnswer); a.Node.UniqueID != demo.StoryFailingTestID || len(a.Owners) == 0 {
				t.Errorf("owner of a test by name: %+v", a)
			}
		}},
		{text: "last-run unique_fct_orders_order_id", intent: "last-run", check: func(t *testing.T, res Result) {
			if a := res.Answer.(*queries.LastRunAnswer); len(a.Runs) == 0 || a.Runs[0].Status != "fail" {
				t.Errorf("last-run of a test: %+v", a.Runs)
			}
		}},
		{text: "status model.elementary.dbt_tests", intent: "status", check: func(t *testing.T, res Result) {
			if a := res.Answer.(*queries.StatusAnswer); a.Node.UniqueID != "model.elementary.dbt_tests" {
				t.Errorf("status of Elementary's own model: %+v", a.Node)
			}
		}},
		{text: "status elementary_test_results", intent: "status", code: CodeNotFound},
		{text: "failures since 2026-11-22T18:00:00Z", intent: "failures", check: func(t *testing.T, res Result) {
			a := res.Answer.(*queries.FailuresAnswer)
			if !a.Since.Equal(time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)) || len(a.Failures) == 0 {
				t.Errorf("failures since an RFC 3339 time: since %v, %d failures", a.Since, len(a.Failures))
			}
		}},
		{text: "status fct_ordres", intent: "status", code: CodeNotFound, check: func(t *testing.T, res Result) {
			if !slices.Contains(res.Err.Suggestions, demo.StoryFailingModelID) {
				t.Errorf("suggestions %q lack %s", res.Err.Suggestions, demo.StoryFailingModelID)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			res := Ask(ctx, r, Parse(tc.text), now)
			if res.Intent != tc.intent {
				t.Fatalf("intent %q, want %q", res.Intent, tc.intent)
			}
			if tc.code == "" && res.Err != nil {
				t.Fatalf("err %+v", res.Err)
			}
			if tc.code != "" && (res.Err == nil || res.Err.Code != tc.code) {
				t.Fatalf("err %+v, want %s", res.Err, tc.code)
			}
			if res.AsOf.IsZero() {
				t.Error("AsOf zero after a successful sync")
			}
			if tc.check != nil {
				tc.check(t, res)
			}
			text, js := renderChecked(t, res)
			if tc.inText != "" && !strings.Contains(text.String(), tc.inText) {
				t.Errorf("text lacks %q:\n%s", tc.inText, text.String())
			}
			if testing.Verbose() {
				t.Logf("\n%s%s", text.String(), js.String())
			}
			var m map[string]any
			if err := json.Unmarshal(js.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
		})
	}
}
