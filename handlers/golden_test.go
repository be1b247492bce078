package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/todai-dev/todai/handlers/handlerstest"
)

// tokyo is Japan Standard Time, as a Japanese asker's zone.
var tokyo = time.FixedZone("JST", 9*3600)

func TestGolden(t *testing.T) {
	dir := filepath.Join("testdata", "golden")
	if handlerstest.Updating() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range handlerstest.GoldenCases() {
		t.Run(tc.Name, func(t *testing.T) {
			f := newFake()
			if tc.Setup != nil {
				tc.Setup(f)
			}
			q := Parse(tc.Text)
			wantLang := LangEN
			if strings.HasSuffix(tc.Name, ".ja") {
				wantLang = LangJA
				q.Zone = tokyo // a Japanese reader's text answers show JST
			}
			if q.Lang != wantLang {
				t.Fatalf("Parse(%q).Lang = %q, want %q", tc.Text, q.Lang, wantLang)
			}
			if tc.UnderAlert {
				q.Alert = &AlertAt{At: handlerstest.AlertAt, Failing: true}
			}
			res := Ask(context.Background(), f, q, testNow)
			if got := ExitCode(res); got != tc.Exit {
				t.Errorf("ExitCode = %d, want %d (err %+v)", got, tc.Exit, res.Err)
			}
			text, js := renderChecked(t, res)
			handlerstest.Golden(t, filepath.Join(dir, tc.Name+".txt"), text.Bytes())
			handlerstest.Golden(t, filepath.Join(dir, tc.Name+".json"), js.Bytes())
		})
	}
}

// renderChecked renders res as text and JSON and checks both: clean text, JSON within its contract and documented.
func renderChecked(t *testing.T, res Result) (text, js *bytes.Buffer) {
	t.Helper()
	text, js = new(bytes.Buffer), new(bytes.Buffer)
	if err := RenderText(text, res); err != nil {
		t.Fatal(err)
	}
	if err := RenderJSON(js, res); err != nil {
		t.Fatal(err)
	}
	checkText(t, text.String())
	checkJSON(t, res, js.Bytes())
	checkDocumented(t, res.Intent, js.Bytes())
	return text, js
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
