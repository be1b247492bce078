package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// cli runs the todai command line in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// demoWarehouse builds a small demo warehouse once per test binary run.
func demoWarehouse(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "elementary.db")
	opts := demo.Options{Models: 80, Sources: 12, Days: 7, Now: time.Now().UTC().Truncate(time.Hour)}
	if err := demo.Build(context.Background(), path, opts); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAskEndToEnd(t *testing.T) {
	wh := demoWarehouse(t)
	state := filepath.Join(t.TempDir(), "state.db")
	base := []string{"--warehouse", "sqlite://" + wh, "--state", state}

	code, out, errOut := cli(t, append(base, "sync")...)
	if code != 0 {
		t.Fatalf("sync exit %d: %s %s", code, out, errOut)
	}
	if !strings.Contains(out, "tables read") {
		t.Errorf("sync report: %s", out)
	}

	code, out, errOut = cli(t, append(base, "ask", "--json", "status", demo.StoryFailingModel)...)
	if code != 0 {
		t.Fatalf("ask exit %d: %s %s", code, out, errOut)
	}
	var status struct {
		Intent string `json:"intent"`
		AsOf   string `json:"as_of"`
		Node   struct {
			UniqueID string `json:"unique_id"`
		} `json:"node"`
		Health string `json:"health"`
	}
	if err := json.Unmarshal([]byte(out), &status); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if status.Intent != "status" || status.Node.UniqueID != demo.StoryFailingModelID || status.Health != "failing" {
		t.Errorf("status answer: %+v", status)
	}
	if _, err := time.Parse(time.RFC3339, status.AsOf); err != nil {
		t.Errorf("as_of %q is not RFC 3339", status.AsOf)
	}

	// --at: the run at that time first, and what has happened since. Four days ago the model built, as it has since
	// (its tests are what fail).
	code, out, errOut = cli(t, append(base, "ask", "--json", "--no-sync", "--at", "4d", "status", demo.StoryFailingModel)...)
	var at struct {
		Alert struct {
			Kind       string `json:"kind"`
			StatusThen string `json:"status_then"`
			Since      string `json:"since"`
		} `json:"alert"`
	}
	if err := json.Unmarshal([]byte(out), &at); code != 0 || err != nil || at.Alert.Kind != "model" ||
		at.Alert.StatusThen != "success" || at.Alert.Since != "still_passing" {
		t.Errorf("ask --at 4d: exit %d %+v %s %s", code, at, out, errOut)
	}
	if code, _, errOut = cli(t, append(base, "ask", "--no-sync", "--at", "last tuesday-ish", "status", demo.StoryFailingModel)...); code != 2 ||
		!strings.Contains(errOut, "is not a time") {
		t.Errorf("ask --at nonsense: exit %d %s", code, errOut)
	}

	// Not found: exit 1 with suggestions.
	code, out, _ = cli(t, append(base, "ask", "--json", "--no-sync", "status", "fct_ordrs")...)
	if code != 1 || !strings.Contains(out, `"not_found"`) || !strings.Contains(out, demo.StoryFailingModelID) {
		t.Errorf("not found: exit %d %s", code, out)
	}

	// Japanese free text answers in Japanese.
	code, out, _ = cli(t, append(base, "ask", "--no-sync", demo.StoryFailingModel+"のオーナーは誰?")...)
	if code != 0 || !strings.ContainsAny(out, "オーナー担当") {
		t.Errorf("Japanese owner: exit %d %s", code, out)
	}

	// Status of the mirror.
	code, out, _ = cli(t, append(base, "sync", "--status")...)
	if code != 0 || !strings.Contains(out, "dbt_run_results") || !strings.Contains(out, "last sync #") {
		t.Errorf("sync --status: exit %d %s", code, out)
	}
}

func TestAskWithWarehouseDown(t *testing.T) {
	wh := demoWarehouse(t)
	state := filepath.Join(t.TempDir(), "state.db")
	if code, out, errOut := cli(t, "--warehouse", "sqlite://"+wh, "--state", state, "sync"); code != 0 {
		t.Fatalf("sync: %s %s", out, errOut)
	}
	if err := os.Rename(wh, wh+".gone"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "--warehouse", "sqlite://"+wh, "--state", state, "ask", "--json", "owner", demo.StoryFailingModel)
	if code != 0 {
		t.Fatalf("the last good answer must still come: exit %d %s %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "answering from the last good sync") {
		t.Errorf("the failure must be reported: %s", errOut)
	}
}

func TestAskWithoutData(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.db")
	code, out, _ := cli(t, "--state", state, "ask", "--json", "status", "fct_orders")
	if code != 2 || !strings.Contains(out, `"unavailable"`) {
		t.Errorf("no data: exit %d %s", code, out)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "todai.yaml")
	if err := os.WriteFile(bad, []byte("warehouse:\n  url: sqlite://relative.db\nteams:\n  - name: a\n  - name: a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := cli(t, "--config", bad, "config", "check")
	if code != 1 || !strings.Contains(out, bad+":2:") || !strings.Contains(out, bad+":5:") || !strings.Contains(out, "2 problems") {
		t.Errorf("config check: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, "--config", "../../todai.example.yaml", "config", "check")
	if code != 0 || !strings.Contains(out, "is valid") || strings.Contains(out, "s3cret") {
		t.Errorf("example config: exit %d %s", code, out)
	}
}

func TestVersionAndMigrate(t *testing.T) {
	code, out, _ := cli(t, "version")
	if code != 0 || !strings.HasPrefix(out, "todai ") {
		t.Errorf("version: %d %s", code, out)
	}
	state := filepath.Join(t.TempDir(), "x", "state.db")
	code, out, _ = cli(t, "--state", state, "migrate")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("migrate: %d %s", code, out)
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state file not created: %v", err)
	}
}

// TestStateInPostgres: with state.url, migrate brings both the mirror's file and Todai's state in PostgreSQL up to
// date; config check describes it without its password; a schema migrated by a newer Todai is refused by every
// command, with what to do.
func TestStateInPostgres(t *testing.T) {
	dir := t.TempDir()
	pg := statedbtest.URL(t)
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "todai.yaml")
	body := "state:\n  path: " + filepath.Join(dir, "mirror.db") + "\n  url: " + pg + "\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "--config", cfg, "migrate")
	if code != 0 || !strings.Contains(out, "mirror.db is up to date") || !strings.Contains(out, "PostgreSQL (schema "+u.Query().Get("schema")+") is up to date") {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	code, out, _ = cli(t, "--config", cfg, "config", "check")
	if pw, _ := u.User.Password(); code != 0 || (pw != "" && strings.Contains(out, ":"+pw+"@")) || !strings.Contains(out, "postgres ") {
		t.Errorf("config check: %d %s", code, out)
	}
	db, err := statedb.OpenPostgres(context.Background(), pg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, errOut = cli(t, "--config", cfg, "incidents", "list")
	if code == 0 || !strings.Contains(errOut, "newer than this Todai") {
		t.Errorf("a newer state schema: %d %s", code, errOut)
	}
}

func TestBadFlags(t *testing.T) {
	code, _, errOut := cli(t, "--warehouse", "mysql://x/y", "ask", "status", "x")
	if code == 0 || !strings.Contains(errOut, "unknown warehouse kind") {
		t.Errorf("bad warehouse: %d %s", code, errOut)
	}
	code, _, errOut = cli(t, "nonsense")
	if code == 0 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %s", code, errOut)
	}
}
