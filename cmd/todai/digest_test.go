package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// digestConfig writes a config naming the demo warehouse and two teams, one with a scheduled digest.
func digestConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "todai.yaml")
	body := "warehouse:\n  url: sqlite://" + demoWarehouse(t) + "\nstate:\n  path: " + filepath.Join(dir, "state.db") + `
teams:
  - name: product
    channel: "#data-product"
    groups: [product]
    digest: {schedule: "0 9 * * 1-5", timezone: Asia/Tokyo}
  - name: finance
    channel: "#data-finance"
    groups: [finance]
`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestDigestCommand(t *testing.T) {
	cfg := digestConfig(t)
	code, out, errOut := cli(t, "--config", cfg, "digest", "--team", "product")
	if code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("digest: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "product") {
		t.Errorf("the text digest does not name the team:\n%s", out)
	}

	code, out, errOut = cli(t, "--config", cfg, "digest", "--team", "product", "--json")
	if code != 0 {
		t.Fatalf("digest --json: exit %d %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("digest --json is not JSON: %v\n%s", err, out)
	}
	if len(got) == 0 {
		t.Errorf("empty digest JSON")
	}

	code, _, errOut = cli(t, "--config", cfg, "digest", "--team", "no-such-team")
	if code == 0 || errOut == "" {
		t.Errorf("an unknown team must fail with a message: exit %d %q", code, errOut)
	}
	code, _, errOut = cli(t, "--config", cfg, "digest")
	if code == 0 || !strings.Contains(errOut, "team") {
		t.Errorf("digest without --team must say so: exit %d %q", code, errOut)
	}
}

func TestScheduleCommand(t *testing.T) {
	cfg := digestConfig(t)
	code, out, errOut := cli(t, "--config", cfg, "schedule", "--next", "2")
	if code != 0 {
		t.Fatalf("schedule: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"sync", "product", "Asia/Tokyo"} {
		if !strings.Contains(out, want) {
			t.Errorf("schedule output lacks %q:\n%s", want, out)
		}
	}
}

// TestPlatformAndCoverageDigest builds the platform digest (text and JSON) and a team's digest with its blind spots
// over the demo warehouse.
func TestPlatformAndCoverageDigest(t *testing.T) {
	cfg := digestConfig(t)
	code, out, errOut := cli(t, "--config", cfg, "digest", "--platform")
	if code != 0 {
		t.Fatalf("digest --platform: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Platform digest", "The whole project\nScore ", "Teams, the weakest first\n• ",
		"• finance: ", "• product: ", "Blind spots\nModels: ", "Models nobody owns ("} {
		if !strings.Contains(out, want) {
			t.Errorf("the platform digest lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = cli(t, "--config", cfg, "digest", "--platform", "--no-sync", "--json")
	if code != 0 {
		t.Fatalf("digest --platform --json: exit %d %s", code, errOut)
	}
	var got struct {
		Intent string `json:"intent"`
		Answer struct {
			Project struct{ Total *float64 } `json:"project"`
			Teams   []struct {
				Team  string   `json:"team"`
				Total *float64 `json:"total"`
			} `json:"teams"`
		} `json:"answer"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Intent != "platform_digest" || got.Answer.Project.Total == nil || len(got.Answer.Teams) < 2 {
		t.Fatalf("platform digest JSON: %s", out)
	}
	for i := 1; i < len(got.Answer.Teams); i++ {
		a, b := got.Answer.Teams[i-1].Total, got.Answer.Teams[i].Total
		if a != nil && b != nil && *a > *b {
			t.Errorf("teams not the weakest first: %s %v before %s %v", got.Answer.Teams[i-1].Team, *a,
				got.Answer.Teams[i].Team, *b)
		}
	}

	code, out, errOut = cli(t, "--config", cfg, "digest", "--team", "finance", "--coverage", "--no-sync")
	if code != 0 || !strings.Contains(out, "Blind spots (weekly)\nModels: ") {
		t.Errorf("digest --coverage must list the team's blind spots: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = cli(t, "--config", cfg, "digest", "--team", "Platform", "--no-sync")
	if code != 0 || !strings.Contains(out, "Platform digest") {
		t.Errorf("--team platform, no team being called so, is the platform digest: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut = cli(t, "--config", cfg, "digest", "--team", "finance", "--platform"); code == 0 {
		t.Errorf("--team and --platform together must fail: %s", errOut)
	}
}

// TestDigestIncidentFigures scripts a week of finance's incidents in the state store — taken and resolved as a false
// positive, cleared by a later run, a fix reopened within the day, one still open, one from before the week and
// another team's — and reads the weekly figures of finance's digest on its coverage day.
func TestDigestIncidentFigures(t *testing.T) {
	cfg := digestConfig(t)
	if code, _, errOut := cli(t, "--config", cfg, "sync"); code != 0 {
		t.Fatalf("sync: %s", errOut)
	}
	ctx := context.Background()
	db, err := localdb.Open(ctx, filepath.Join(filepath.Dir(cfg), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	store := escalation.NewStore(db)
	now := time.Now().UTC()
	open := func(key, team string, at time.Time) int64 {
		t.Helper()
		inc, _, err := store.Open(ctx, escalation.Incident{Key: key, Team: team, Kind: escalation.KindTest,
			NodeID: "model.x.orders", TestID: "test.x." + key, InvocationID: key + at.String(), DetectedAt: at, OpenedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		return inc.ID
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	day := 24 * time.Hour
	a := open("a", "finance", now.Add(-3*day))
	_, err = store.Take(ctx, a, "U0ANA", now.Add(-3*day+30*time.Minute))
	must(err)
	must(store.ResolveAs(ctx, a, escalation.ResolutionFalsePositive, "", "U0ANA", now.Add(-3*day+2*time.Hour)))
	b := open("b", "finance", now.Add(-2*day))
	must(store.Resolve(ctx, b, "inv-b", now.Add(-2*day+6*time.Hour)))
	c := open("c", "finance", now.Add(-2*day))
	must(store.Ack(ctx, c, "U0JANE", now.Add(-2*day+10*time.Minute)))
	must(store.ResolveAs(ctx, c, escalation.ResolutionFixed, "", "U0JANE", now.Add(-2*day+time.Hour)))
	open("c", "finance", now.Add(-2*day+5*time.Hour)) // the fix did not hold: still open
	open("old", "finance", now.Add(-10*day))          // before the week, never resolved
	open("other", "product", now.Add(-day))
	must(db.Close())

	code, out, errOut := cli(t, "--config", cfg, "digest", "--team", "finance", "--coverage", "--no-sync", "--json")
	if code != 0 {
		t.Fatalf("digest: exit %d %s", code, errOut)
	}
	var got struct {
		Answer struct {
			Incidents *queries.IncidentStatsAnswer `json:"incidents"`
		} `json:"answer"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	st := got.Answer.Incidents
	if st == nil {
		t.Fatalf("no weekly incident figures in the digest:\n%s", out)
	}
	secs := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	if st.Team != "finance" || st.Opened != 4 || st.Acknowledged != 2 || st.StillOpen != 1 || st.Resolved != 3 {
		t.Errorf("counts: %+v", st)
	}
	if st.TimeToAcknowledge.Count != 2 || secs(st.TimeToAcknowledge.MedianSeconds) != 600 || secs(st.TimeToAcknowledge.P90Seconds) != 1800 {
		t.Errorf("time to acknowledge: %+v", st.TimeToAcknowledge)
	}
	if st.TimeToResolve.Count != 3 || secs(st.TimeToResolve.MedianSeconds) != 7200 || secs(st.TimeToResolve.P90Seconds) != 21600 {
		t.Errorf("time to resolve: %+v", st.TimeToResolve)
	}
	want := []queries.ResolutionCount{{Resolution: "cleared", Count: 1}, {Resolution: "false_positive", Count: 1}, {Resolution: "fixed", Count: 1}}
	if !reflect.DeepEqual(st.Resolutions, want) {
		t.Errorf("resolutions %+v, want %+v", st.Resolutions, want)
	}
	if len(st.MostReopened) != 1 || st.MostReopened[0].UniqueID != "test.x.c" || st.MostReopened[0].Reopens != 1 {
		t.Errorf("most reopened: %+v", st.MostReopened)
	}
	code, out, _ = cli(t, "--config", cfg, "digest", "--team", "finance", "--coverage", "--no-sync")
	for _, wantLine := range []string{"Incidents this week\n4 opened, 2 acknowledged, 1 still open; 3 resolved",
		"Time to acknowledge: median 10 min, 90% within 30 min (2)", "How they ended: cleared by a later run 1, false positive 1, fixed 1",
		"Reopened most: c (1)"} {
		if code != 0 || !strings.Contains(out, wantLine) {
			t.Errorf("the text digest lacks %q:\n%s", wantLine, out)
		}
	}
}
