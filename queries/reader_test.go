package queries

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
)

// fixtureReader builds a Reader over the fixture loaded directly (loadMirror); for tests of loader-specific
// behaviour. Known-answer tests use forEachWarehouse.
func fixtureReader(t *testing.T, teams Teams) (*Reader, *localdb.DB) {
	t.Helper()
	db := openMirror(t)
	loadMirror(t, db, fixture())
	return NewReader(db, ReaderOptions{Teams: teams, Now: func() time.Time { return fixtureNow }}), db
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func ts(s string) time.Time {
	t, ok := elementary.ParseTimestamp(s)
	if !ok {
		panic(s)
	}
	return t
}

func lineageIDs(l []LineageNode) []string {
	out := []string{}
	for _, n := range l {
		out = append(out, n.UniqueID+"@"+string(n.Health)+"#"+string(rune('0'+n.Depth)))
	}
	return out
}

func testIDs(l []TestState) []string {
	out := []string{}
	for _, x := range l {
		out = append(out, x.UniqueID+"="+x.Status)
	}
	return out
}

func TestResolve(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, db *localdb.DB) {
		ctx := context.Background()
		cases := []struct {
			name      string
			want      string
			ambiguous []string
			notFound  bool
			suggest   string
		}{
			{name: "orders", want: "model.shop.orders"}, // a model beats the source named orders
			{name: "ORDERS", want: "model.shop.orders"},
			{name: "stripe.orders", want: "source.shop.stripe.orders"},
			{name: "Stripe.Payments", want: "source.shop.stripe.payments"},
			{name: "payments", want: "source.shop.stripe.payments"},
			{name: "MODEL.SHOP.ORDERS", want: "model.shop.orders"},
			{name: "staging.stg_orders_v", want: "model.shop.stg_orders"},
			{name: "staging.stg_orders", want: "model.shop.stg_orders"},
			{name: "stg_orders_v", want: "model.shop.stg_orders"}, // alias
			{name: "prod.orders", want: "model.shop.orders"},
			{name: "orders_snapshot", want: "snapshot.shop.orders_snapshot"},
			{name: "weekly_kpis", want: "exposure.shop.weekly_kpis"},
			{name: "country_codes", want: "seed.shop.country_codes"},
			{name: "dup", ambiguous: []string{"model.ext.dup", "model.shop.dup"}},
			{name: "model.ext.dup", want: "model.ext.dup"},
			{name: "ext.dup", want: "model.ext.dup"},
			{name: "dbt_run_results", notFound: true},                                            // Elementary's own
			{name: "model.elementary.dbt_run_results", want: "model.elementary.dbt_run_results"}, // by exact id only
			{name: "MODEL.ELEMENTARY.DBT_RUN_RESULTS", want: "model.elementary.dbt_run_results"},
			{name: "elementary.dbt_run_results", notFound: true},
			// Tests: by unique_id and by name; suggested; a test of Elementary's own models is never found.
			{name: "test.shop.not_null_orders_id.aaa", want: "test.shop.not_null_orders_id.aaa"},
			{name: "not_null_orders_id", want: "test.shop.not_null_orders_id.aaa"},
			{name: "Unique_Revenue_Day", want: "test.shop.unique_revenue_day.fff"},
			{name: "not_null_orders", notFound: true, suggest: "test.shop.not_null_orders_id.aaa"},
			{name: "not_null_dbt_run_results_id", notFound: true},
			{name: "test.elementary.not_null_dbt_run_results_id.eee", notFound: true},
			{name: "ordrs", notFound: true, suggest: "model.shop.orders"},
			{name: "custmers", notFound: true, suggest: "model.shop.customers"},
			{name: "revenu", notFound: true, suggest: "model.shop.revenue"},
			{name: "orders'; DROP TABLE nodes; --", notFound: true},
			{name: "", notFound: true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				n, err := r.Resolve(ctx, c.name)
				var amb *AmbiguousError
				var nf *NotFoundError
				switch {
				case c.ambiguous != nil:
					if !errors.As(err, &amb) {
						t.Fatalf("err = %v, want ambiguous", err)
					}
					eq(t, "candidates", amb.Candidates, c.ambiguous)
				case c.notFound:
					if !errors.As(err, &nf) {
						t.Fatalf("err = %v, want not found", err)
					}
					if len(nf.Suggestions) > 3 {
						t.Errorf("suggestions %v: more than 3", nf.Suggestions)
					}
					if c.suggest != "" && (len(nf.Suggestions) == 0 || nf.Suggestions[0] != c.suggest) {
						t.Errorf("suggestions = %v, want first %s", nf.Suggestions, c.suggest)
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					eq(t, "unique_id", n.UniqueID, c.want)
				}
			})
		}
		var count int
		if err := db.Read.QueryRow(`SELECT count(*) FROM nodes`).Scan(&count); err != nil || count != 14 {
			t.Errorf("nodes = %d, %v; want 14 (Elementary's own hidden)", count, err)
		}
	})
}

func TestStatus(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		cases := []struct {
			name      string
			health    Health
			lastRun   string // invocation.status
			tests     []string
			freshness []string
		}{
			{"orders", HealthFailing, inv3 + ".success",
				[]string{"test.shop.not_null_orders_id.aaa=fail", "test.shop.relationships_orders_customer_id.bbb=warn"}, nil},
			// the multi-parent test counts for customers too; the skipped last run makes it warn.
			{"customers", HealthWarn, inv3 + ".skipped", []string{"test.shop.relationships_orders_customer_id.bbb=warn"}, nil},
			// anomaly test: the worst row of the newest invocation (warn), not the older failing ones.
			{"stg_orders", HealthWarn, inv3 + ".success", []string{"test.shop.elementary_volume_anomalies_stg_orders.ccc=warn"},
				[]string{"source.shop.stripe.payments=error"}},
			// skipped test results are no result; the run error wins.
			{"revenue", HealthError, inv3 + ".error", []string{"test.shop.unique_revenue_day.fff=skipped"}, nil},
			// freshness error makes a source stale, not error (its freshness run rows are no model runs).
			{"stripe.payments", HealthStale, inv3 + ".error", []string{"test.shop.source_not_null_stripe_payments_id.ddd=pass"},
				[]string{"source.shop.stripe.payments=error"}},
			{"stripe.orders", HealthWarn, "", []string{}, []string{"source.shop.stripe.orders=warn"}},
			{"crm.accounts", HealthStale, "", []string{}, []string{"source.shop.crm.accounts=runtime error"}},
			{"orders_snapshot", HealthOK, inv3 + ".success", []string{}, nil},
			{"country_codes", HealthUnknown, "", []string{}, nil},
			{"weekly_kpis", HealthUnknown, "", []string{}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, err := r.Status(ctx, c.name)
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "health", a.Health, c.health)
				got := ""
				if a.LastRun != nil {
					got = a.LastRun.InvocationID + "." + a.LastRun.Status
				}
				eq(t, "last run", got, c.lastRun)
				eq(t, "tests", testIDs(a.Tests), c.tests)
				var fr []string
				for _, f := range a.Freshness {
					fr = append(fr, f.UniqueID+"="+f.Status)
				}
				eq(t, "freshness", fr, c.freshness)
			})
		}
		a, err := r.Status(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "completed", a.LastRun.CompletedAt.Format(time.RFC3339), "2024-05-10T06:05:00Z")
		eq(t, "invocation", *a.LastRun.Invocation, Invocation{ID: inv3, JobName: "nightly", Orchestrator: "airflow",
			Command: "build", Target: "prod", JobRunURL: "https://airflow/run/3"})
		eq(t, "test detail", a.Tests[0].Severity+"|"+a.Tests[0].Column+"|"+a.Tests[0].ShortName+"|"+a.Tests[0].Message,
			"ERROR|id|not_null|Got 7 results, configured to fail if != 0")
	})
}

func TestOwner(t *testing.T) {
	teams := Teams{Rules: []TeamRule{{Name: "core", Owners: []string{"alice"}},
		{Name: "money", Paths: []string{"marts/finance/**"}}}}
	forEachWarehouse(t, teams, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		cases := []struct {
			name   string
			owners []string
			team   string
			group  *Group
		}{
			// owner ∪ meta.owner (comma string), deduplicated case-insensitively, order kept.
			{"stg_orders", []string{"@alice", "bob@acme.com"}, "core", nil},
			// plain-string owner (old version); malformed meta ignored; team falls back to the group.
			{"orders", []string{"carol"}, "finance", &Group{Name: "finance", OwnerEmail: "finance-lead@acme.com", OwnerName: "Fin"}},
			// no owner: none, as in Elementary's alerts (since 0.25.1 Elementary writes the group's owner into the owner
			// column itself; older versions have no fallback); the group is answered apart; meta.team names the team.
			{"customers", []string{}, "growth", &Group{Name: "finance", OwnerEmail: "finance-lead@acme.com", OwnerName: "Fin"}},
			// NULL owner and group (version drift): no owners; path rule gives the team.
			{"revenue", []string{}, "money", nil},
			{"stripe.payments", []string{"@dave"}, "", nil},
			{"weekly_kpis", []string{"kpi@acme.com"}, "", nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, err := r.Owner(ctx, c.name)
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "owners", a.Owners, c.owners)
				eq(t, "team", a.Team, c.team)
				eq(t, "node team", a.Node.Team, c.team)
				eq(t, "group", a.Group, c.group)
			})
		}
		got, err := r.Teams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "teams", got, []string{"core", "finance", "growth", "money"})
		nodes, err := r.TeamNodes(ctx, "FINANCE")
		if err != nil || len(nodes) != 1 || nodes[0].UniqueID != "model.shop.orders" {
			t.Errorf("team nodes = %v, %v", nodes, err)
		}
	})
}

func TestLastRuns(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		cases := []struct {
			name  string
			limit int
			want  []string
		}{
			{"revenue", 0, []string{inv3 + ".error", inv2 + ".error", inv1 + ".success"}},
			{"stg_orders", 2, []string{inv3 + ".success", inv2 + ".success"}}, // duplicate collapsed
			// ordered by execute_completed_at, not by the late upload's generated_at.
			{"orders", 10, []string{inv3 + ".success", inv2 + ".success", inv1 + ".success"}},
			// the skipped run has no timing: generated_at orders it.
			{"customers", -1, []string{inv3 + ".skipped", inv2 + ".success"}},
			{"country_codes", 5, []string{}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, err := r.LastRuns(ctx, c.name, c.limit)
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, run := range a.Runs {
					got = append(got, run.InvocationID+"."+run.Status)
				}
				eq(t, "runs", got, c.want)
			})
		}
		a, err := r.LastRuns(ctx, "revenue", 1)
		if err != nil {
			t.Fatal(err)
		}
		if a.Runs[0].Message == nil || a.Runs[0].Invocation == nil || a.Runs[0].Invocation.JobName != "nightly" ||
			a.Runs[0].ExecutionTime == nil || *a.Runs[0].ExecutionTime != 1.5 {
			t.Errorf("run detail = %+v", a.Runs[0])
		}
	})
}

func TestFailures(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		const (
			t1 = "test.shop.not_null_orders_id.aaa"
			t2 = "test.shop.relationships_orders_customer_id.bbb"
			t3 = "test.shop.elementary_volume_anomalies_stg_orders.ccc"
			t4 = "test.shop.source_not_null_stripe_payments_id.ddd"
		)
		threeDays := fixtureNow.Add(-72 * time.Hour)
		// entry: test|status|latest|count|model|team
		cases := []struct {
			name  string
			q     FailuresQuery
			scope string
			want  []string
		}{
			{"everyone 72h", FailuresQuery{Since: threeDays}, "", []string{
				t3 + "|warn|warn|3|model.shop.stg_orders|",
				t2 + "|warn|warn|1|model.shop.orders|finance",
				t1 + "|fail|fail|2|model.shop.orders|finance",
				t4 + "|error|pass|1|source.shop.stripe.payments|"}},
			{"everyone default 24h", FailuresQuery{}, "", []string{
				t3 + "|warn|warn|1|model.shop.stg_orders|",
				t2 + "|warn|warn|1|model.shop.orders|finance",
				t1 + "|fail|fail|1|model.shop.orders|finance"}},
			{"multi-parent test on its second parent", FailuresQuery{Node: "customers", Since: threeDays},
				"model.shop.customers", []string{t2 + "|warn|warn|1|model.shop.customers|finance"}},
			{"source test", FailuresQuery{Node: "stripe.payments", Since: threeDays}, "source.shop.stripe.payments",
				[]string{t4 + "|error|pass|1|source.shop.stripe.payments|"}},
			{"team", FailuresQuery{Team: "team:growth", Since: threeDays}, "team:growth",
				[]string{t2 + "|warn|warn|1|model.shop.orders|growth"}},
			{"unknown team", FailuresQuery{Team: "nobody", Since: threeDays}, "team:nobody", []string{}},
			{"healthy node", FailuresQuery{Node: "orders_snapshot", Since: threeDays}, "snapshot.shop.orders_snapshot",
				[]string{}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, err := r.Failures(ctx, c.q)
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "scope", a.Scope, c.scope)
				got := []string{}
				for _, f := range a.Failures {
					got = append(got, strings.Join([]string{f.TestUniqueID, f.Status, f.LatestStatus,
						string(rune('0' + f.Count)), f.ModelUniqueID, f.Team}, "|"))
				}
				eq(t, "failures", got, c.want)
			})
		}
		a, err := r.Failures(ctx, FailuresQuery{Since: threeDays})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Failures {
			switch f.TestUniqueID {
			case t1:
				eq(t, "t1 failures", *f.Failures, int64(7))
				eq(t, "t1 detected", f.DetectedAt.Format(time.RFC3339), "2024-05-10T06:20:00Z")
				eq(t, "t1 owners", f.Owners, []string{"carol"})
				eq(t, "t1 severity", f.Severity, "ERROR")
			case t2:
				eq(t, "t2 owners", f.Owners, []string{"carol", "@erin"}) // test meta owner merged
			case t4:
				eq(t, "t4 owners", f.Owners, []string{"@dave"})
			}
		}
		if _, err := r.Failures(ctx, FailuresQuery{Node: "nope"}); !errors.As(err, new(*NotFoundError)) {
			t.Errorf("unknown node: %v", err)
		}
	})
}

func TestFreshness(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		cases := []struct {
			name string
			want []string
		}{
			{"", []string{"source.shop.stripe.payments=error", "source.shop.crm.accounts=runtime error",
				"source.shop.stripe.orders=warn"}},
			{"stripe.payments", []string{"source.shop.stripe.payments=error"}},
			{"revenue", []string{"source.shop.stripe.payments=error"}}, // sources upstream of a model
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, err := r.Freshness(ctx, c.name)
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, f := range a.Sources {
					got = append(got, f.UniqueID+"="+f.Status)
				}
				eq(t, "sources", got, c.want)
			})
		}
		a, err := r.Freshness(ctx, "payments")
		if err != nil {
			t.Fatal(err)
		}
		f := a.Sources[0]
		eq(t, "name", f.Name, "stripe.payments")
		eq(t, "criteria", f.WarnAfter+"/"+f.ErrorAfter, "12 hours/1 day")
		eq(t, "max loaded", f.MaxLoadedAt.Format(time.RFC3339), "2024-05-08T23:00:00Z")
		eq(t, "age", *f.AgeSeconds, 108000.0)
		a, err = r.Freshness(ctx, "crm.accounts")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "error", a.Sources[0].Error, "Database Error\npermission denied")
	})
}

func TestLineage(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		up, err := r.Upstream(ctx, "revenue")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "upstream", lineageIDs(up.Upstream), []string{"model.shop.customers@warn#1", "model.shop.orders@failing#1",
			"model.shop.stg_orders@warn#2", "source.shop.stripe.payments@stale#3"})
		down, err := r.Downstream(ctx, "stg_orders")
		if err != nil {
			t.Fatal(err)
		}
		// Elementary's own model depending on orders is hidden; the exposure is listed apart.
		eq(t, "downstream", lineageIDs(down.Downstream), []string{"model.shop.customers@warn#1",
			"model.shop.orders@failing#1", "snapshot.shop.orders_snapshot@ok#2", "model.shop.revenue@error#2"})
		if len(down.Exposures) != 1 || down.Exposures[0].UniqueID != "exposure.shop.weekly_kpis" ||
			down.Exposures[0].URL != "https://bi.acme.com/kpis" {
			t.Errorf("exposures = %+v", down.Exposures)
		}
		cyc, err := r.Upstream(ctx, "cyc_a")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "cycle", lineageIDs(cyc.Upstream), []string{"model.shop.cyc_b@unknown#1"})
		none, err := r.Downstream(ctx, "weekly_kpis")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "none", len(none.Downstream)+len(none.Exposures), 0)
	})
}

func TestDescribe(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		a, err := r.Describe(context.Background(), "orders")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "description", a.Description, "One row per order.")
		eq(t, "path", a.Path, "models/marts/orders.sql")
		eq(t, "materialization", a.Materialization, "table")
		eq(t, "relation", a.Relation, "ANALYTICS.prod.orders")
		eq(t, "tags", a.Tags, []string{"finance"}) // malformed JSON read as a plain string
		eq(t, "group", a.Group, "finance")
		eq(t, "meta", a.Meta, "{not json")
		eq(t, "columns", a.Columns, []ColumnDoc{})
		if len(a.Exposures) != 1 || a.Exposures[0].Name != "weekly_kpis" {
			t.Errorf("exposures = %+v", a.Exposures)
		}
		s, err := r.Describe(context.Background(), "stripe.payments")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "source relation", s.Relation, "RAW.stripe.PAYMENTS")
	})
}

func TestWhy(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		cases := []struct {
			name        string
			health      Health
			lastSuccess string
			since       float64
			failed      []string
			failing     []string
			causes      []string
		}{
			{"revenue", HealthError, inv1, fixtureNow.Sub(ts("2024-05-08T06:10:00Z")).Seconds(),
				[]string{inv3 + ".error", inv2 + ".error"}, []string{},
				// Its own error, and nothing upstream: orders' failing test and the stale source did not cause it.
				[]string{"run_error:model.shop.revenue:Database Error in model revenue"}},
			{"customers", HealthWarn, inv2, fixtureNow.Sub(ts("2024-05-09T06:06:00Z")).Seconds(),
				[]string{inv3 + ".skipped"}, []string{},
				// Nothing upstream failed in the invocation that skipped it: said so, with low confidence.
				[]string{"run_skipped:model.shop.customers:", "stale_source:source.shop.stripe.payments:freshness error"}},
			{"orders", HealthFailing, inv3, fixtureNow.Sub(ts("2024-05-10T06:05:00Z")).Seconds(), []string{},
				[]string{"test.shop.not_null_orders_id.aaa=fail"},
				[]string{"stale_source:source.shop.stripe.payments:freshness error"}},
			{"crm.accounts", HealthStale, "", -1, []string{}, []string{},
				[]string{"stale_source:source.shop.crm.accounts:freshness runtime error: Database Error"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, err := r.Why(ctx, c.name)
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "health", a.Health, c.health)
				got := ""
				if a.LastSuccess != nil {
					got = a.LastSuccess.InvocationID
				}
				eq(t, "last success", got, c.lastSuccess)
				if c.since >= 0 && (a.SinceLastOK == nil || *a.SinceLastOK != c.since) {
					t.Errorf("since = %v, want %v", a.SinceLastOK, c.since)
				}
				runs := []string{}
				for _, run := range a.FailedSince {
					runs = append(runs, run.InvocationID+"."+run.Status)
				}
				eq(t, "failed since", runs, c.failed)
				eq(t, "failing tests", testIDs(a.FailingTests), c.failing)
				causes := []string{}
				for _, k := range a.LikelyCauses {
					causes = append(causes, string(k.Kind)+":"+k.UniqueID+":"+str(k.Detail))
				}
				eq(t, "causes", causes, c.causes)
				for _, k := range a.LikelyCauses {
					if k.Kind == CauseStaleSource && k.UniqueID == "source.shop.stripe.payments" &&
						(k.LoadedAt == nil || !k.LoadedAt.Equal(ts("2024-05-08T23:00:00Z"))) {
						t.Errorf("stale source without its loader's age: %v", k.LoadedAt)
					}
				}
			})
		}
	})
}

func TestUrgency(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		cases := []struct {
			name        string
			urgency     string
			severity    string
			streak      int
			since       string
			downstream  int
			exposures   int
			criticality string
			reasons     []string
			axes        string // likelihood×impact=level decided by …; next action:node
		}{
			{"revenue", "high", "ERROR", 2, "2024-05-09T06:10:00Z", 0, 1, "P1",
				[]string{"run_error", "error_severity", "exposure_affected", "critical"},
				"high×high=HIGH by run_error,exposure_affected; fix_error:revenue"},
			{"orders", "high", "ERROR", 2, "2024-05-09T06:20:00Z", 2, 1, "",
				[]string{"tests_failing", "error_severity", "exposure_affected"},
				"high×high=HIGH by persistent_failure,exposure_affected; check_test:not_null_orders_id"},
			// Skipped (it did not build) while an exposure and a declared criticality depend on it.
			{"customers", "high", "WARN", 0, "", 1, 1, "high",
				[]string{"warn_only", "warn_severity", "exposure_affected", "critical"},
				"medium×high=HIGH by run_skipped,exposure_affected; check_run:customers"},
			{"stripe.payments", "high", "ERROR", 1, "2024-05-10T05:00:00Z", 5, 1, "",
				[]string{"source_stale", "error_severity", "exposure_affected"},
				"high×high=HIGH by source_stale,exposure_affected; check_loader:stripe.payments"},
			{"orders_snapshot", "none", "", 0, "", 0, 0, "", []string{}, "×=NONE by ; "},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, err := r.Urgency(ctx, c.name)
				if err != nil {
					t.Fatal(err)
				}
				eq(t, "urgency", a.Urgency, c.urgency)
				eq(t, "severity", a.Severity, c.severity)
				eq(t, "streak", a.Streak, c.streak)
				since := ""
				if a.FailingSince != nil {
					since = a.FailingSince.Format(time.RFC3339)
				}
				eq(t, "failing since", since, c.since)
				eq(t, "downstream", a.DownstreamCount, c.downstream)
				eq(t, "downstream listed", len(a.DownstreamModels), c.downstream)
				eq(t, "exposures", len(a.Exposures), c.exposures)
				eq(t, "criticality", a.Criticality, c.criticality)
				eq(t, "reasons", joinCodes(a.Reasons), strings.Join(c.reasons, ","))
				next := ""
				if a.Next != nil {
					next = string(a.Next.Action) + ":" + a.Next.Name
				}
				eq(t, "axes", a.Likelihood+"×"+a.Impact+"="+a.Level+" by "+joinCodes(a.DecidedBy)+"; "+next, c.axes)
			})
		}
	})
}

func TestEmptyMirror(t *testing.T) {
	db := openMirror(t)
	r := NewReader(db, ReaderOptions{})
	ctx := context.Background()
	calls := map[string]func() error{
		"status":     func() error { _, err := r.Status(ctx, "orders"); return err },
		"owner":      func() error { _, err := r.Owner(ctx, "orders"); return err },
		"runs":       func() error { _, err := r.LastRuns(ctx, "orders", 0); return err },
		"failures":   func() error { _, err := r.Failures(ctx, FailuresQuery{}); return err },
		"freshness":  func() error { _, err := r.Freshness(ctx, ""); return err },
		"upstream":   func() error { _, err := r.Upstream(ctx, "orders"); return err },
		"downstream": func() error { _, err := r.Downstream(ctx, "orders"); return err },
		"describe":   func() error { _, err := r.Describe(ctx, "orders"); return err },
		"why":        func() error { _, err := r.Why(ctx, "orders"); return err },
		"urgency":    func() error { _, err := r.Urgency(ctx, "orders"); return err },
		"resolve":    func() error { _, err := r.Resolve(ctx, "orders"); return err },
		"teams":      func() error { _, err := r.Teams(ctx); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.As(err, new(*UnavailableError)) {
				t.Errorf("err = %v, want UnavailableError", err)
			}
		})
	}
	info, err := r.SyncInfo(ctx)
	if err != nil || info != (SyncInfo{}) {
		t.Errorf("sync info = %+v, %v", info, err)
	}
	// A sync that landed with a table failed (a required column missing, say) makes the rest answerable.
	if _, err := db.Write.Exec(`INSERT INTO sync_runs (started_at, finished_at, ok, committed, error)
		VALUES ('2024-05-10T10:00:00.000000Z', '2024-05-10T10:01:00.000000Z', 0, 1, 'sync failed for alerts_v2')`); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Teams(ctx); errors.As(err, new(*UnavailableError)) {
		t.Errorf("after a sync that landed with a table failed: %v", err)
	}
}

func TestSyncInfo(t *testing.T) {
	r, db := fixtureReader(t, Teams{})
	ctx := context.Background()
	info, err := r.SyncInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "ok", info, SyncInfo{LastSuccess: fixtureNow.Add(-time.Hour), LastAttempt: fixtureNow.Add(-time.Hour),
		ReadAt: fixtureNow.Add(-time.Hour - time.Minute)})
	if _, err := db.Write.Exec(`INSERT INTO sync_runs (started_at, finished_at, ok, error) VALUES (?, ?, 0, ?)`,
		localdb.FormatTime(fixtureNow.Add(-31*time.Minute)), localdb.FormatTime(fixtureNow.Add(-30*time.Minute)),
		"warehouse timeout"); err != nil {
		t.Fatal(err)
	}
	info, err = r.SyncInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "failed", info, SyncInfo{LastSuccess: fixtureNow.Add(-time.Hour), LastAttempt: fixtureNow.Add(-30 * time.Minute),
		LastError: "warehouse timeout", ReadAt: fixtureNow.Add(-time.Hour - time.Minute)})
	// A sync that landed with one table failed: not a success, but the mirror holds its read.
	if _, err := db.Write.Exec(`INSERT INTO sync_runs (started_at, finished_at, ok, committed, error)
		VALUES (?, ?, 0, 1, ?)`, localdb.FormatTime(fixtureNow.Add(-11*time.Minute)),
		localdb.FormatTime(fixtureNow.Add(-10*time.Minute)), "sync failed for alerts_v2"); err != nil {
		t.Fatal(err)
	}
	info, err = r.SyncInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "landed with a table failed", info, SyncInfo{LastSuccess: fixtureNow.Add(-time.Hour),
		LastAttempt: fixtureNow.Add(-10 * time.Minute), LastError: "sync failed for alerts_v2",
		ReadAt: fixtureNow.Add(-11 * time.Minute)})
}

func TestRefresh(t *testing.T) {
	r, db := fixtureReader(t, Teams{})
	ctx := context.Background()
	refresh := func(changed map[string]bool) {
		t.Helper()
		tx, err := db.Write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var d Derived
		if err := d.Refresh(ctx, tx, changed); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	health := func(name string) Health {
		t.Helper()
		a, err := r.Status(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return a.Health
	}
	// A new passing result for the failing test: ignored until the sync says the table changed.
	if _, err := db.Write.Exec(`INSERT INTO elementary_test_results (id, test_unique_id, model_unique_id,
		invocation_id, detected_at, created_at, status) VALUES ('r1d', 'test.shop.not_null_orders_id.aaa',
		'model.shop.orders', 'inv4', '2024-05-10T10:00:00.000000Z', '2024-05-10T10:01:00.000000Z', 'pass')`); err != nil {
		t.Fatal(err)
	}
	refresh(map[string]bool{})
	eq(t, "no-op", health("orders"), HealthFailing)
	refresh(map[string]bool{"elementary_test_results": true})
	eq(t, "after new result", health("orders"), HealthWarn)
	// A renamed model: the catalog reloads after a definition refresh.
	if _, err := db.Write.Exec(`UPDATE dbt_models SET name = 'orders_v2' WHERE unique_id = 'model.shop.orders'`); err != nil {
		t.Fatal(err)
	}
	refresh(map[string]bool{"dbt_models": true})
	n, err := r.Resolve(ctx, "orders_v2")
	if err != nil || n.UniqueID != "model.shop.orders" {
		t.Errorf("renamed: %v, %v", n, err)
	}
}

// TestTestsAsNodes: a dbt test answers like a node — status and last-run show its latest results, its owners are
// its model's merged with its own meta.owner, upstream starts at the nodes it tests, urgency reaches their
// downstream — and Elementary's own models answer when asked by exact unique_id.
func TestTestsAsNodes(t *testing.T) {
	forEachWarehouse(t, Teams{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		const t1, t2, t3 = "test.shop.not_null_orders_id.aaa", "test.shop.relationships_orders_customer_id.bbb",
			"test.shop.elementary_volume_anomalies_stg_orders.ccc"

		st, err := r.Status(ctx, "not_null_orders_id")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "status node", st.Node.UniqueID+"|"+st.Node.ResourceType, t1+"|test")
		eq(t, "status health", st.Health, HealthFailing)
		eq(t, "status tests", testIDs(st.Tests), []string{t1 + "=fail"})
		if st.LastRun == nil || st.LastRun.Status != "fail" || st.LastRun.Failures == nil || *st.LastRun.Failures != 7 ||
			st.LastRun.Message == nil || !strings.HasPrefix(*st.LastRun.Message, "Got 7 results") {
			t.Errorf("status last run = %+v", st.LastRun)
		}

		lr, err := r.LastRuns(ctx, t1, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, run := range lr.Runs {
			got = append(got, run.InvocationID[:1]+"="+run.Status)
		}
		eq(t, "last-run of a test", got, []string{"3=fail", "2=fail", "1=pass"})
		lr, err = r.LastRuns(ctx, t3, 10) // an anomaly test: one run per invocation, its worst row
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, run := range lr.Runs {
			got = append(got, run.InvocationID[:1]+"="+run.Status)
		}
		eq(t, "last-run of an anomaly test", got, []string{"3=warn", "2=fail"})

		own, err := r.Owner(ctx, t2)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(own.Owners, "carol") || !slices.Contains(own.Owners, "@erin") {
			t.Errorf("owners of a test with its own meta.owner = %v, want carol and @erin among them", own.Owners)
		}

		up, err := r.Upstream(ctx, t1)
		if err != nil {
			t.Fatal(err)
		}
		if len(up.Upstream) == 0 || up.Upstream[0].UniqueID != "model.shop.orders" || up.Upstream[0].Depth != 1 {
			t.Errorf("upstream of a test = %v, want its model first at depth 1", lineageIDs(up.Upstream))
		}

		urg, err := r.Urgency(ctx, t1)
		if err != nil {
			t.Fatal(err)
		}
		if urg.Health != HealthFailing || len(urg.FailingTests) != 1 || urg.DownstreamCount == 0 ||
			urg.DownstreamModels[0].UniqueID != "model.shop.orders" || urg.Streak != 2 {
			t.Errorf("urgency of a test = %+v", urg)
		}

		d, err := r.Describe(ctx, t1)
		if err != nil {
			t.Fatal(err)
		}
		if d.Test == nil || d.Test.ShortName != "not_null" || d.Test.Column != "id" ||
			d.Test.ModelUniqueID != "model.shop.orders" {
			t.Errorf("describe of a test = %+v", d.Test)
		}

		f, err := r.Failures(ctx, FailuresQuery{Node: t1, Since: day(1, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Failures) != 1 || f.Failures[0].TestUniqueID != t1 {
			t.Errorf("failures of a test = %+v", f.Failures)
		}

		why, err := r.Why(ctx, t1)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range why.LikelyCauses {
			if c.UniqueID == "model.shop.orders" {
				t.Errorf("why of a test names its own model as a cause: %+v", why.LikelyCauses)
			}
		}

		el, err := r.Status(ctx, "model.elementary.dbt_run_results")
		if err != nil {
			t.Fatal(err)
		}
		if el.Health != HealthError || el.LastRun == nil || el.LastRun.Status != "error" {
			t.Errorf("status of Elementary's own model = health %s, last run %+v", el.Health, el.LastRun)
		}
	})
}

// TestUnitTestsAreNotModels: dbt unit tests (resource_type unit_test in dbt_run_results) never become a node's last
// run, so they are never answered or escalated as models.
func TestUnitTestsAreNotModels(t *testing.T) {
	f := fixture()
	f["dbt_run_results"] = append(f["dbt_run_results"],
		run("33333333-0000-0000-0000-000000000003", "unit_test.shop.orders.test_orders_logic", "error",
			"2024-05-10T06:30:00Z", "2024-05-10 06:40:00", Row{"resource_type": "unit_test"}))
	db := openMirror(t)
	loadMirror(t, db, f)
	var n int
	if err := db.Read.QueryRow(`SELECT count(*) FROM node_last_run WHERE unique_id LIKE 'unit_test.%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d unit tests have a last run, want none", n)
	}
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return fixtureNow }})
	if _, err := r.Resolve(context.Background(), "unit_test.shop.orders.test_orders_logic"); err == nil {
		t.Error("a unit test resolved as a node")
	}
}

// joinCodes joins codes with commas.
func joinCodes[T ~string](codes []T) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = string(c)
	}
	return strings.Join(s, ",")
}
