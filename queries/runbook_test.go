package queries

import (
	"context"
	"testing"
	"time"
)

// TestRunbook: a test's own meta.runbook wins, then its model's, then the config's for its test type, then for its
// tags; a meta.runbook that is not a URL is passed over and listed by BadRunbooks; the next step of urgent links the
// runbook of the node to act on.
func TestRunbook(t *testing.T) {
	f := diagnosisFixture()
	setMeta := func(table, id, meta string) {
		for _, row := range f[table] {
			if row["unique_id"] == id {
				row["meta"] = meta
			}
		}
	}
	setMeta("dbt_models", "model.dx.stg_a", `{"runbook": "https://wiki.example.com/stg_a"}`)
	setMeta("dbt_models", "model.dx.stg_d", `{"runbook": "call Bob"}`)
	setMeta("dbt_tests", "test.dx.not_null_stg_e_id", `{"runbook": "https://wiki.example.com/stg_e_test"}`)
	setMeta("dbt_tests", "test.dx.not_null_stg_n_id", `{"runbook": 42}`)
	for _, row := range f["dbt_models"] {
		if row["unique_id"] == "model.dx.stg_k" {
			row["tags"] = `["payments"]`
		}
	}
	db := openMirror(t)
	loadMirror(t, db, f)
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return day(10, 12, 0) },
		Runbooks: Runbooks{TestTypes: map[string]string{"not_null": "https://wiki.example.com/not-null"},
			Tags: map[string]string{"payments": "https://wiki.example.com/payments"}}})
	ctx := context.Background()
	for _, tc := range []struct{ id, want string }{
		{"test.dx.not_null_stg_e_id", "https://wiki.example.com/stg_e_test"}, // its own
		{"model.dx.stg_a", "https://wiki.example.com/stg_a"},                 // a model's own
		{"test.dx.not_null_stg_g_id", "https://wiki.example.com/not-null"},   // its test type's
		{"test.dx.not_null_stg_n_id", "https://wiki.example.com/not-null"},   // not a URL: the type's
		{"model.dx.stg_d", ""},                                  // not a URL, nothing configured
		{"model.dx.stg_k", "https://wiki.example.com/payments"}, // its tag's
		{"model.dx.nope", ""},
	} {
		got, err := r.Runbook(ctx, tc.id)
		if err != nil || got != tc.want {
			t.Errorf("Runbook(%s) = %q, %v; want %q", tc.id, got, err, tc.want)
		}
	}
	bad, err := r.BadRunbooks(ctx)
	if err != nil || len(bad) != 2 || bad[0].UniqueID != "model.dx.stg_d" || bad[0].Value != "call Bob" ||
		bad[1].UniqueID != "test.dx.not_null_stg_n_id" || bad[1].Value != "42" {
		t.Errorf("BadRunbooks = %+v, %v", bad, err)
	}
	u, err := r.Urgency(ctx, "mart_c") // skipped by stg_a's error: fix stg_a, with its runbook
	if err != nil || u.Next == nil || u.Next.Name != "stg_a" || u.Next.Runbook != "https://wiki.example.com/stg_a" {
		t.Errorf("urgent mart_c next = %+v, %v", u.Next, err)
	}
	why, err := r.Why(ctx, "stg_e") // its ERROR test fails: look at the test, with the test's runbook
	if err != nil || why.Next == nil || why.Next.Runbook != "https://wiki.example.com/stg_e_test" {
		t.Errorf("why stg_e next = %+v, %v", why.Next, err)
	}
}
