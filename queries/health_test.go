package queries

import "testing"

// TestStatusHealth: a run's and a freshness check's raw status say the same health everywhere they are shown.
func TestStatusHealth(t *testing.T) {
	for status, want := range map[string]Health{"success": HealthOK, "error": HealthError, "skipped": HealthWarn,
		"SUCCESS": HealthOK, "": HealthUnknown, "partial": HealthUnknown} {
		if got := (Run{Status: status}).Health(); got != want {
			t.Errorf("run %q: %s, want %s", status, got, want)
		}
	}
	for status, want := range map[string]Health{"pass": HealthOK, "warn": HealthWarn, "error": HealthStale,
		"runtime error": HealthError, " Runtime Error ": HealthError} {
		if got := (SourceFreshness{Status: status}).Health(); got != want {
			t.Errorf("freshness %q: %s, want %s", status, got, want)
		}
	}
}
