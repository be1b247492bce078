package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
