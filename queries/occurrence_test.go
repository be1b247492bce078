package queries

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// alertAt is when the alerts of occurrenceFixture were detected, as edr monitor's messages show it.
var alertAt = time.Date(2026, 7, 1, 13, 5, 22, 0, time.UTC)

// occurrenceFixture holds, for each thing that can happen after an alert, a node whose runs say it (alertAt is
// Jul 1 13:05:22; "·" a run before the alert, "!" the alert's run):
//
//	orders          error · error! success success   — recovered: built Jul 2 and Jul 3
//	nn_orders_id    fail! (with a pass row of the same invocation) pass fail fail — failed again (flaky), 2 in a row
//	unique_orders   fail · fail! fail                — still failing, 3 in a row since Jun 30
//	flaky_orders    fail! pass fail pass             — recovered, flaky (3 flips)
//	payments        error!                           — not run again
//	late_orders     error (10:00), success (11:00)   — asked at 12:00 for a failure: the 10:00 error, recovered
//	volume_orders   fail! then pass, each with buckets — recovered; the alert's value and both charts
//	cols_orders     amount fail! discount pass!, then amount pass, discount fail — amount's alert recovered
//	busy_orders     error!, then 1,002 successes a minute apart — recovered Jul 1 13:06, past the runs read
func occurrenceFixture() Fixture {
	const m = "model.shop.orders"
	day := func(d, h int) time.Time { return time.Date(2026, 7, d, h, 0, 0, 0, time.UTC) }
	model := func(name string) Row {
		return Row{"unique_id": "model.shop." + name, "name": name, "alias": name, "package_name": "shop",
			"owner": `["@ana"]`, "meta": "{}", "tags": "[]", "depends_on_nodes": "[]", "generated_at": "2026-06-01 00:00:00",
			"database_name": "dw", "schema_name": "prod"}
	}
	test := func(name string) Row {
		return Row{"unique_id": "test.shop." + name, "name": name, "short_name": name, "severity": "ERROR",
			"package_name": "shop", "depends_on_nodes": `["` + m + `"]`, "parent_model_unique_id": m}
	}
	f := Fixture{
		"dbt_models": {model("orders"), model("late_orders"), model("busy_orders")},
		"dbt_tests": {test("nn_orders_id"), test("unique_orders"), test("flaky_orders"), test("volume_orders"),
			test("cols_orders")},
		"dbt_sources": {{"unique_id": "source.shop.stripe.payments", "source_name": "stripe", "name": "payments",
			"package_name": "shop", "owner": `["@ingest"]`}},
	}
	runAt := func(id, status string, at time.Time) Row {
		inv := fmt.Sprintf("inv-%s", at.Format("0102-1504"))
		return run(inv, id, status, at.Format(time.RFC3339), at.Add(time.Minute).Format("2006-01-02 15:04:05"),
			Row{"message": status + " of " + id})
	}
	f["dbt_run_results"] = []Row{
		runAt(m, "error", time.Date(2026, 6, 30, 13, 0, 0, 0, time.UTC)),
		runAt(m, "error", alertAt), runAt(m, "success", day(2, 13)), runAt(m, "success", day(3, 13)),
		runAt("model.shop.late_orders", "error", day(1, 10)), runAt("model.shop.late_orders", "success", day(1, 11)),
	}
	f["dbt_run_results"] = append(f["dbt_run_results"], runAt("model.shop.busy_orders", "error", alertAt))
	for k := range MaxOccurrenceRuns + 2 {
		at := alertAt.Add(time.Duration(k+1) * time.Minute)
		r := runAt("model.shop.busy_orders", "success", at)
		r["model_execution_id"], r["invocation_id"] = fmt.Sprintf("busy-%04d", k), fmt.Sprintf("busy-%04d", k)
		f["dbt_run_results"] = append(f["dbt_run_results"], r)
	}
	res := func(test, status string, at time.Time, extra Row) Row {
		inv := fmt.Sprintf("inv-%s", at.Format("0102-1504"))
		return result("r-"+test+"-"+status+at.Format("0102-150405"), "test.shop."+test, m, inv, status, at, extra)
	}
	col := func(column, status string, at time.Time) Row {
		r := res("cols_orders", status, at, Row{"column_name": column, "test_sub_type": "null_count"})
		r["id"] = fmt.Sprint(r["id"], "-", column)
		return r
	}
	f["elementary_test_results"] = []Row{
		res("nn_orders_id", "fail", alertAt, Row{"test_results_description": "Got 12 results", "failures": 12}),
		res("nn_orders_id", "pass", alertAt, nil), res("nn_orders_id", "pass", day(2, 13), nil),
		res("nn_orders_id", "fail", day(3, 13), nil), res("nn_orders_id", "fail", day(4, 10), nil),
		res("unique_orders", "fail", time.Date(2026, 6, 30, 13, 0, 0, 0, time.UTC), nil),
		res("unique_orders", "fail", alertAt, nil), res("unique_orders", "fail", day(2, 13), nil),
		res("flaky_orders", "fail", alertAt, nil), res("flaky_orders", "pass", day(2, 13), nil),
		res("flaky_orders", "fail", day(3, 13), nil), res("flaky_orders", "pass", day(4, 10), nil),
		res("volume_orders", "fail", alertAt, Row{"test_type": "anomaly_detection", "test_sub_type": "row_count"}),
		res("volume_orders", "pass", day(2, 13), Row{"test_type": "anomaly_detection", "test_sub_type": "row_count"}),
		col("AMOUNT", "fail", alertAt), col("DISCOUNT", "pass", alertAt), col("AMOUNT", "pass", day(2, 13)),
		col("DISCOUNT", "fail", day(2, 13)),
	}
	for _, x := range []struct {
		result string
		at     time.Time
		drop   bool
	}{{"r-volume_orders-fail0701-130522", alertAt, true}, {"r-volume_orders-pass0702-130000", day(2, 13), false}} {
		for k := range 3 {
			end := x.at.Truncate(time.Hour).Add(time.Duration(k-2) * time.Hour)
			value, bad := 1000.0+float64(k), false
			if x.drop && k == 2 {
				value, bad = 412, true
			}
			f["test_result_rows"] = append(f["test_result_rows"], Row{"elementary_test_results_id": x.result,
				"row_index": k + 1, "test_type": "anomaly_detection", "result_row": bucketRow(end, value, 950, 1450, bad),
				"detected_at": x.at, "created_at": x.at})
		}
	}
	fresh := func(status string, at time.Time) Row {
		return Row{"source_freshness_execution_id": "fr-" + at.Format("0102"), "unique_id": "source.shop.stripe.payments",
			"status": status, "max_loaded_at": at.Add(-30 * time.Hour).Format(time.RFC3339), "snapshotted_at": at.Format(time.RFC3339),
			"generated_at": at.Format("2006-01-02 15:04:05"), "created_at": at, "error": "too old"}
	}
	f["dbt_source_freshness_results"] = []Row{fresh("error", alertAt)}
	return f
}

// TestOccurrence: for each thing that can happen after an alert, the alert's run is found and what happened since
// is said — on the mirror loaded directly and synced from SQLite and PostgreSQL warehouses.
func TestOccurrence(t *testing.T) {
	opts := ReaderOptions{Now: func() time.Time { return time.Date(2026, 7, 4, 12, 0, 0, 0, time.UTC) }}
	forEachFixture(t, occurrenceFixture(), opts, func(t *testing.T, r *Reader, _ *localdb.DB) {
		ctx := context.Background()
		for _, tc := range []struct {
			node    string
			at      time.Time
			failing bool
			series  string // the alert's elementary_unique_id, for a test's series
			// want: kind, status then, since, runs since, passes since, flips, flaky, streak, recovered at, failing
			// since, passed at, latest status
			want string
		}{
			{"cols_orders", alertAt, true, "test.shop.cols_orders.amount.null_count", "test fail recovered runs=1 passes=1 " +
				"flips=1 flaky=false streak=0 recovered=07-02T13:00 failing= passed=[07-02T13:00] latest=pass"},
			{"cols_orders", alertAt, true, "", "test fail still_failing runs=1 passes=0 flips=0 flaky=false streak=2 " +
				"recovered= failing=07-01T13:05 passed=[] latest=fail"},
			{"busy_orders", alertAt, true, "", "model error recovered runs=1000 passes=1000 flips=1 flaky=false " +
				"streak=0 recovered=07-01T13:06 failing= passed=[07-02T05:43 07-02T05:44 07-02T05:45 07-02T05:46 07-02T05:47] latest=success"},
			{"nn_orders_id", time.Date(2026, 7, 2, 14, 0, 0, 0, time.UTC), false, "", "test pass now_failing runs=2 passes=0 " +
				"flips=1 flaky=false streak=2 recovered= failing=07-03T13:00 passed=[] latest=fail"},
			{"orders", alertAt, true, "", "model error recovered runs=2 passes=2 flips=1 flaky=false streak=0 " +
				"recovered=07-02T13:00 failing= passed=[07-02T13:00 07-03T13:00] latest=success"},
			{"nn_orders_id", alertAt, true, "", "test fail still_failing runs=3 passes=1 flips=2 flaky=true streak=2 " +
				"recovered= failing=07-03T13:00 passed=[] latest=fail"},
			{"unique_orders", alertAt, true, "", "test fail still_failing runs=1 passes=0 flips=0 flaky=false streak=3 " +
				"recovered= failing=06-30T13:00 passed=[] latest=fail"},
			{"flaky_orders", alertAt, true, "", "test fail recovered runs=3 passes=2 flips=3 flaky=true streak=0 " +
				"recovered=07-04T10:00 failing= passed=[07-04T10:00] latest=pass"},
			{"stripe.payments", alertAt, true, "", "source_freshness error not_run runs=0 passes=0 flips=0 flaky=false " +
				"streak=1 recovered= failing=07-01T13:05 passed=[] latest="},
			{"late_orders", time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), true, "", "model error recovered runs=1 " +
				"passes=1 flips=1 flaky=false streak=0 recovered=07-01T11:00 failing= passed=[07-01T11:00] latest=success"},
			{"late_orders", time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), false, "", "model success not_run runs=0 " +
				"passes=0 flips=0 flaky=false streak=0 recovered= failing= passed=[07-01T11:00] latest="},
			{"orders", time.Date(2026, 7, 2, 14, 0, 0, 0, time.UTC), false, "", "model success still_passing runs=1 " +
				"passes=1 flips=0 flaky=false streak=0 recovered= failing= passed=[07-02T13:00 07-03T13:00] latest=success"},
			{"orders", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), true, "", "model - unknown runs=0 passes=0 flips=0 " +
				"flaky=false streak=0 recovered= failing= passed=[] latest="},
		} {
			column, subType := ResultSeries(tc.series, "test.shop."+tc.node)
			o, err := r.Occurrence(ctx, OccurrenceQuery{Node: tc.node, At: tc.at, Failing: tc.failing, Column: column,
				SubType: subType})
			if err != nil {
				t.Fatal(err)
			}
			eq(t, fmt.Sprintf("%s at %s", tc.node, tc.at.Format(time.DateTime)), describeOccurrence(o), tc.want)
		}

		o, err := r.Occurrence(ctx, OccurrenceQuery{Node: "nn_orders_id", At: alertAt, Failing: true})
		if err != nil {
			t.Fatal(err)
		}
		if o.Then == nil || o.Then.Message == nil || *o.Then.Message != "Got 12 results" || o.Then.Failures == nil ||
			*o.Then.Failures != 12 {
			t.Errorf("the alert's run lost its evidence: %+v", o.Then)
		}
		o, err = r.Occurrence(ctx, OccurrenceQuery{Node: "volume_orders", At: alertAt, Failing: true})
		if err != nil {
			t.Fatal(err)
		}
		if o.Value == nil || *o.Value != 412 || o.Low == nil || *o.Low != 950 || o.High == nil || *o.High != 1450 {
			t.Errorf("the anomaly's value then: %v (%v–%v), want 412 (950–1450)", o.Value, o.Low, o.High)
		}
		if o.Chart == nil || len(o.Chart.Anomalous) != 1 || o.LatestChart == nil || len(o.LatestChart.Anomalous) != 0 {
			t.Errorf("charts: the alert's %+v, the latest %+v", o.Chart, o.LatestChart)
		}
	})
}

// TestResultSeries: the column and sub type an elementary_unique_id names of its test's results.
func TestResultSeries(t *testing.T) {
	for _, tc := range []struct{ id, test, want string }{
		{"test.shop.not_null_orders_id.abc123.order_id.generic", "test.shop.not_null_orders_id.abc123", "order_id generic"},
		{"test.shop.vol.9a8b.None.row_count", "test.shop.vol.9a8b", " row_count"},
		{"test.shop.col.1.amount.None", "test.shop.col.1", "amount "},
		{"TEST.shop.col.1.a.b.null_count", "test.shop.col.1", "a.b null_count"},
		{"test.shop.col.1", "test.shop.col.1", " "},
		{"test.shop.other.2.amount.null_count", "test.shop.col.1", " "},
		{"test.shop.col.1.amount", "test.shop.col.1", " "},
		{"test.shop.col.1.amount.null_count", "", " "},
	} {
		column, subType := ResultSeries(tc.id, tc.test)
		eq(t, tc.id, column+" "+subType, tc.want)
	}
}

// describeOccurrence writes what TestOccurrence compares, one line.
func describeOccurrence(o Occurrence) string {
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("01-02T15:04")
	}
	then, latest := "-", ""
	if o.StatusThen != nil {
		then = *o.StatusThen
	}
	if o.Latest != nil {
		latest = o.Latest.Status
	}
	passed := make([]string, len(o.PassedAt))
	for i := range o.PassedAt {
		passed[i] = day(&o.PassedAt[i])
	}
	return fmt.Sprintf("%s %s %s runs=%d passes=%d flips=%d flaky=%v streak=%d recovered=%s failing=%s passed=%v latest=%s",
		o.Kind, then, o.Since, o.RunsSince, o.PassesSince, o.Flips, o.Flaky, o.Streak, day(o.RecoveredAt),
		day(o.FailingSince), passed, latest)
}

// TestOccurrenceUrgency: an alert that recovered, on a node healthy now, is low for the reason recovered; one that
// recovered and failed again and passes now is low as flaky; one failing again keeps its urgency now, flaky among its
// reasons; any other keeps its urgency — a node whose alert recovered but which fails otherwise now too.
func TestOccurrenceUrgency(t *testing.T) {
	none := UrgencyAnswer{Urgency: "none", Level: "NONE", Reasons: []Reason{}, DecidedBy: []Reason{}}
	for _, tc := range []struct {
		name string
		o    Occurrence
		want string
	}{
		{"recovered", Occurrence{Since: SinceRecovered}, "low LOW [recovered] [recovered] next=false"},
		{"recovered, flaky", Occurrence{Since: SinceRecovered, Flaky: true, Flips: 3}, "low LOW [flaky] [flaky] next=false"},
		{"not run, passing", Occurrence{Since: SinceNotRun}, "none NONE [] [] next=false"},
	} {
		u := tc.o.Urgency(none)
		eq(t, tc.name+" (healthy now)", fmt.Sprintf("%s %s %v %v next=%v", u.Urgency, u.Level, u.Reasons, u.DecidedBy, u.Next != nil), tc.want)
	}
	high := UrgencyAnswer{Urgency: "high", Level: "HIGH", Likelihood: "high", Impact: "high",
		Reasons: []Reason{ReasonRunError}, DecidedBy: []Reason{ReasonRunError, ReasonExposureAffected},
		Next: &NextStep{Action: ActionFixError}}
	for _, tc := range []struct {
		name string
		o    Occurrence
		want string
	}{
		{"recovered, failing otherwise now", Occurrence{Since: SinceRecovered},
			"high HIGH [run_error] [run_error exposure_affected] next=true"},
		{"failing again", Occurrence{Since: SinceStillFailing, Flaky: true, Flips: 2},
			"high HIGH [run_error flaky] [run_error exposure_affected] next=true"},
		{"still failing", Occurrence{Since: SinceStillFailing}, "high HIGH [run_error] [run_error exposure_affected] next=true"},
		{"not run", Occurrence{Since: SinceNotRun}, "high HIGH [run_error] [run_error exposure_affected] next=true"},
	} {
		u := tc.o.Urgency(high)
		eq(t, tc.name, fmt.Sprintf("%s %s %v %v next=%v", u.Urgency, u.Level, u.Reasons, u.DecidedBy, u.Next != nil), tc.want)
	}
	eq(t, "the urgency asked about", fmt.Sprint(high.Reasons), "[run_error]")
}

// TestSentAlerts: the alerts edr monitor marked sent in a window, with the node and test their data names and when
// their failure was detected; one pending, one sent outside the window and one whose data names no node are not.
func TestSentAlerts(t *testing.T) {
	f := occurrenceFixture()
	alert := func(id, status string, sent time.Time, data string) Row {
		return Row{"alert_id": id, "alert_class_id": "class-" + id, "type": "test", "detected_at": alertAt,
			"created_at": alertAt, "updated_at": sent, "status": status, "sent_at": sent, "data": data}
	}
	nn := `{"test_unique_id": "test.shop.nn_orders_id", "model_unique_id": "model.shop.orders", "test_short_name": "nn"}`
	f["alerts_v2"] = []Row{
		alert("a-sent", "sent", alertAt.Add(time.Minute), nn),
		alert("a-pending", "pending", alertAt.Add(time.Minute), nn),
		alert("a-later", "sent", alertAt.Add(3*time.Hour), nn),
		alert("a-nodata", "sent", alertAt.Add(2*time.Minute), `{"oops": true}`),
	}
	forEachFixture(t, f, ReaderOptions{}, func(t *testing.T, r *Reader, _ *localdb.DB) {
		got, err := r.SentAlerts(context.Background(), alertAt, alertAt.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, fmt.Sprintf("%s %s %s %s %s", a.ID, a.NodeID, a.TestID, a.Table,
				a.DetectedAt.Format(time.DateTime)))
		}
		eq(t, "sent alerts", ids, []string{"a-sent model.shop.orders test.shop.nn_orders_id dw.prod.orders 2026-07-01 13:05:22"})
	})
}
