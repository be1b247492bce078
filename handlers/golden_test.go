package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/todai-dev/todai/queries"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

type goldenCase struct {
	name string
	text string
	// setup changes the fake before asking.
	setup func(*fakeReader)
	exit  int
}

func goldenCases() []goldenCase {
	failedSync := func(f *fakeReader) {
		f.sync.LastAttempt = testNow.Add(-5 * time.Minute)
		f.sync.LastError = "dial tcp 10.0.0.1:443: i/o timeout"
		f.sync.LastSuccess = testNow.Add(-2 * time.Hour)
	}
	noData := func(f *fakeReader) { f.sync = queries.SyncInfo{} }
	return []goldenCase{
		{name: "status.en", text: "status fct_orders"},
		{name: "status.ja", text: "fct_ordersの状態"},
		{name: "status_empty.en", text: "status empty"},
		{name: "status_test.en", text: "status not_null_fct_orders_order_id"},
		{name: "status_test.ja", text: "not_null_fct_orders_order_idの状態"},
		{name: "describe_test.en", text: "describe not_null_fct_orders_order_id"},
		{name: "owner.en", text: "who owns fct_orders?"},
		{name: "owner.ja", text: "fct_ordersのオーナーは誰?"},
		{name: "owner_empty.ja", text: "emptyのオーナーは誰?"},
		{name: "last-run.en", text: "when did fct_orders last run"},
		{name: "last-run.ja", text: "fct_ordersの最終実行"},
		{name: "last-run_empty.en", text: "last-run empty"},
		{name: "updated.en", text: "When was fct_orders updated?"},
		{name: "updated.ja", text: "fct_ordersはいつ更新された?"},
		{name: "updated_source.en", text: "When was stripe.payments last updated?"},
		{name: "describe_seed.ja", text: "fct_ordersは、どういうデータ?"},
		{name: "urgent_seed.ja", text: "fct_ordersは、緊急度高いやつ?"},
		{name: "why_seed.ja", text: "なぜfct_ordersのデータ更新されていないのか?"},
		{name: "failures.en", text: "failures since yesterday"},
		{name: "failures.ja", text: "昨日からのテスト失敗"},
		{name: "failures_team.en", text: "test failures for team finance"},
		{name: "failures_team.ja", text: "financeチームの失敗"},
		{name: "failures_empty.en", text: "failures team:empty since 3d"},
		{name: "failures_empty.ja", text: "emptyチームの失敗"},
		{name: "freshness.en", text: "freshness"},
		{name: "freshness.ja", text: "ソースの鮮度"},
		{name: "freshness_empty.en", text: "is empty fresh?"},
		{name: "upstream.en", text: "what feeds fct_orders"},
		{name: "upstream.ja", text: "fct_ordersの上流"},
		{name: "upstream_empty.en", text: "upstream empty"},
		{name: "downstream.en", text: "what depends on fct_orders"},
		{name: "downstream.ja", text: "fct_ordersの下流"},
		{name: "downstream_empty.ja", text: "emptyの下流"},
		{name: "describe.en", text: "what is fct_orders"},
		{name: "describe.ja", text: "fct_ordersとは?"},
		{name: "describe_empty.ja", text: "emptyとは?"},
		{name: "why.en", text: "why is fct_orders stale"},
		{name: "why.ja", text: "fct_ordersが更新されていないのはなぜ?"},
		{name: "why_empty.en", text: "why empty"},
		{name: "urgent.en", text: "is fct_orders urgent?"},
		{name: "urgent.ja", text: "fct_ordersは緊急?"},
		{name: "urgent_empty.ja", text: "emptyは緊急?"},
		{name: "urgent_low.en", text: "is stg_flaky urgent?"},
		{name: "urgent_low.ja", text: "stg_flakyは緊急?"},
		{name: "help.en", text: "help"},
		{name: "help.ja", text: "ヘルプ"},
		{name: "not_found.en", text: "status missing_orders", exit: 1},
		{name: "not_found.ja", text: "missing_ordersの状態", exit: 1},
		{name: "ambiguous.en", text: "owner orders", exit: 1},
		{name: "ambiguous.ja", text: "ordersのオーナーは?", exit: 1},
		{name: "unavailable.en", text: "status fct_orders", setup: noData, exit: 2},
		{name: "unavailable.ja", text: "fct_ordersの状態", setup: noData, exit: 2},
		{name: "internal.en", text: "status boom", exit: 2},
		{name: "too_long.en", text: strings.Repeat("why ", 600), exit: 1},
		{name: "too_long.ja", text: strings.Repeat("なぜ", 1001), exit: 1},
		{name: "unknown.en", text: "hello there", exit: 1},
		{name: "unknown.ja", text: "こんにちは", exit: 1},
		{name: "missing_node.en", text: "owner", exit: 1},
		{name: "missing_node.ja", text: "オーナーは誰?", exit: 1},
		{name: "bad_since.en", text: "failures since someday", exit: 1},
		{name: "bad_since.ja", text: "failures since いつか", exit: 1},
		{name: "sync_failed.en", text: "status fct_orders", setup: failedSync},
		{name: "sync_failed.ja", text: "fct_ordersの状態", setup: failedSync},
	}
}

// tokyo is Japan Standard Time, as a Japanese asker's zone.
var tokyo = time.FixedZone("JST", 9*3600)

func TestGolden(t *testing.T) {
	dir := filepath.Join("testdata", "golden")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.setup != nil {
				tc.setup(f)
			}
			q := Parse(tc.text)
			wantLang := LangEN
			if strings.HasSuffix(tc.name, ".ja") {
				wantLang = LangJA
				q.Zone = tokyo // a Japanese reader's text answers show JST
			}
			if q.Lang != wantLang {
				t.Fatalf("Parse(%q).Lang = %q, want %q", tc.text, q.Lang, wantLang)
			}
			res := Ask(context.Background(), f, q, testNow)
			if got := ExitCode(res); got != tc.exit {
				t.Errorf("ExitCode = %d, want %d (err %+v)", got, tc.exit, res.Err)
			}
			var text, js bytes.Buffer
			if err := RenderText(&text, res); err != nil {
				t.Fatal(err)
			}
			if err := RenderJSON(&js, res); err != nil {
				t.Fatal(err)
			}
			checkText(t, text.String())
			checkJSON(t, res, js.Bytes())
			checkDocumented(t, res.Intent, js.Bytes())
			compareGolden(t, filepath.Join(dir, tc.name+".txt"), text.Bytes())
			compareGolden(t, filepath.Join(dir, tc.name+".json"), js.Bytes())
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
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

// checkText asserts terminal text holds no control characters except newlines and no escape sequences.
func checkText(t *testing.T, s string) {
	t.Helper()
	if s == "" {
		t.Fatal("empty text")
	}
	for i, r := range s {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			t.Fatalf("text holds control character %U at %d: %q", r, i, s)
		}
	}
}

// checkJSON asserts the contract in docs/json.md.
func checkJSON(t *testing.T, res Result, b []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	if m["intent"] != res.Intent {
		t.Errorf("intent = %v, want %q", m["intent"], res.Intent)
	}
	if res.Err != nil {
		e, ok := m["error"].(map[string]any)
		if !ok {
			t.Fatalf("error missing: %s", b)
		}
		if e["code"] != string(res.Err.Code) || e["message"] == "" {
			t.Errorf("error = %v", e)
		}
		if _, ok := e["suggestions"].([]any); !ok {
			t.Errorf("suggestions not a list: %s", b)
		}
		return
	}
	asOf, ok := m["as_of"].(string)
	if !ok {
		t.Fatalf("as_of missing: %s", b)
	}
	if ts, err := time.Parse(time.RFC3339, asOf); err != nil || ts.Location() != time.UTC || !ts.Equal(res.AsOf) {
		t.Errorf("as_of = %q (%v), want %v in UTC", asOf, err, res.AsOf)
	}
	lists := map[string][]string{
		"status":     {"tests"},
		"owner":      {"owners"},
		"last-run":   {"runs"},
		"failures":   {"failures"},
		"freshness":  {"sources"},
		"upstream":   {"upstream"},
		"downstream": {"downstream", "exposures"},
		"describe":   {"tags", "columns", "exposures"},
		"why":        {"failed_runs_since", "failing_tests", "likely_causes"},
		"urgent":     {"downstream_models", "exposures", "reasons", "failing_tests"},
		"help":       {"commands"},
	}[res.Intent]
	for _, k := range lists {
		if _, ok := m[k].([]any); !ok {
			t.Errorf("%q is %v, want a list: %s", k, m[k], b)
		}
	}
	if n, ok := m["node"].(map[string]any); ok {
		for _, k := range []string{"unique_id", "name", "resource_type", "team"} {
			if _, ok := n[k].(string); !ok {
				t.Errorf("node.%s missing", k)
			}
		}
		if _, ok := n["owners"].([]any); !ok {
			t.Errorf("node.owners not a list: %s", b)
		}
	}
	if res.Intent == "status" {
		if _, ok := m["health"].(string); !ok {
			t.Errorf("health missing")
		}
		if _, ok := m["last_run"]; !ok {
			t.Errorf("last_run missing (want object or null)")
		}
	}
	if res.Intent == "failures" {
		if _, err := time.Parse(time.RFC3339, m["since"].(string)); err != nil {
			t.Errorf("since: %v", err)
		}
	}
	if res.Warning != nil {
		if w, ok := m["warning"].(map[string]any); !ok || w["code"] != "sync_failed" {
			t.Errorf("warning = %v", m["warning"])
		}
	}
}

// TestRenderWriteError checks that a failing writer is reported.
func TestRenderWriteError(t *testing.T) {
	res := Ask(context.Background(), newFake(), Parse("status fct_orders"), testNow)
	for name, render := range map[string]func(*errWriter, Result) error{
		"text": func(w *errWriter, r Result) error { return RenderText(w, r) },
		"json": func(w *errWriter, r Result) error { return RenderJSON(w, r) },
	} {
		if err := render(&errWriter{}, res); !errors.Is(err, errWrite) {
			t.Errorf("%s: err = %v, want errWrite", name, err)
		}
	}
}

var errWrite = errors.New("write failed")

type errWriter struct{}

func (*errWriter) Write([]byte) (int, error) { return 0, errWrite }
