package queries

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestIncidentMemory: a test whose alerts people resolved as false positive or expected three times within 30 days
// makes its failure one step less likely real, and urgent and why say so; twice is not enough, another failing test
// not so dismissed keeps the likelihood, and a reopened fix is said.
func TestIncidentMemory(t *testing.T) {
	since := day(10, 12, 0).Add(-IncidentMemory)
	first := day(2, 9, 0)
	for _, tc := range []struct {
		name       string
		node       string
		hist       map[string]IncidentHistory
		likelihood string
		reasons    []Reason
		history    []string
	}{
		{name: "three false positives: one step less", node: "stg_e",
			hist:       map[string]IncidentHistory{"test.dx.not_null_stg_e_id": {UniqueID: "test.dx.not_null_stg_e_id", FalsePositive: 2, Expected: 1, Since: first}},
			likelihood: "low", reasons: []Reason{ReasonDismissedOften}, history: []string{"test.dx.not_null_stg_e_id"}},
		{name: "two are not enough", node: "stg_e",
			hist:       map[string]IncidentHistory{"test.dx.not_null_stg_e_id": {UniqueID: "test.dx.not_null_stg_e_id", FalsePositive: 2, Since: first}},
			likelihood: "medium"},
		{name: "a model's own error dismissed often", node: "stg_a",
			hist:       map[string]IncidentHistory{"model.dx.stg_a": {UniqueID: "model.dx.stg_a", Expected: 3, Since: first}},
			likelihood: "medium", reasons: []Reason{ReasonDismissedOften}, history: []string{"model.dx.stg_a"}},
		{name: "a reopened fix is said, the likelihood kept", node: "stg_a",
			hist:       map[string]IncidentHistory{"model.dx.stg_a": {UniqueID: "model.dx.stg_a", Reopens: 12}},
			likelihood: "high", history: []string{"model.dx.stg_a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openMirror(t)
			loadMirror(t, db, diagnosisFixture())
			var asked time.Time
			r := NewReader(db, ReaderOptions{Now: func() time.Time { return day(10, 12, 0) },
				IncidentHistory: func(_ context.Context, ids []string, from time.Time) (map[string]IncidentHistory, error) {
					asked = from
					out := map[string]IncidentHistory{}
					for _, id := range ids {
						if h, ok := tc.hist[id]; ok {
							out[id] = h
						}
					}
					return out, nil
				}})
			u, err := r.Urgency(context.Background(), tc.node)
			if err != nil {
				t.Fatal(err)
			}
			if !asked.Equal(since) {
				t.Errorf("asked since %s, want 30 days back (%s)", asked, since)
			}
			if u.Likelihood != tc.likelihood {
				t.Errorf("likelihood %s, want %s (decided by %v)", u.Likelihood, tc.likelihood, u.DecidedBy)
			}
			for _, want := range tc.reasons {
				if !slices.Contains(u.Reasons, want) || u.DecidedBy[0] != want {
					t.Errorf("reasons %v, decided by %v: want %s", u.Reasons, u.DecidedBy, want)
				}
			}
			var got []string
			for _, h := range u.History {
				got = append(got, h.UniqueID)
			}
			if !slices.Equal(got, tc.history) {
				t.Errorf("urgent's history %v, want %v", got, tc.history)
			}
			why, err := r.Why(context.Background(), tc.node)
			if err != nil {
				t.Fatal(err)
			}
			if len(why.History) != len(tc.history) {
				t.Errorf("why's history %+v, want %v", why.History, tc.history)
			}
		})
	}
}
