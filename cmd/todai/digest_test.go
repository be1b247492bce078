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
