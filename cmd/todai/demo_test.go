package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todai-dev/todai/queries/demo"
)

// TestDemoTour: `todai demo` builds the warehouse, syncs it and asks the tour, each question answered (no "not
// found" for a story's node); run again, it reuses the warehouse and its config answers `todai ask`.
func TestDemoTour(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	args := []string{"demo", "--dir", dir, "--models", "60", "--sources", "12", "--days", "3"}
	code, out, errOut := cli(t, args...)
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Building the Kumo Coffee demo warehouse (60 models, 3 days)") ||
		!strings.Contains(out, "Syncing it into Todai's local mirror") {
		t.Errorf("the first run does not say it builds and syncs:\n%s", out)
	}
	for _, q := range demo.Tour() {
		if !strings.Contains(out, "$ todai ask \""+q+"\"") {
			t.Errorf("the tour did not ask %q", q)
		}
	}
	if !strings.Contains(out, "] Health: finance (team)\n  Score: ") || !strings.Contains(out, "Models without tests:") {
		t.Errorf("the tour's health answer lacks finance's score or its blind spots:\n%s", out)
	}
	if !strings.Contains(out, demo.StoryFailingTest) {
		t.Errorf("the tour never names the failing test %s:\n%s", demo.StoryFailingTest, out)
	}

	code, out, errOut = cli(t, append(args, "--no-tour")...)
	if code != 0 || strings.Contains(out, "Building") || strings.Contains(out, "$ todai ask") {
		t.Fatalf("second run (exit %d) rebuilt or toured:\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = cli(t, "--config", filepath.Join(dir, "todai.yaml"), "ask", "--no-sync", "who owns "+demo.StoryFailingModel+"?")
	if code != 0 || !strings.Contains(out, demo.StoryFailingModel) {
		t.Errorf("ask with the demo's config: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestAskChart: the demo's anomaly story says its chart in words, and `ask --chart FILE` draws it as a PNG; an
// answer without a chart writes nothing and says so.
func TestAskChart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if code, out, errOut := cli(t, "demo", "--dir", dir, "--models", "60", "--sources", "12", "--days", "3", "--no-tour"); code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	cfg := filepath.Join(dir, "todai.yaml")
	img := filepath.Join(t.TempDir(), "anomaly.png")
	code, out, errOut := cli(t, "--config", cfg, "ask", "--no-sync", "--chart", img, "status", demo.StoryAnomalyTest)
	if code != 0 || !strings.Contains(out, "Chart: Row count vs expected range") || !strings.Contains(out, "Anomalous") {
		t.Fatalf("status of the anomaly story: exit %d\n%s\n%s", code, out, errOut)
	}
	b, err := os.ReadFile(img)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || !strings.Contains(errOut, "Chart written to") {
		t.Errorf("no PNG written (%v): %d bytes; stderr %s", err, len(b), errOut)
	}
	none := filepath.Join(t.TempDir(), "none.png")
	code, _, errOut = cli(t, "--config", cfg, "ask", "--no-sync", "--chart", none, "owner", demo.StoryFailingModel)
	if _, err := os.Stat(none); code != 0 || err == nil || !strings.Contains(errOut, "has no chart") {
		t.Errorf("an answer without a chart: exit %d, file %v, stderr %s", code, err, errOut)
	}
}
