package escalation

import (
	"context"
	"database/sql"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// mirrorState is the mirror's current failures, written straight into the derived tables.
type mirrorState struct {
	tests   map[string]string // test unique_id → latest status
	runs    map[string]string // model → latest run status
	sources map[string]string // source → latest freshness status
}

func writeMirror(t *testing.T, ctx context.Context, db *sql.DB, inv string, st mirrorState) {
	t.Helper()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`DELETE FROM test_latest`)
	exec(`DELETE FROM node_last_run`)
	exec(`DELETE FROM source_freshness_latest`)
	for id, status := range st.tests {
		rid := inv + "/" + id
		exec(`INSERT OR REPLACE INTO elementary_test_results (id, test_unique_id, model_unique_id, invocation_id, detected_at, created_at,
			column_name, test_type, test_sub_type, status) VALUES (?, ?, 'model.shop.orders', ?, '2026-03-10T09:00:00.000000Z', '2026-03-10T09:00:00.000000Z',
			'id', 'dbt_test', 'generic', ?)`, rid, id, inv, status)
		exec(`INSERT INTO test_latest (test_unique_id, result_id, invocation_id, detected_at, status, column_name, message)
			VALUES (?, ?, ?, '2026-03-10T09:00:00.000000Z', ?, 'id', 'got 3 results'||char(10)||'select ...')`, id, rid, inv, status)
	}
	for id, status := range st.runs {
		mid := inv + "/" + id
		exec(`INSERT OR REPLACE INTO dbt_run_results (model_execution_id, unique_id, invocation_id, created_at, status, message)
			VALUES (?, ?, ?, '2026-03-10T09:00:00.000000Z', ?, 'Database Error'||char(10)||'relation missing')`, mid, id, inv, status)
		exec(`INSERT INTO node_last_run (unique_id, model_execution_id, status) VALUES (?, ?, ?)`, id, mid, status)
	}
	for id, status := range st.sources {
		fid := inv + "/" + id
		exec(`INSERT OR REPLACE INTO dbt_source_freshness_results (source_freshness_execution_id, unique_id, created_at, status, invocation_id)
			VALUES (?, ?, '2026-03-10T09:00:00.000000Z', ?, ?)`, fid, id, status, inv)
		exec(`INSERT INTO source_freshness_latest (unique_id, execution_id, status) VALUES (?, ?, ?)`, id, fid, status)
	}
	// As a sync records it: the mirror read the warehouse now, after any read before it.
	exec(`INSERT INTO sync_runs (started_at, finished_at, ok) SELECT
		strftime('%Y-%m-%dT%H:%M:%S.000000Z', '2026-03-10 09:00:00', '+' || (COUNT(*) + 1) || ' minutes'),
		strftime('%Y-%m-%dT%H:%M:%S.000000Z', '2026-03-10 09:00:00', '+' || (COUNT(*) + 1) || ' minutes'), 1
		FROM sync_runs`)
}

// seededState opens a new state database whose mirror holds four nodes of teams core and growth, their tests and
// edr monitor's alerts on two of them, with its incident store and read model.
func seededState(t *testing.T) (*localdb.DB, *Store, *queries.Reader) {
	t.Helper()
	db := localdbtest.Open(t, "")
	for _, q := range []string{
		`INSERT INTO nodes (unique_id, resource_type, name, name_key, owners, tags, meta_team) VALUES
			('source.shop.raw.orders', 'source', 'raw.orders', 'orders', '[]', '[]', 'core'),
			('model.shop.stg_orders', 'model', 'stg_orders', 'stg_orders', '["ana@x.io"]', '[]', 'core'),
			('model.shop.orders', 'model', 'orders', 'orders', '["ana@x.io"]', '["finance"]', 'core'),
			('model.mkt.campaigns', 'model', 'campaigns', 'campaigns', '["bo@x.io"]', '[]', 'growth')`,
		`INSERT INTO node_edges (parent, child) VALUES ('source.shop.raw.orders', 'model.shop.stg_orders'),
			('model.shop.stg_orders', 'model.shop.orders')`,
		`INSERT INTO dbt_tests (unique_id, name, parent_model_unique_id) VALUES
			('test.shop.not_null_orders_id', 'not_null_orders_id', 'model.shop.orders'),
			('test.shop.unique_orders_id', 'unique_orders_id', 'model.shop.orders'),
			('test.mkt.not_null_campaigns_id', 'not_null_campaigns_id', 'model.mkt.campaigns')`,
		`INSERT INTO alerts_v2 (alert_id, alert_class_id, updated_at, status, detected_at) VALUES
			('edr-1', 'test.shop.not_null_orders_id.id.generic', '2026-03-10T09:00:00.000000Z', 'sent', '2026-03-10T09:00:00.000000Z'),
			('edr-2', 'test.shop.unique_orders_id.id.generic', '2026-03-10T09:00:00.000000Z', 'pending', '2026-03-10T09:00:00.000000Z')`,
	} {
		if _, err := db.Write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db, NewStore(db), queries.NewReader(db, queries.ReaderOptions{})
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	db, store, mirror := seededState(t)
	policies := map[string]Policy{"core": testPolicy(), "growth": func() Policy { p := testPolicy(); p.IncludeWarn = true; return p }()}
	policyFor := func(team string) (Policy, bool) { p, ok := policies[team]; return p, ok }

	type want struct {
		opened, resolved []string
		groups           map[string]int // team/invocation → count
	}
	keys := func(incs []Incident) []string {
		var out []string
		for _, i := range incs {
			out = append(out, i.Key)
		}
		sort.Strings(out)
		return out
	}
	steps := []struct {
		name  string
		inv   string
		state mirrorState
		want  want
	}{
		{name: "failures open incidents, grouped per team and invocation; warn only where the policy says", inv: "inv1",
			state: mirrorState{
				tests: map[string]string{"test.shop.not_null_orders_id": "fail", "test.shop.unique_orders_id": "warn",
					"test.mkt.not_null_campaigns_id": "warn"},
				runs: map[string]string{"model.shop.stg_orders": "error", "model.mkt.campaigns": "success"},
			},
			want: want{opened: []string{"model.shop.stg_orders", "test.mkt.not_null_campaigns_id.id.generic", "test.shop.not_null_orders_id.id.generic"},
				groups: map[string]int{"core/inv1": 2, "growth/inv1": 1}}},
		{name: "still failing: nothing new", inv: "inv2",
			state: mirrorState{
				tests: map[string]string{"test.shop.not_null_orders_id": "error", "test.mkt.not_null_campaigns_id": "warn"},
				runs:  map[string]string{"model.shop.stg_orders": "error"},
			},
			want: want{groups: map[string]int{}}},
		{name: "model runs and test passes: resolved; source goes stale", inv: "inv3",
			state: mirrorState{
				tests:   map[string]string{"test.shop.not_null_orders_id": "pass", "test.mkt.not_null_campaigns_id": "warn"},
				runs:    map[string]string{"model.shop.stg_orders": "success"},
				sources: map[string]string{"source.shop.raw.orders": "error"},
			},
			want: want{opened: []string{"source.shop.raw.orders"}, resolved: []string{"model.shop.stg_orders", "test.shop.not_null_orders_id.id.generic"},
				groups: map[string]int{"core/inv3": 1}}},
	}
	for i, st := range steps {
		writeMirror(t, ctx, db.Write, st.inv, st.state)
		now := t0.Add(time.Duration(i) * time.Hour)
		res, err := Engine{Store: store}.Reconcile(ctx, mirror, policyFor, now)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := keys(res.Opened); !reflect.DeepEqual(got, st.want.opened) {
			t.Errorf("%s: opened %q, want %q", st.name, got, st.want.opened)
		}
		if got := keys(res.Resolved); !reflect.DeepEqual(got, st.want.resolved) {
			t.Errorf("%s: resolved %q, want %q", st.name, got, st.want.resolved)
		}
		groups := map[string]int{}
		for _, g := range res.Groups {
			groups[g.Team+"/"+g.InvocationID] = len(g.Incidents)
		}
		if !reflect.DeepEqual(groups, st.want.groups) {
			t.Errorf("%s: groups %v, want %v", st.name, groups, st.want.groups)
		}
		for _, inc := range res.Resolved {
			if inc.Resolution != ResolutionCleared || inc.ResolvedBy != "todai" || inc.ClearedBy != st.inv {
				t.Errorf("%s: %s resolved %s by %q, cleared by %q; want cleared by todai in %s", st.name, inc.Key,
					inc.Resolution, inc.ResolvedBy, inc.ClearedBy, st.inv)
			}
		}
		if i == 0 {
			for _, inc := range res.Opened {
				switch inc.Key {
				case "test.shop.not_null_orders_id.id.generic":
					if inc.ElementaryAlertID != "edr-1" || inc.Summary != "got 3 results" || inc.NodeID != "model.shop.orders" || inc.Team != "core" {
						t.Errorf("test incident = %+v", inc)
					}
				case "model.shop.stg_orders":
					if inc.Kind != KindModel || inc.Summary != "Database Error" || !reflect.DeepEqual(inc.Owners, []string{"ana@x.io"}) {
						t.Errorf("model incident = %+v", inc)
					}
				case "test.mkt.not_null_campaigns_id.id.generic":
					if inc.Severity != SeverityWarn || inc.Team != "growth" {
						t.Errorf("warn incident = %+v", inc)
					}
				}
			}
		}
	}
}

// edr monitor usually runs after the dbt job, so its alert lands in the mirror a sync or two after the failure:
// Reconcile links it to the incident still waiting for its first notice, and never an alert of an older occurrence.
func TestReconcileLinksALateElementaryAlert(t *testing.T) {
	ctx := context.Background()
	db, store, mirror := seededState(t)
	policyFor := func(string) (Policy, bool) { return testPolicy(), true }
	insertAlert := func(id, class, detected string) {
		t.Helper()
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO alerts_v2 (alert_id, alert_class_id, updated_at, status, detected_at)
			VALUES (?, ?, ?, 'sent', ?)`, id, class, detected, detected); err != nil {
			t.Fatal(err)
		}
	}
	// An alert of an earlier failure of the same model, a day before.
	insertAlert("edr-old", "model.shop.stg_orders", "2026-03-09T09:00:00.000000Z")
	writeMirror(t, ctx, db.Write, "inv1", mirrorState{runs: map[string]string{"model.shop.stg_orders": "error", "model.mkt.campaigns": "error"}})

	res, err := Engine{Store: store}.Reconcile(ctx, mirror, policyFor, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Opened) != 2 {
		t.Fatalf("opened %d incidents, want 2", len(res.Opened))
	}
	byKey := map[string]Incident{}
	for _, inc := range res.Opened {
		if inc.ElementaryAlertID != "" {
			t.Errorf("%s linked to %q: that alert is of an older failure", inc.Key, inc.ElementaryAlertID)
		}
		if want := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC); !inc.DetectedAt.Equal(want) {
			t.Errorf("%s detected at %v, want the run's %v", inc.Key, inc.DetectedAt, want)
		}
		byKey[inc.Key] = inc
	}
	// campaigns gets its first notice before edr monitor alerts on it.
	camp := byKey["model.mkt.campaigns"]
	if claimed, err := store.ClaimSends(ctx, []SendKey{{Incident: camp.ID, Level: 1}}, t0); err != nil || !claimed[SendKey{Incident: camp.ID, Level: 1}] {
		t.Fatalf("ClaimSends: %v %v", claimed, err)
	}

	// edr monitor runs: both models alerted.
	insertAlert("edr-new", "model.shop.stg_orders", "2026-03-10T09:01:00.000000Z")
	insertAlert("edr-camp", "model.mkt.campaigns", "2026-03-10T09:01:00.000000Z")
	if _, err := (Engine{Store: store}).Reconcile(ctx, mirror, policyFor, t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	stg, err := store.Get(ctx, byKey["model.shop.stg_orders"].ID)
	if err != nil {
		t.Fatal(err)
	}
	if stg.ElementaryAlertID != "edr-new" {
		t.Errorf("waiting incident linked to %q, want edr-new", stg.ElementaryAlertID)
	}
	evs, err := store.Timeline(ctx, stg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Event != "elementary_alert" || last.Detail != "edr-new" || last.Actor != "edr monitor" {
		t.Errorf("last event = %+v", last)
	}
	if got, _ := store.Get(ctx, camp.ID); got.ElementaryAlertID != "" {
		t.Errorf("an incident already notified was linked to %q", got.ElementaryAlertID)
	}

	inUse, err := mirror.ElementaryInUse(ctx, time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC))
	if err != nil || !inUse {
		t.Errorf("ElementaryInUse two days after an alert = %v, %v", inUse, err)
	}
	if inUse, _ := mirror.ElementaryInUse(ctx, time.Date(2026, 4, 12, 0, 0, 0, 0, time.UTC)); inUse {
		t.Error("ElementaryInUse a month after the last alert")
	}
}

// TestElementaryAlertsSchemaChange: a schema-change test is keyed by the test alone, but edr's alert_class_id for it
// is <test_unique_id>.<column>.<sub_type>; the alert still links. Prefixes link only such bare test keys: a model
// key never links to another model's alert (model.x.dim.v2 after model.x.dim).
func TestElementaryAlertsSchemaChange(t *testing.T) {
	ctx := context.Background()
	db := localdbtest.Open(t, "")
	for _, a := range []struct{ id, class string }{
		{"edr-schema", "test.shop.elementary_schema_changes_orders_.1a2b3c4d5e.discount.column_added"},
		{"edr-dim-v2", "model.shop.dim_customers.v2"},
		{"edr-notnull", "test.shop.not_null_orders_id.abc.id.generic"},
	} {
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO alerts_v2 (alert_id, alert_class_id, updated_at, status,
			detected_at) VALUES (?, ?, ?, 'sent', ?)`, a.id, a.class, "2026-03-10T09:01:00.000000Z",
			"2026-03-10T09:01:00.000000Z"); err != nil {
			t.Fatal(err)
		}
	}
	since := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	got, err := queries.NewReader(db, queries.ReaderOptions{}).ElementaryAlerts(ctx, map[string]time.Time{
		"test.shop.elementary_schema_changes_orders_.1a2b3c4d5e": since,
		"model.shop.dim_customers":                               since,
		"test.shop.not_null_orders_id.abc.id.generic":            since,
		"test.shop.not_null_orders_id.abc.None.None":             since,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"test.shop.elementary_schema_changes_orders_.1a2b3c4d5e": "edr-schema",
		"test.shop.not_null_orders_id.abc.id.generic":            "edr-notnull",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ElementaryAlerts = %v, want %v", got, want)
	}
}
