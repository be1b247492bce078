package queries

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// freshNow is the clock of the data-as-of fixture.
var freshNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// freshnessFixture is a warehouse whose data-as-of is worked out by hand:
//
//	source app.events   — stopped loading 3 days ago (last load Dec 3 12:00; freshness error, error after 1 day)
//	source app.users    — loaded 30 minutes ago (11:30; freshness pass)
//	source crm.accounts — no freshness check at all
//	m_events   reads app.events    built hourly, last at 11:05 → its data stops at Dec 3 12:00 (stale)
//	m_users    reads app.users     built hourly, last at 11:05 → its data is as of 11:05, its own build (fresh)
//	m_both     reads m_events and m_users → Dec 3 12:00, limited by app.events through m_events (stale)
//	m_accounts reads crm.accounts  built hourly → unknown: nothing says when crm.accounts was last loaded
//	exposures: events_board (needs 12 h) on m_both, users_board (needs 1 d) on m_users, accounts_board on
//	m_accounts; a WARN test fails on m_accounts.
func freshnessFixture() Fixture {
	const pkg = "shop"
	model := func(name string, parents ...string) Row {
		deps := "["
		for i, p := range parents {
			if i > 0 {
				deps += ","
			}
			deps += `"` + p + `"`
		}
		return Row{"unique_id": "model.shop." + name, "name": name, "alias": name, "package_name": pkg, "owner": `["@owner_` + name + `"]`,
			"meta": "{}", "tags": "[]", "depends_on_nodes": deps + "]", "generated_at": "2026-11-01 00:00:00",
			"schema_name": "analytics", "database_name": "DW", "group_name": "growth"}
	}
	source := func(src, name string) Row {
		return Row{"unique_id": "source.shop." + src + "." + name, "source_name": src, "name": name, "schema_name": src,
			"package_name": pkg, "owner": `["@ingest"]`, "freshness_error_after": `{"count": 1, "period": "day"}`}
	}
	exposure := func(name, meta string, parent string) Row {
		return Row{"unique_id": "exposure.shop." + name, "name": name, "label": name, "type": "dashboard",
			"owner_email": name + "@acme.com", "package_name": pkg, "meta": meta, "depends_on_nodes": `["` + parent + `"]`}
	}
	f := Fixture{
		"dbt_sources": {source("app", "events"), source("app", "users"), source("crm", "accounts")},
		"dbt_models": {model("m_events", "source.shop.app.events"), model("m_users", "source.shop.app.users"),
			model("m_both", "model.shop.m_events", "model.shop.m_users"), model("m_accounts", "source.shop.crm.accounts")},
		"dbt_exposures": {
			exposure("events_board", `{"freshness": {"count": 12, "period": "hour"}}`, "model.shop.m_both"),
			exposure("users_board", `{"freshness": "1d"}`, "model.shop.m_users"),
			exposure("accounts_board", `{}`, "model.shop.m_accounts")},
		"dbt_tests": {{"unique_id": "test.shop.accepted_values_m_accounts_kind.1", "name": "accepted_values_m_accounts_kind",
			"short_name": "accepted_values", "severity": "WARN", "package_name": pkg,
			"depends_on_nodes": `["model.shop.m_accounts"]`, "parent_model_unique_id": "model.shop.m_accounts"}},
	}
	// Every model is built every hour for two days, the last time at 11:05.
	for h := 47; h >= 0; h-- {
		at := freshNow.Add(-time.Duration(h)*time.Hour - 55*time.Minute)
		inv := fmt.Sprintf("inv-%02d", h)
		f["dbt_invocations"] = append(f["dbt_invocations"], Row{"invocation_id": inv, "created_at": at.Add(time.Minute),
			"run_started_at": at.Add(-5 * time.Minute).Format(time.RFC3339), "command": "build", "job_name": "hourly"})
		for _, m := range []string{"m_events", "m_users", "m_both", "m_accounts"} {
			f["dbt_run_results"] = append(f["dbt_run_results"], run(inv, "model.shop."+m, "success",
				at.Format(time.RFC3339), at.Format("2006-01-02 15:04:05"), nil))
		}
	}
	fresh := func(id, status string, loaded, checked time.Time) Row {
		return Row{"source_freshness_execution_id": "fr." + id + checked.Format("1504"), "unique_id": id, "status": status,
			"max_loaded_at": loaded.Format(time.RFC3339), "snapshotted_at": checked.Format(time.RFC3339),
			"generated_at": checked.Format("2006-01-02 15:04:05"), "created_at": checked,
			"error_after": `{"count": 1, "period": "day"}`}
	}
	f["dbt_source_freshness_results"] = []Row{
		fresh("source.shop.app.events", "error", time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), freshNow.Add(-50*time.Minute)),
		fresh("source.shop.app.users", "pass", freshNow.Add(-30*time.Minute), freshNow.Add(-20*time.Minute)),
	}
	f["elementary_test_results"] = []Row{result("r-acc", "test.shop.accepted_values_m_accounts_kind.1",
		"model.shop.m_accounts", "inv-00", "warn", freshNow.Add(-50*time.Minute), Row{"severity": "WARN"})}
	return f
}

// TestDataAsOf: each node's data-as-of, limit, chain and verdict, worked out by hand (freshnessFixture), on the
// mirror loaded directly and synced from SQLite and PostgreSQL warehouses.
func TestDataAsOf(t *testing.T) {
	opts := ReaderOptions{Now: func() time.Time { return freshNow }}
	forEachFixture(t, freshnessFixture(), opts, func(t *testing.T, r *Reader, db *localdb.DB) {
		ctx := context.Background()
		dec3 := "2026-12-03T12:00:00Z"
		for _, tc := range []struct {
			node, asOf, limit, kind, verdict string
			chain                            []string
		}{
			{"app.events", dec3, "source.shop.app.events", "stopped_loading", "stale", []string{"source.shop.app.events"}},
			{"crm.accounts", "", "source.shop.crm.accounts", "not_checked", "unknown", []string{"source.shop.crm.accounts"}},
			{"m_events", dec3, "source.shop.app.events", "stopped_loading", "stale",
				[]string{"source.shop.app.events", "model.shop.m_events"}},
			{"m_users", "2026-12-06T11:05:00Z", "model.shop.m_users", "built", "fresh", []string{"model.shop.m_users"}},
			{"m_both", dec3, "source.shop.app.events", "stopped_loading", "stale",
				[]string{"source.shop.app.events", "model.shop.m_events", "model.shop.m_both"}},
			{"m_accounts", "", "source.shop.crm.accounts", "not_checked", "unknown",
				[]string{"source.shop.crm.accounts", "model.shop.m_accounts"}},
			{"events_board", dec3, "source.shop.app.events", "stopped_loading", "stale",
				[]string{"source.shop.app.events", "model.shop.m_events", "model.shop.m_both", "exposure.shop.events_board"}},
			{"users_board", "2026-12-06T11:05:00Z", "model.shop.m_users", "built", "fresh",
				[]string{"model.shop.m_users", "exposure.shop.users_board"}},
		} {
			st, err := r.Status(ctx, tc.node)
			if err != nil {
				t.Fatal(err)
			}
			d := st.Data
			if d == nil {
				t.Fatalf("%s: no data as of", tc.node)
			}
			asOf := ""
			if d.AsOf != nil {
				asOf = d.AsOf.UTC().Format(time.RFC3339)
			}
			got := fmt.Sprintf("%s %s %s %s %v", asOf, d.LimitedBy.UniqueID, d.LimitedBy.Kind, d.Verdict, d.Chain)
			want := fmt.Sprintf("%s %s %s %s %v", tc.asOf, tc.limit, tc.kind, tc.verdict, tc.chain)
			eq(t, tc.node, got, want)
		}
		// What depends on the stale source is stale, however healthy: every model and exposure on it.
		down, err := r.Downstream(ctx, "app.events")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range down.Downstream {
			if l.Data == nil || l.Data.Verdict != DataStale || l.Health != HealthOK {
				t.Errorf("%s downstream of a stale source: health %s, data %+v", l.UniqueID, l.Health, l.Data)
			}
		}
		// "Is m_both up to date?" answers about m_both.
		fr, err := r.Freshness(ctx, "m_both")
		if err != nil {
			t.Fatal(err)
		}
		if fr.Node == nil || fr.Node.UniqueID != "model.shop.m_both" || fr.Data == nil || fr.Data.Verdict != DataStale {
			t.Errorf("freshness of m_both: %+v", fr)
		}
	})
}

// TestSafe: each exposure's verdict and reasons, worked out by hand (freshnessFixture): events_board is unsafe (its
// data is 3 days old for a 12-hour need, and its source stopped loading), users_board is safe (its data is 55 minutes
// old for a 1-day need), accounts_board is to be used with caution (no freshness check on crm.accounts, a test warns).
func TestSafe(t *testing.T) {
	opts := ReaderOptions{Now: func() time.Time { return freshNow }}
	forEachFixture(t, freshnessFixture(), opts, func(t *testing.T, r *Reader, db *localdb.DB) {
		ctx := context.Background()
		for _, tc := range []struct {
			node, verdict, since string
			reasons              []string
			ask                  []string
		}{
			{"events_board", "unsafe", "2026-12-04T00:00:00Z",
				[]string{"data_too_old:source.shop.app.events", "source_stopped:source.shop.app.events"},
				[]string{"@ingest", "events_board@acme.com"}},
			{"users_board", "safe", "", []string{}, []string{"users_board@acme.com"}},
			{"accounts_board", "caution", "2026-12-06T11:10:00Z",
				[]string{"tests_warning:test.shop.accepted_values_m_accounts_kind.1", "data_unknown:source.shop.crm.accounts"},
				[]string{"@owner_m_accounts", "@ingest", "accounts_board@acme.com"}},
		} {
			a, err := r.Safe(ctx, tc.node)
			if err != nil {
				t.Fatal(err)
			}
			var reasons []string
			for _, x := range a.Reasons {
				reasons = append(reasons, string(x.Code)+":"+x.UniqueID)
			}
			since := ""
			if a.Since != nil {
				since = a.Since.UTC().Format(time.RFC3339)
			}
			eq(t, tc.node+" verdict", string(a.Verdict), tc.verdict)
			eq(t, tc.node+" reasons", fmt.Sprint(reasons), fmt.Sprint(tc.reasons))
			eq(t, tc.node+" since", since, tc.since)
			eq(t, tc.node+" ask", fmt.Sprint(a.Ask), fmt.Sprint(tc.ask))
		}
	})
}
