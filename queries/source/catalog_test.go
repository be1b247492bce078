package source

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/todai-dev/todai/queries/elementary"
)

// fullCatalog has every Elementary table with every column Todai reads.
func fullCatalog() Catalog {
	c := Catalog{}
	for _, t := range elementary.Tables() {
		c[t.Name] = map[string]bool{}
		for _, col := range t.Columns {
			c[t.Name][col.Name] = true
		}
	}
	return c
}

func TestCheckCatalog(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(Catalog)
		missing []MissingColumn
		absent  []string
		none    bool
		dropped []string // tables not in the returned catalog
	}{
		{name: "complete", edit: func(Catalog) {}},
		{name: "optional tables and columns may be missing", edit: func(c Catalog) {
			delete(c, "alerts_v2")
			delete(c, "dbt_groups")
			delete(c["dbt_models"], "group_name")
		}, dropped: []string{"alerts_v2", "dbt_groups"}},
		{name: "required column missing", edit: func(c Catalog) {
			delete(c["dbt_models"], "unique_id")
			delete(c["dbt_run_results"], "status")
			delete(c["dbt_run_results"], "created_at")
		}, missing: []MissingColumn{{"dbt_models", "unique_id"}, {"dbt_run_results", "created_at"}, {"dbt_run_results", "status"}},
			dropped: []string{"dbt_models", "dbt_run_results"}},
		{name: "table absent", edit: func(c Catalog) { delete(c, "dbt_exposures") },
			absent: []string{"dbt_exposures"}, dropped: []string{"dbt_exposures"}},
		{name: "nothing", edit: func(c Catalog) {
			for k := range c {
				delete(c, k)
			}
		}, none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fullCatalog()
			tt.edit(in)
			got, err := CheckCatalog(in)
			if len(tt.missing) == 0 && len(tt.absent) == 0 && !tt.none {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
			} else {
				var se *SchemaError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want *SchemaError", err)
				}
				if !reflect.DeepEqual(se.Missing, tt.missing) {
					t.Errorf("Missing = %v, want %v", se.Missing, tt.missing)
				}
				if tt.absent != nil && !reflect.DeepEqual(se.AbsentTables, tt.absent) {
					t.Errorf("AbsentTables = %v, want %v", se.AbsentTables, tt.absent)
				}
				if se.NoTables != tt.none {
					t.Errorf("NoTables = %v", se.NoTables)
				}
				for _, m := range tt.missing {
					if !strings.Contains(err.Error(), m.Table+" lacks "+m.Column) {
						t.Errorf("message %q does not say %s lacks %s", err, m.Table, m.Column)
					}
				}
			}
			for _, d := range tt.dropped {
				if _, ok := got[d]; ok {
					t.Errorf("%s should not be in the catalog", d)
				}
			}
			if !tt.none && len(got) != len(elementary.Tables())-len(tt.dropped) {
				t.Errorf("catalog has %d tables, want %d", len(got), len(elementary.Tables())-len(tt.dropped))
			}
		})
	}
}
