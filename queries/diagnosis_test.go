package queries

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// diagnosisFixture is a project whose failures have known root causes:
//
//	inv1 (build, yesterday): everything succeeds.
//	inv2 (build, today):     stg_a errors → int_b skipped → mart_c skipped (a chain two levels deep);
//	                         stg_d errors and stg_e's ERROR test fails → mart_f (reads stg_a, stg_d, stg_e) skipped: two
//	                         roots plus a test root;
//	                         stg_g's WARN test fails → mart_h still runs (warn skips nothing);
//	                         stg_i errored in inv1b but succeeds here, mart_j is skipped by stg_a only (a root that
//	                         recovered is not named);
//	                         stg_k errors → mart_k errors itself (its own error first, and only it);
//	                         mart_m skipped with nothing failing upstream in inv2 (unknown, said with low confidence),
//	                         while stg_n's tests fail in another invocation (inv3) that skipped nothing.
func diagnosisFixture() Fixture {
	const (
		inv1, inv1b, inv2, inv3 = "inv-1", "inv-1b", "inv-2", "inv-3"
	)
	m := func(name string, parents ...string) Row {
		deps := make([]string, len(parents))
		for i, p := range parents {
			deps[i] = `"model.dx.` + p + `"`
		}
		r := Row{"unique_id": "model.dx." + name, "name": name, "alias": name, "package_name": "dx", "checksum": checksum(name),
			"database_name": "ANALYTICS", "schema_name": "prod", "materialization": "table", "owner": "[]", "meta": "{}",
			"tags": "[]", "depends_on_nodes": "[" + strings.Join(deps, ",") + "]", "generated_at": "2024-01-01 00:00:00"}
		if strings.HasPrefix(name, "mart_") {
			r["group_name"] = "marts" // the marts team; the staging models belong to no team
		}
		return r
	}
	test := func(name, model, severity string) Row {
		return Row{"unique_id": "test.dx." + name, "name": name, "short_name": "not_null", "severity": severity,
			"depends_on_nodes": `["model.dx.` + model + `"]`, "parent_model_unique_id": "model.dx." + model,
			"package_name": "dx"}
	}
	at1, at2 := day(9, 6, 0), day(10, 6, 0)
	models := []Row{m("stg_a"), m("int_b", "stg_a"), m("mart_c", "int_b"), m("stg_d"), m("stg_e"),
		m("mart_f", "stg_a", "stg_d", "stg_e"), m("stg_g"), m("mart_h", "stg_g"), m("stg_i"), m("mart_j", "stg_i", "int_b"),
		m("stg_k"), m("mart_k", "stg_k"), m("stg_n"), m("mart_m", "stg_n")}
	f := Fixture{
		"dbt_models": models,
		"dbt_tests": {test("not_null_stg_e_id", "stg_e", "ERROR"), test("not_null_stg_g_id", "stg_g", "WARN"),
			test("not_null_stg_n_id", "stg_n", "ERROR")},
	}
	iso := func(t time.Time) string { return t.Format("2006-01-02T15:04:05Z") }
	gen := func(t time.Time) string { return t.Format("2006-01-02 15:04:05") }
	f["dbt_invocations"] = []Row{
		{"invocation_id": inv1, "created_at": at1, "command": "build", "job_name": "nightly", "run_completed_at": iso(at1)},
		{"invocation_id": inv1b, "created_at": at1.Add(time.Hour), "command": "run", "job_name": "hourly",
			"run_completed_at": iso(at1.Add(time.Hour))},
		{"invocation_id": inv2, "created_at": at2, "command": "build", "job_name": "nightly", "run_completed_at": iso(at2)},
		{"invocation_id": inv3, "created_at": at2.Add(time.Hour), "command": "test", "job_name": "tests",
			"run_completed_at": iso(at2.Add(time.Hour))},
	}
	for _, row := range models {
		id := row["unique_id"].(string)
		f["dbt_run_results"] = append(f["dbt_run_results"], run(inv1, id, "success", iso(at1), gen(at1), nil))
	}
	f["dbt_run_results"] = append(f["dbt_run_results"], run(inv1b, "model.dx.stg_i", "error", iso(at1.Add(time.Hour)),
		gen(at1.Add(time.Hour)), Row{"message": "Database Error in model stg_i"}))
	status2 := map[string]string{"stg_a": "error", "int_b": "skipped", "mart_c": "skipped", "stg_d": "error",
		"stg_e": "success", "mart_f": "skipped", "stg_g": "success", "mart_h": "success", "stg_i": "success",
		"mart_j": "skipped", "stg_k": "error", "mart_k": "error", "stg_n": "success", "mart_m": "skipped"}
	for name, st := range status2 {
		extra := Row{}
		if st == "error" {
			extra["message"] = "Database Error in model " + name + "\ndetails"
		}
		f["dbt_run_results"] = append(f["dbt_run_results"], run(inv2, "model.dx."+name, st, iso(at2), gen(at2), extra))
	}
	f["elementary_test_results"] = []Row{
		result("r-e", "test.dx.not_null_stg_e_id", "model.dx.stg_e", inv2, "fail", at2, Row{"severity": "ERROR",
			"test_results_description": "Got 4 results, configured to fail if != 0"}),
		result("r-g", "test.dx.not_null_stg_g_id", "model.dx.stg_g", inv2, "fail", at2, Row{"severity": "WARN"}),
		result("r-n", "test.dx.not_null_stg_n_id", "model.dx.stg_n", inv3, "fail", at2.Add(time.Hour),
			Row{"severity": "ERROR"}),
	}
	// daily_x was built every day by job nightly until day 7; nightly still runs (inv1, inv2) but without it.
	// daily_y was built every day by job legacy until day 7; legacy stopped running.
	f["dbt_models"] = append(f["dbt_models"], m("daily_x"), m("daily_y"))
	for d := 3; d <= 7; d++ {
		for _, job := range []string{"nightly", "legacy"} {
			inv := fmt.Sprintf("inv-%s-%d", job, d)
			at := day(d, 6, 0)
			f["dbt_invocations"] = append(f["dbt_invocations"], Row{"invocation_id": inv, "created_at": at,
				"command": "run", "job_name": job, "run_started_at": iso(at.Add(-10 * time.Minute)),
				"run_completed_at": iso(at.Add(10 * time.Minute))}) // the invocation that built it ends after it
			model := map[string]string{"nightly": "model.dx.daily_x", "legacy": "model.dx.daily_y"}[job]
			f["dbt_run_results"] = append(f["dbt_run_results"], run(inv, model, "success", iso(at), gen(at), nil))
		}
	}
	// stg_p's test flips: pass, fail, pass, fail (newest) over four test runs: flaky.
	f["dbt_models"] = append(f["dbt_models"], m("stg_p"))
	f["dbt_tests"] = append(f["dbt_tests"], test("not_null_stg_p_id", "stg_p", "ERROR"))
	for i, st := range []string{"pass", "fail", "pass", "fail"} {
		inv := fmt.Sprintf("inv-p%d", i)
		at := at1.Add(time.Duration(i) * 3 * time.Hour)
		f["dbt_invocations"] = append(f["dbt_invocations"], Row{"invocation_id": inv, "created_at": at, "command": "test"})
		f["elementary_test_results"] = append(f["elementary_test_results"], result("r-p"+inv, "test.dx.not_null_stg_p_id",
			"model.dx.stg_p", inv, st, at, Row{"severity": "ERROR"}))
	}
	return f
}

// forEachDiagnosisWarehouse runs fn on the diagnosis fixture loaded each way (backends), read at day 10 12:00.
func forEachDiagnosisWarehouse(t *testing.T, fn func(t *testing.T, r *Reader)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := openMirror(t)
			b.load(t, db, diagnosisFixture())
			fn(t, NewReader(db, ReaderOptions{Now: func() time.Time { return day(10, 12, 0) }}))
		})
	}
}

// TestWhyRootCauses: for a skipped model the causes are the roots in the invocation that skipped it, with the
// chain from the primary root; for an errored model, its own error only; no innocent suspect is named.
func TestWhyRootCauses(t *testing.T) {
	forEachDiagnosisWarehouse(t, func(t *testing.T, r *Reader) {
		for _, tc := range []struct {
			node   string
			causes []string // kind:node:confidence
			roots  []string
			chain  string
		}{
			{"mart_c", []string{"upstream_error:model.dx.stg_a:high"}, []string{"model.dx.stg_a"},
				"stg_a:error>int_b:skipped>mart_c:skipped"},
			{"int_b", []string{"upstream_error:model.dx.stg_a:high"}, []string{"model.dx.stg_a"},
				"stg_a:error>int_b:skipped"},
			{"mart_f", []string{"upstream_error:model.dx.stg_a:high", "upstream_error:model.dx.stg_d:high",
				"upstream_test_failed:model.dx.stg_e:medium"},
				[]string{"model.dx.stg_a", "model.dx.stg_d", "model.dx.stg_e"}, "stg_a:error>mart_f:skipped"},
			{"mart_j", []string{"upstream_error:model.dx.stg_a:high"}, []string{"model.dx.stg_a"},
				"stg_a:error>int_b:skipped>mart_j:skipped"},
			{"mart_k", []string{"run_error:model.dx.mart_k:high"}, []string{}, ""},
			{"mart_h", []string{}, []string{}, ""},
			{"mart_m", []string{"run_skipped:model.dx.mart_m:low"}, []string{}, ""},
		} {
			a, err := r.Why(context.Background(), tc.node)
			if err != nil {
				t.Fatal(err)
			}
			causes := []string{}
			for _, c := range a.LikelyCauses {
				causes = append(causes, string(c.Kind)+":"+c.UniqueID+":"+c.Confidence)
			}
			eq(t, tc.node+" causes", causes, tc.causes)
			eq(t, tc.node+" roots", a.RootCauses, tc.roots)
			var chain []string
			for _, l := range a.Chain {
				chain = append(chain, l.Name+":"+l.Status)
			}
			eq(t, tc.node+" chain", strings.Join(chain, ">"), tc.chain)
			for _, c := range a.LikelyCauses {
				if c.Kind == CauseUpstreamError && (c.Detail == nil || !strings.HasPrefix(*c.Detail, "Database Error")) {
					t.Errorf("%s: root %s without its error message: %v", tc.node, c.UniqueID, c.Detail)
				}
			}
		}
	})
}

// TestUrgencyAxes: urgency is likelihood × impact, with the reasons that decided it and what to do next.
func TestUrgencyAxes(t *testing.T) {
	forEachDiagnosisWarehouse(t, func(t *testing.T, r *Reader) {
		for _, tc := range []struct{ node, want string }{
			// Skipped: it did not build; fix the root of its skip.
			{"mart_c", "medium×low=LOW by run_skipped,no_downstream; fix_root:stg_a"},
			{"int_b", "medium×medium=MEDIUM by run_skipped,downstream_models; fix_root:stg_a"},
			// Its own error with models downstream.
			{"stg_a", "high×medium=HIGH by run_error,downstream_models; fix_error:stg_a"},
			// A new ERROR test failure with one model downstream.
			{"stg_e", "medium×medium=MEDIUM by new_failure,downstream_models; check_test:not_null_stg_e_id"},
			// A WARN test: not likely yet.
			{"stg_g", "low×medium=LOW by warn_severity,downstream_models; check_test:not_null_stg_g_id"},
			// A flaky ERROR test: one step less likely.
			{"stg_p", "low×low=LOW by flaky,no_downstream; check_test:not_null_stg_p_id"},
		} {
			a, err := r.Urgency(context.Background(), tc.node)
			if err != nil {
				t.Fatal(err)
			}
			next := ""
			if a.Next != nil {
				next = string(a.Next.Action) + ":" + a.Next.Name
			}
			got := a.Likelihood + "×" + a.Impact + "=" + a.Level + " by " + joinCodes(a.DecidedBy) + "; " + next
			eq(t, tc.node, got, tc.want)
			if a.Urgency != strings.ToLower(a.Level) {
				t.Errorf("%s: urgency %q disagrees with level %q", tc.node, a.Urgency, a.Level)
			}
		}
	})
}

// TestOverdue: a node that missed its usual build is overdue, with its cadence and how late; why tells a job that
// did not run at all from one that ran without building it. Nodes with too little history are never overdue.
func TestOverdue(t *testing.T) {
	forEachDiagnosisWarehouse(t, func(t *testing.T, r *Reader) {
		for _, tc := range []struct {
			node, overdue, cause, next string
		}{
			{"daily_x", "daily late 54h job nightly ran since", "not_built_by_job:medium", "check_job:nightly"},
			{"daily_y", "daily late 54h job legacy did not run", "job_not_run:high", "check_job:legacy"},
			{"stg_a", "", "run_error:high", "fix_error:stg_a"},
		} {
			st, err := r.Status(context.Background(), tc.node)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if o := st.Overdue; o != nil {
				ran := "did not run"
				if o.JobRanSince {
					ran = "ran since"
				}
				got = fmt.Sprintf("%s late %.0fh job %s %s", o.Cadence, o.LateSeconds/3600, o.JobName, ran)
			}
			eq(t, tc.node+" overdue", got, tc.overdue)
			why, err := r.Why(context.Background(), tc.node)
			if err != nil {
				t.Fatal(err)
			}
			first := ""
			if len(why.LikelyCauses) > 0 {
				first = string(why.LikelyCauses[0].Kind) + ":" + why.LikelyCauses[0].Confidence
			}
			eq(t, tc.node+" first cause", first, tc.cause)
			if (why.Overdue == nil) != (st.Overdue == nil) {
				t.Errorf("%s: why and status disagree on overdue", tc.node)
			}
			next := ""
			if why.Next != nil {
				next = string(why.Next.Action) + ":" + why.Next.Name
			}
			eq(t, tc.node+" next", next, tc.next)
		}
	})
}

func TestLearnCadence(t *testing.T) {
	at := func(d, h int) time.Time { return time.Date(2024, 5, d, h, 0, 0, 0, time.UTC) } // 2024-05-06 is a Monday
	for _, tc := range []struct {
		name  string
		times []time.Time
		want  string
	}{
		{"hourly", []time.Time{at(6, 12), at(6, 11), at(6, 10), at(6, 9)}, "hourly"},
		{"daily", []time.Time{at(12, 6), at(11, 6), at(10, 6), at(9, 6)}, "daily"},
		{"weekdays", []time.Time{at(13, 6), at(10, 6), at(9, 6), at(8, 6), at(7, 6), at(6, 6)}, "weekdays"},
		{"every 6 h", []time.Time{at(6, 18), at(6, 12), at(6, 6), at(6, 0)}, "every_6h"},
	} {
		if got := learnCadence(tc.times, time.UTC).name; got != tc.want {
			t.Errorf("%s: learnCadence = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestWhyChanges: Todai records definition changes at each sync; why names the SQL change that lines up with a first
// error, and what changed between the last good and the first bad invocation (commit, pull request).
func TestWhyChanges(t *testing.T) {
	ctx := context.Background()
	db := openMirror(t)
	loadMirror(t, db, diagnosisFixture())
	// The next upload: stg_k's SQL changed in tonight's build (commit def8901, PR 42), which is when it first errored.
	for _, q := range []string{
		`UPDATE dbt_models SET checksum = '` + checksum("stg_k v2") + `', generated_at = '2024-05-10T06:30:00.000000Z' WHERE unique_id = 'model.dx.stg_k'`,
		`UPDATE dbt_invocations SET git_sha = 'abc1234567' WHERE invocation_id = 'inv-1'`,
		`UPDATE dbt_invocations SET git_sha = 'def8901234', pull_request_id = '42' WHERE invocation_id = 'inv-2'`,
	} {
		if _, err := db.Write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := RefreshAll(ctx, db); err != nil {
		t.Fatal(err)
	}
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return day(10, 12, 0) }})
	a, err := r.Why(ctx, "stg_k")
	if err != nil {
		t.Fatal(err)
	}
	var causes, changes []string
	for _, c := range a.LikelyCauses {
		causes = append(causes, string(c.Kind)+":"+c.Confidence+":"+str(c.Detail))
	}
	for _, c := range a.Changes {
		changes = append(changes, c.Kind+" "+c.Detail+" @"+c.InvocationID+" "+c.GitSHA+" PR"+c.PullRequestID)
	}
	// The checksums are hex, as dbt's: the old one first, then the new one, shortened to seven digits.
	sqlChange := checksum("stg_k")[:7] + " → " + checksum("stg_k v2")[:7]
	eq(t, "causes", causes, []string{"run_error:high:Database Error in model stg_k",
		"definition_changed:medium:sql: " + sqlChange})
	eq(t, "changes", changes, []string{"sql " + sqlChange + " @inv-2 def8901234 PR42",
		"commit abc1234 → def8901 @inv-2 def8901234 PR42"})
	// With the repository configured, every change links the compare view of the two runs' commits.
	linked, err := NewReader(db, ReaderOptions{Now: func() time.Time { return day(10, 12, 0) },
		RepositoryURL: "https://github.com/acme/dbt/"}).Why(ctx, "stg_k")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range linked.Changes {
		if c.CompareURL != "https://github.com/acme/dbt/compare/abc1234567...def8901234" {
			t.Errorf("%s change: compare_url %q", c.Kind, c.CompareURL)
		}
	}
	// A model whose definition did not change names no definition change.
	a, err = r.Why(ctx, "stg_a")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range a.Changes {
		if c.Kind == "sql" || c.Kind == "parents" {
			t.Errorf("stg_a: a definition change that did not happen: %+v", c)
		}
	}
}

// TestDiagnosisRoot: the root a failure is traced to is another node's failure, proven by the rows — the first
// cause why lists, which is also what a notice names; a node's own error and a skip nothing explains trace to none.
func TestDiagnosisRoot(t *testing.T) {
	forEachDiagnosisWarehouse(t, func(t *testing.T, r *Reader) {
		for _, tc := range []struct{ subject, root, explanation string }{
			{"mart_c", "upstream_error:model.dx.stg_a", "upstream_error:model.dx.stg_a"},
			{"mart_f", "upstream_error:model.dx.stg_a", "upstream_error:model.dx.stg_a"},
			{"mart_k", "", ""}, // its own error, and no change before it
			{"stg_k", "", ""},  // its own error
			{"mart_m", "", ""}, // a skip the rows do not explain
			{"mart_h", "", ""}, // a warn upstream skips nothing
		} {
			d, err := r.Diagnose(context.Background(), tc.subject)
			if err != nil {
				t.Fatal(err)
			}
			code := func(c Cause, ok bool) string {
				if !ok {
					return ""
				}
				return string(c.Kind) + ":" + c.UniqueID
			}
			if got := code(d.Root()); got != tc.root {
				t.Errorf("%s: root %q, want %q", tc.subject, got, tc.root)
			}
			if got := code(d.Explanation()); got != tc.explanation {
				t.Errorf("%s: explanation %q, want %q", tc.subject, got, tc.explanation)
			}
			why, err := r.Why(context.Background(), tc.subject)
			if err != nil {
				t.Fatal(err)
			}
			if root, ok := d.Root(); ok && (len(why.LikelyCauses) == 0 || why.LikelyCauses[0] != root) {
				t.Errorf("%s: why's first cause %+v is not the root %+v", tc.subject, why.LikelyCauses, root)
			}
		}
		var unknown *NotFoundError
		if _, err := r.Diagnose(context.Background(), "model.dx.nowhere"); !errors.As(err, &unknown) {
			t.Errorf("an unknown subject: %v, want a *NotFoundError", err)
		}
	})
}

// checksum is a dbt-like checksum of s: 64 hex digits.
func checksum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestTests: a node's tests with their latest result and their pass rate in the window; a node without tests has
// none, a test is its own only test.
func TestTests(t *testing.T) {
	forEachDiagnosisWarehouse(t, func(t *testing.T, r *Reader) {
		for _, tc := range []struct {
			name string
			want []string // unique_id status runs/passed rate
		}{
			{"stg_p", []string{"test.dx.not_null_stg_p_id fail 4/2 0.50"}},
			{"stg_e", []string{"test.dx.not_null_stg_e_id fail 1/0 0.00"}},
			{"mart_c", []string{}},
		} {
			a, err := r.Tests(context.Background(), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, x := range a.Tests {
				rate := "none"
				if x.PassRate != nil {
					rate = fmt.Sprintf("%.2f", *x.PassRate)
				}
				got = append(got, fmt.Sprintf("%s %s %d/%d %s", x.UniqueID, x.Status, x.Runs, x.Passed, rate))
			}
			eq(t, tc.name+" tests", got, tc.want)
			if a.WindowDays != 14 {
				t.Errorf("window = %d days", a.WindowDays)
			}
		}
	})
}

func TestCompareURL(t *testing.T) {
	for _, tc := range []struct{ repo, from, to, want string }{
		{"https://github.com/acme/dbt", "abc1234", "def5678", "https://github.com/acme/dbt/compare/abc1234...def5678"},
		{"https://gitlab.com/acme/data/dbt/", "abc1234", "def5678", "https://gitlab.com/acme/data/dbt/-/compare/abc1234...def5678"},
		{"https://git.acme.io/data/dbt", "ABCDEF0123", "0123456789", "https://git.acme.io/data/dbt/compare/ABCDEF0123...0123456789"},
		{"", "abc1234", "def5678", ""},                                 // no repository configured
		{"https://github.com/acme/dbt", "abc1234", "abc1234", ""},      // the same commit
		{"https://github.com/acme/dbt", "", "def5678", ""},             // one run without a commit
		{"https://github.com/acme/dbt", "main", "def5678", ""},         // not a commit hash: never part of a path
		{"https://github.com/acme/dbt", "abc1234/../x", "def5678", ""}, // nor a path
		{"javascript:alert(1)", "abc1234", "def5678", ""},              // not http(s)
		{"ssh://git@github.com/acme/dbt", "abc1234", "def5678", ""},    // not a web page
	} {
		if got := compareURL(tc.repo, tc.from, tc.to); got != tc.want {
			t.Errorf("compareURL(%q, %q, %q) = %q, want %q", tc.repo, tc.from, tc.to, got, tc.want)
		}
	}
}

func TestNameOf(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"model.shop.orders", "orders"},
		{"model.shop.orders.v2", "orders"},
		{"snapshot.shop.orders_snapshot", "orders_snapshot"},
		{"source.shop.raw.orders", "orders"},
		{"test.shop.not_null_orders_id.a1b2c3d4e5", "not_null_orders_id"},
		{"test.shop.assert_orders_positive", "assert_orders_positive"},
		{"orders", "orders"},
		{"model.shop.", "model.shop."},
		{"", ""},
	} {
		if got := NameOf(tc.id); got != tc.want {
			t.Errorf("NameOf(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

// TestWhyStaleSourceBeforeTheFailure: a stale source upstream is named as the cause of a failing test only when its
// newest data was loaded before the test began failing; one whose data still arrived after the first failure is
// innocent of it and not named (the failure began while it was fresh).
func TestWhyStaleSourceBeforeTheFailure(t *testing.T) {
	const (
		src   = "source.sx.stripe.payments"
		mart  = "model.sx.mart"
		check = "test.sx.unique_mart_id"
	)
	iso := func(t time.Time) string { return t.Format("2006-01-02T15:04:05Z") }
	fixture := func(loaded time.Time) Fixture {
		f := Fixture{
			"dbt_sources": {{"unique_id": src, "source_name": "stripe", "name": "payments", "schema_name": "stripe",
				"package_name": "sx"}},
			"dbt_models": {{"unique_id": mart, "name": "mart", "package_name": "sx", "schema_name": "prod",
				"depends_on_nodes": `["` + src + `"]`, "owner": "[]", "meta": "{}", "tags": "[]"}},
			"dbt_tests": {{"unique_id": check, "name": "unique_mart_id", "short_name": "unique", "severity": "ERROR",
				"depends_on_nodes": `["` + mart + `"]`, "parent_model_unique_id": mart, "package_name": "sx"}},
			"dbt_source_freshness_results": {{"source_freshness_execution_id": "fr." + src, "unique_id": src,
				"status": "error", "generated_at": iso(day(10, 11, 0)), "created_at": day(10, 11, 0),
				"max_loaded_at": iso(loaded), "snapshotted_at": iso(day(10, 11, 0))}},
		}
		// The mart builds each morning; its test passed on the 8th and has failed since the 9th.
		for i, d := range []int{8, 9, 10} {
			inv := fmt.Sprintf("inv-%d", d)
			status := map[bool]string{true: "pass", false: "fail"}[i == 0]
			f["dbt_invocations"] = append(f["dbt_invocations"], Row{"invocation_id": inv, "created_at": day(d, 6, 0),
				"command": "build", "job_name": "nightly", "run_completed_at": iso(day(d, 6, 0))})
			f["dbt_run_results"] = append(f["dbt_run_results"], run(inv, mart, "success", iso(day(d, 6, 0)),
				day(d, 6, 0).Format("2006-01-02 15:04:05"), nil))
			f["elementary_test_results"] = append(f["elementary_test_results"],
				result("r-"+inv, check, mart, inv, status, day(d, 6, 5), nil))
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		loaded time.Time
		want   []string
	}{
		{"loaded last before the first failure", day(8, 23, 0), []string{"stale_source:" + src}},
		{"loaded last after the first failure", day(9, 9, 0), []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openMirror(t)
			loadMirror(t, db, fixture(tc.loaded))
			r := NewReader(db, ReaderOptions{Now: func() time.Time { return day(10, 12, 0) }})
			for _, subject := range []string{"mart", "unique_mart_id"} {
				a, err := r.Why(context.Background(), subject)
				if err != nil {
					t.Fatal(err)
				}
				causes := []string{}
				for _, c := range a.LikelyCauses {
					causes = append(causes, string(c.Kind)+":"+c.UniqueID)
				}
				eq(t, subject+" health", a.Health, HealthFailing)
				eq(t, subject+" causes", causes, tc.want)
			}
		})
	}
}

// TestDigestSaysWhyModelsWereSkipped: the marts team's digest says its skipped models were skipped because stg_a
// errored — a model of no team, owned by nobody — and which models its skip the rows do not explain.
func TestDigestSaysWhyModelsWereSkipped(t *testing.T) {
	forEachDiagnosisWarehouse(t, func(t *testing.T, r *Reader) {
		a, err := r.Digest(context.Background(), DigestQuery{Team: "marts"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range a.Skipped {
			root := "unexplained"
			if s.Root != nil {
				root = string(s.Root.Kind) + ":" + s.Root.UniqueID
			}
			var models []string
			for _, m := range s.Models {
				models = append(models, m.Name)
			}
			got = append(got, fmt.Sprintf("%s team=%q owners=%v ×%d %v", root, s.Team, s.Owners, s.Count, models))
		}
		eq(t, "skipped", got, []string{
			`upstream_error:model.dx.stg_a team="" owners=[] ×3 [mart_c mart_f mart_j]`,
			`unexplained team="" owners=[] ×1 [mart_m]`,
		})
		if a.Counts.ModelsSkipped != 4 {
			t.Errorf("%d models counted as skipped, want the 4 explained above", a.Counts.ModelsSkipped)
		}
	})
}

// TestDiagnosisIsRememberedPerGeneration: a subject is diagnosed once per data generation of the mirror — the
// sweep, the notices, every digest and why share it — and again when a sync changes rows (a new generation) or when
// the clock alone makes a build overdue.
func TestDiagnosisIsRememberedPerGeneration(t *testing.T) {
	ctx := context.Background()
	db := openMirror(t)
	loadMirror(t, db, diagnosisFixture())
	now := day(10, 12, 0)
	r := NewReader(db, ReaderOptions{Now: func() time.Time { return now }})
	first := func(subject string) string {
		t.Helper()
		d, err := r.Diagnose(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Causes) == 0 {
			return ""
		}
		return string(d.Causes[0].Kind) + ":" + d.Causes[0].UniqueID
	}
	if got := first("stg_k"); got != "run_error:model.dx.stg_k" {
		t.Fatalf("stg_k: %s", got)
	}
	// The rows change under the read model without a sync: the diagnosis it remembers stands.
	if _, err := db.Write.ExecContext(ctx, `UPDATE dbt_run_results SET status = 'success' WHERE unique_id = 'model.dx.stg_k'`); err != nil {
		t.Fatal(err)
	}
	if got := first("stg_k"); got != "run_error:model.dx.stg_k" {
		t.Errorf("stg_k diagnosed again within one generation: %s", got)
	}
	// A sync that changed rows moves the generation on: it is diagnosed anew.
	localdbtest.NewDataGeneration(t, db)
	if got := first("stg_k"); got == "run_error:model.dx.stg_k" {
		t.Errorf("stg_k not diagnosed again after a new generation: %s", got)
	}
	// daily_y is built at 06:00 until the 7th; on the 8th at noon it is not late yet (due 06:00, 12 h of slack),
	// at 19:00 it is: the clock alone changes the diagnosis, within one generation.
	now = day(8, 12, 0)
	if got := first("daily_y"); got != "" {
		t.Errorf("daily_y at noon: %s, want no cause yet", got)
	}
	now = day(8, 19, 0)
	if got := first("daily_y"); got != "job_not_run:model.dx.daily_y" {
		t.Errorf("daily_y at 19:00: %s, want job_not_run", got)
	}
}
