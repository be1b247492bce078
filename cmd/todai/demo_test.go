package main

import (
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
