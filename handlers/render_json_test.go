package handlers

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
)

// TestJSONReady: every answer is written with its times in UTC and its nil lists as [] (an omitempty list stays
// out), without changing the answer the other renderers read.
func TestJSONReady(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	at := time.Date(2026, 11, 24, 21, 0, 0, 0, tokyo)
	a := &queries.WhyAnswer{Node: queries.Node{UniqueID: "model.p.x"}, LastSuccess: &queries.Run{CompletedAt: &at}}
	st := &queries.StatusAnswer{Node: queries.Node{UniqueID: "model.p.x"}}
	for _, tc := range []struct {
		name       string
		answer     any
		want, nope []string
	}{
		{"why", a, []string{`"completed_at":"2026-11-24T12:00:00Z"`, `"chain":[]`, `"changes":[]`, `"owners":[]`,
			`"failed_runs_since":[]`, `"likely_causes":[]`}, []string{"null]", "+09:00"}},
		{"status", st, []string{`"tests":[]`}, []string{`"freshness"`}},
	} {
		out, err := json.Marshal(jsonReady(tc.answer))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: %s lacks %s", tc.name, out, w)
			}
		}
		for _, n := range tc.nope {
			if strings.Contains(string(out), n) {
				t.Errorf("%s: %s holds %s", tc.name, out, n)
			}
		}
	}
	if a.Chain != nil || a.LastSuccess.CompletedAt.Location() != tokyo {
		t.Error("jsonReady changed the answer")
	}
}
