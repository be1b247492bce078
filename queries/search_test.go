package queries

import (
	"context"
	"testing"
	"time"
)

// TestSearch finds nodes by the words of their names (twice the weight) and descriptions, the best first; a word
// with SQL in it is only a word.
func TestSearch(t *testing.T) {
	f := diagnosisFixture()
	for _, row := range f["dbt_models"] {
		if row["unique_id"] == "model.dx.stg_k" {
			row["description"] = "Payments staged from the stg_a feed"
		}
	}
	db := openMirror(t)
	loadMirror(t, db, f)
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return day(10, 12, 0) }})
	ctx := context.Background()
	for _, tc := range []struct {
		text  string
		limit int
		want  []string
	}{
		{"stg_a", 0, []string{"model.dx.stg_a", "model.dx.stg_k"}}, // a name, then a description
		{"payments", 0, []string{"model.dx.stg_k"}},
		{"mart payments", 2, []string{"model.dx.mart_c", "model.dx.mart_f"}}, // two marts by name outrank a description
		{"x' OR 1=1 --", 0, nil},
		{"", 0, nil},
	} {
		got, err := r.Search(ctx, tc.text, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, n := range got.Nodes {
			ids = append(ids, n.UniqueID)
		}
		if len(ids) != len(tc.want) || (len(ids) > 0 && (ids[0] != tc.want[0] || ids[len(ids)-1] != tc.want[len(tc.want)-1])) {
			t.Errorf("Search(%q) = %v, want %v", tc.text, ids, tc.want)
		}
	}
}
