package demo

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// dailyBuild simulates the 05:00 UTC `dbt build`: seeds, snapshots and every non-hourly model in DAG order (an
// error skips everything downstream), then the tests. build is this build's index, latest the last one's.
func (d *Dataset) dailyBuild(e emitter, inv *invocation, build, latest int) error {
	rng := inv.rng
	cur := inv.started.Add(6 * time.Second)
	status := make([]string, len(d.nodes))
	var runs []modelRun
	for i := range d.nodes {
		n := &d.nodes[i]
		if n.kind == "source" || n.hourly {
			continue
		}
		st, msg := "success", "SUCCESS 1"
		for _, p := range n.parents {
			if status[p] == "error" || status[p] == "skipped" {
				st, msg = "skipped", ""
			}
		}
		if st == "success" {
			switch {
			case n.errorLatest && build == latest:
				st = "error"
				msg = "Database Error in model " + n.name + " (models/" + n.path + ")\n002003 (42S02): SQL compilation error:\n" +
					"Object 'RAW.SHOPIFY.INVENTORY_LEVELS_V2' does not exist or not authorized."
			case !n.protected && rng.Float64() < 0.002:
				st, msg = "error", errorMessage(rng, n)
			}
		}
		if n.kind == "seed" && st == "success" {
			msg = "INSERT 42"
		}
		status[i] = st
		secs := 0.0
		if st != "skipped" {
			secs = 1 + rng.Float64()*30
			if n.layer == "marts" {
				secs *= 3
			}
		}
		runs = append(runs, modelRun{n, st, msg, cur, secs})
		cur = cur.Add(time.Duration(secs * float64(time.Second) / 8))
	}
	testStart := cur
	// Tests run after the models; their timings are spread after testStart.
	type tres struct {
		t      *test
		status string
		at     time.Time
	}
	var tests []tres
	for k := range d.tests {
		t := &d.tests[k]
		st := "pass"
		for _, p := range t.deps {
			if status[p] == "error" || status[p] == "skipped" {
				st = "skipped"
			}
		}
		if st == "pass" {
			switch {
			case t.protected:
			case t.failDays > 0 && build > latest-t.failDays:
				st = "fail"
			case t.flaky:
				if (build%2 == 1) != (rng.Float64() < 0.15) {
					st = "fail"
				}
			default:
				switch r := rng.Float64(); {
				case r < t.badness:
					st = "fail"
				case r < t.badness+0.0005:
					st = "error"
				}
			}
		}
		if t.id == StoryFlakyTestID && st != "skipped" {
			st = map[bool]string{true: "fail", false: "pass"}[build%2 == 1]
		}
		if st == "fail" && (t.severity == "WARN" || t.severity == "warn") {
			st = "warn"
		}
		at := testStart.Add(time.Duration(k%4000) * 150 * time.Millisecond)
		tests = append(tests, tres{t, st, at})
		if at.After(cur) {
			cur = at
		}
	}
	inv.completed = cur.Add(30 * time.Second)
	if err := d.modelRuns(e, inv, runs); err != nil {
		return err
	}
	for _, tr := range tests {
		if err := d.testResults(e, inv, tr.t, tr.status, tr.at, build == latest); err != nil {
			return err
		}
	}
	return d.invocationRow(e, inv)
}

// testResults writes a test's elementary_test_results rows for one invocation: one for dbt tests, one per
// metric for anomaly tests, one per change (or none) for schema-change tests. With buckets (the latest build), an
// anomaly test's volume or freshness result, and any anomalous result, gets its buckets in test_result_rows.
func (d *Dataset) testResults(e emitter, inv *invocation, t *test, status string, at time.Time, buckets bool) error {
	rng := inv.rng
	p := &d.nodes[t.parent]
	execID := inv.id + "." + t.id
	created := inv.completed.Add(time.Duration(3+rng.IntN(20)) * time.Second).Truncate(time.Millisecond)
	detected := at.Truncate(time.Millisecond)
	base := func(id, issue, subType, column, desc, rowStatus string, failures int64) error {
		r, set := d.row("elementary_test_results")
		set("id", id)
		set("test_execution_id", execID)
		set("test_unique_id", t.id)
		set("model_unique_id", p.id)
		set("invocation_id", inv.id)
		set("detected_at", detected)
		set("created_at", created)
		if p.kind == "source" {
			set("database_name", "RAW")
			set("table_name", p.table)
		} else {
			set("database_name", "ANALYTICS")
			set("table_name", p.alias)
		}
		set("schema_name", p.schema)
		set("column_name", nullable(column))
		set("test_sub_type", subType)
		set("data_issue_id", nullable(issue))
		set("test_results_description", nullable(desc))
		set("owners", p.ownersJSON)
		set("tags", jsonText(p.tags))
		set("test_name", t.name)
		set("severity", t.severity)
		set("status", rowStatus)
		set("test_short_name", t.short)
		set("test_alias", t.name)
		switch t.kind {
		case tkGeneric:
			set("test_type", "dbt_test")
			set("failures", failures)
			if rowStatus != "skipped" {
				set("failed_row_count", failures)
			}
		case tkSchemaChanges:
			set("test_type", "schema_change")
			set("failures", failures)
		default:
			set("test_type", "anomaly_detection")
			set("failures", failures)
			if failures > 0 {
				set("other", fmt.Sprintf("%.1f", float64(1000+rng.IntN(900))))
			}
		}
		if err := e.emit(rng, "elementary_test_results", r); err != nil {
			return err
		}
		if (rowStatus == "fail" || rowStatus == "error") && rng.Float64() < 0.7 {
			col := column
			if col == "" {
				col = "None"
			}
			return d.alert(e, inv, "test", id, t.id+"."+col+"."+subType, p.id, detected, rowStatus)
		}
		return nil
	}
	switch t.kind {
	case tkGeneric:
		var failures int64
		desc := ""
		switch status {
		case "fail", "warn":
			failures = int64(1 + rng.IntN(40))
			desc = fmt.Sprintf("Got %d results, configured to fail if != 0", failures)
		case "error":
			desc = "Database Error in test " + t.name + " (models/" + p.path + ")\n000630 (57014): Statement reached its statement or warehouse timeout of 600 second(s) and was canceled."
		}
		return base(execID, "", "generic", t.column, desc, status, failures)
	case tkSchemaChanges:
		if status != "fail" && status != "warn" {
			return nil // schema_changes writes rows only when something changed
		}
		col := []string{"discount", "store_region", "loyalty_tier"}[rng.IntN(3)]
		id := md5hex(p.id, col, "column_added", detected.String())
		return base(md5hex(id, execID), id, "column_added", col, fmt.Sprintf("The column \"%s\" was added", col), status, 1)
	}
	var metrics [][2]string // column, metric
	switch t.kind {
	case tkVolume:
		metrics = [][2]string{{"", "row_count"}}
	case tkFreshnessAnomaly:
		metrics = [][2]string{{"", "freshness"}}
	default:
		metrics = [][2]string{{"amount", "null_count"}, {"amount", "null_percent"}, {"status", "null_count"},
			{"status", "null_percent"}}
	}
	bad := 0
	if status == "fail" || status == "warn" || status == "error" {
		bad = rng.IntN(len(metrics))
	}
	for i, m := range metrics {
		st := status
		var failures int64
		avg := float64(5000 + rng.IntN(20000))
		last := avg * (0.9 + rng.Float64()*0.2)
		if status == "fail" || status == "warn" {
			if i == bad {
				failures = 1
				last = avg * 0.07
			} else {
				st = "pass" // rows with no failures are forced to pass
			}
		}
		desc := fmt.Sprintf("The last %s value is %.1f. The average for this metric is %.1f.", m[1], last, avg)
		if status == "skipped" || status == "error" {
			desc = ""
		}
		metricID := md5hex(p.id, m[0], m[1])
		id := md5hex(metricID, execID)
		if err := base(id, metricID, m[1], m[0], desc, st, failures); err != nil {
			return err
		}
		if buckets && st != "skipped" && st != "error" && (t.kind != tkColumnAnomaly || failures > 0) {
			if err := d.anomalyBuckets(e, inv, id, p, m, avg, last, failures > 0, created, detected); err != nil {
				return err
			}
		}
	}
	return nil
}

// anomalyBuckets writes the test_result_rows of an anomaly result: AnomalyBuckets daily buckets ending on the
// build's day, as Elementary's on-run-end writes them (agate_to_dicts: lower-case keys, isoformat times), around
// avg with a ±15% expected range; the last bucket holds last, anomalous when bad (its range then the previous
// bucket's). Their noise comes from the result's own id, so the main random stream is untouched.
func (d *Dataset) anomalyBuckets(e emitter, inv *invocation, resultID string, p *node, m [2]string, avg, last float64,
	bad bool, created, detected time.Time) error {
	seed := md5hex(resultID)
	var a, b uint64
	fmt.Sscanf(seed[:16], "%x", &a)
	fmt.Sscanf(seed[16:], "%x", &b)
	noise := rand.New(rand.NewPCG(a, b))
	day := inv.started.Truncate(24 * time.Hour)
	table := strings.ToUpper(p.schema + "." + p.alias)
	low, high := avg*0.85, avg*1.15
	for i := range AnomalyBuckets {
		end := day.AddDate(0, 0, i-AnomalyBuckets+1)
		value := avg * (0.93 + noise.Float64()*0.14)
		anomalous := false
		if i == AnomalyBuckets-1 {
			value, anomalous = last, bad
		}
		row, err := json.Marshal(map[string]any{"value": value, "average": avg, "min_value": low, "max_value": high,
			"start_time": end.AddDate(0, 0, -1).Format("2006-01-02T15:04:05"), "end_time": end.Format("2006-01-02T15:04:05"),
			"metric_value": value, "min_metric_value": low, "max_metric_value": high, "training_avg": avg,
			"bucket_start": end.AddDate(0, 0, -1).Format("2006-01-02T15:04:05"), "bucket_end": end.Format("2006-01-02T15:04:05"),
			"is_anomalous": anomalous, "metric_name": m[1], "column_name": nullable(m[0]), "full_table_name": table,
			"dimension": nil, "dimension_value": nil})
		if err != nil {
			return fmt.Errorf("demo: anomaly bucket: %w", err)
		}
		r, set := d.row("test_result_rows")
		set("elementary_test_results_id", resultID)
		set("result_row", string(row))
		set("detected_at", detected)
		set("created_at", created)
		set("row_index", int64(i+1))
		set("test_type", "anomaly_detection")
		if err := e.fn("test_result_rows", r); err != nil {
			return err
		}
	}
	return nil
}
