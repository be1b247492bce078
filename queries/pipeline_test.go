package queries

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestPipelineStop: the whole pipeline stopped when no dbt invocation of any job has started for at least an hour
// while, in each of the two weeks before, one had started in the same stretch of the week — or for a week. Any
// schedule is its own reference: a nightly job at noon, a weekday job on Saturday, business hours at night are as
// usual; a young project is not judged before a week of silence.
func TestPipelineStop(t *testing.T) {
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday
	hourly := func(days int) []time.Time {
		var out []time.Time
		for h := 0; h < days*24; h++ {
			out = append(out, base.Add(time.Duration(h)*time.Hour+5*time.Minute))
		}
		return out
	}
	nightly := func(days int, jitter time.Duration) []time.Time {
		var out []time.Time
		for d := range days {
			out = append(out, base.AddDate(0, 0, d).Add(5*time.Hour+time.Duration(d%3)*jitter))
		}
		return out
	}
	weekdays := func(days int) []time.Time {
		var out []time.Time
		for d := range days {
			if day := base.AddDate(0, 0, d); !isWeekend(day) {
				out = append(out, day.Add(7*time.Hour))
			}
		}
		return out
	}
	businessHours := func(days int) []time.Time {
		var out []time.Time
		for d := range days {
			for h := 9; h <= 18; h++ {
				out = append(out, base.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour))
			}
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		starts  []time.Time
		now     time.Time
		stopped bool
	}{
		{"hourly, the last one 40 minutes ago", hourly(21), base.AddDate(0, 0, 21).Add(-35 * time.Minute), false},
		{"hourly, silent for three hours", hourly(21), base.AddDate(0, 0, 21).Add(2*time.Hour + 5*time.Minute), true},
		{"nightly at 05:00, at noon", nightly(21, 0), base.AddDate(0, 0, 20).Add(12 * time.Hour), false},
		{"nightly at 05:00 give or take an hour, at 06:30", nightly(21, 40*time.Minute), base.AddDate(0, 0, 20).Add(6*time.Hour + 30*time.Minute), false},
		{"nightly, missed tonight's run, at noon", nightly(20, 0), base.AddDate(0, 0, 20).Add(12 * time.Hour), true},
		{"weekdays at 07:00, on Saturday", weekdays(19), base.AddDate(0, 0, 19).Add(15 * time.Hour), false},
		{"weekdays at 07:00, on Monday 07:30", weekdays(21), base.AddDate(0, 0, 21).Add(7*time.Hour + 30*time.Minute), false},
		{"weekdays at 07:00, Monday's run missed, at noon", weekdays(21), base.AddDate(0, 0, 21).Add(12 * time.Hour), true},
		{"business hours, at night", businessHours(21), base.AddDate(0, 0, 20).Add(23 * time.Hour), false},
		{"business hours, silent since yesterday evening, at 11:00", businessHours(20), base.AddDate(0, 0, 20).Add(11 * time.Hour), true},
		{"a young project, silent for two days", hourly(5), base.AddDate(0, 0, 7), false},
		{"a young project, silent for a week", hourly(5), base.AddDate(0, 0, 12), true},
		{"no invocation at all", nil, base, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Fixture{"dbt_invocations": {}}
			for i, at := range tc.starts {
				f["dbt_invocations"] = append(f["dbt_invocations"], Row{"invocation_id": fmt.Sprintf("inv-%d", i),
					"created_at": at.Add(time.Minute), "run_started_at": at.Format(time.RFC3339), "command": "build",
					"job_name": "main"})
			}
			db := openMirror(t)
			loadMirror(t, db, f)
			r := NewReader(db, ReaderOptions{})
			stop, err := r.pipelineAt(context.Background(), tc.now)
			if err != nil {
				t.Fatal(err)
			}
			if (stop != nil) != tc.stopped {
				t.Fatalf("stopped = %+v, want %v", stop, tc.stopped)
			}
			if stop != nil && (!stop.Since.Equal(tc.starts[len(tc.starts)-1]) || stop.JobName != "main") {
				t.Errorf("stop = %+v, want since the last start %s", stop, tc.starts[len(tc.starts)-1])
			}
		})
	}
}

// TestDidTheJobRun: a node that missed its build is judged by the invocations that could have built it — its job's
// building commands with no selector or the selector that built it before. Its job's `dbt test`, or a build of
// another selector, is not "its job ran without building it"; no dbt run of any job at all is the pipeline that
// stopped, said as one cause with the orchestrator to check.
func TestDidTheJobRun(t *testing.T) {
	const model = "model.shop.orders"
	// Built daily at 06:10 until the 20th: late from 18:10 on the 21st (a day and half a day's slack).
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name            string
		builtDays       int
		later           []Row // invocations after the last build
		now             time.Time
		cause, next     string
		pipelineStopped bool
	}{
		{name: "its job ran only dbt test since", builtDays: 20,
			later: []Row{{"command": "test", "selected": `["tag:core"]`}}, now: day(21, 20),
			cause: "job_not_run:high", next: "check_job:nightly"},
		{name: "its job built another selector", builtDays: 20,
			later: []Row{{"command": "build", "selected": `["tag:other"]`}}, now: day(21, 20),
			cause: "job_not_run:high", next: "check_job:nightly"},
		{name: "its job built everything without it", builtDays: 20,
			later: []Row{{"command": "build", "selected": `[]`}}, now: day(21, 20),
			cause: "not_built_by_job:medium", next: "check_job:nightly"},
		{name: "its job ran its selector without building it", builtDays: 20,
			later: []Row{{"command": "run", "selected": `["tag:core"]`}}, now: day(21, 20),
			cause: "not_built_by_job:medium", next: "check_job:nightly"},
		{name: "no dbt run of any job since", builtDays: 20, now: day(21, 20),
			cause: "pipeline_stopped:high", next: "check_pipeline:nightly", pipelineStopped: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Fixture{"dbt_models": {{"unique_id": model, "name": "orders", "package_name": "shop", "owner": "[]",
				"meta": "{}", "tags": "[]", "depends_on_nodes": "[]", "generated_at": "2026-10-01 00:00:00"}}}
			invocation := func(id string, at time.Time, extra Row) Row {
				r := Row{"invocation_id": id, "created_at": at.Add(20 * time.Minute), "run_started_at": at.Format(time.RFC3339),
					"job_name": "nightly", "command": "run", "selected": `["tag:core"]`}
				for k, v := range extra {
					r[k] = v
				}
				return r
			}
			for d := 1; d <= tc.builtDays; d++ {
				inv := fmt.Sprintf("inv-%d", d)
				f["dbt_invocations"] = append(f["dbt_invocations"], invocation(inv, day(d, 6), nil))
				f["dbt_run_results"] = append(f["dbt_run_results"], run(inv, model, "success",
					day(d, 6).Add(10*time.Minute).Format(time.RFC3339), day(d, 6).Add(15*time.Minute).Format("2006-01-02 15:04:05"), nil))
			}
			for i, extra := range tc.later {
				f["dbt_invocations"] = append(f["dbt_invocations"], invocation(fmt.Sprintf("later-%d", i),
					day(tc.builtDays+1, 6), extra))
			}
			db := openMirror(t)
			loadMirror(t, db, f)
			r := NewReader(db, ReaderOptions{Now: func() time.Time { return tc.now }})
			why, err := r.Why(context.Background(), "orders")
			if err != nil {
				t.Fatal(err)
			}
			first, next := "", ""
			if len(why.LikelyCauses) > 0 {
				first = string(why.LikelyCauses[0].Kind) + ":" + why.LikelyCauses[0].Confidence
			}
			if why.Next != nil {
				next = string(why.Next.Action) + ":" + why.Next.Name
			}
			eq(t, "first cause", first, tc.cause)
			eq(t, "next", next, tc.next)
			if (why.Pipeline != nil) != tc.pipelineStopped {
				t.Errorf("pipeline %+v, want stopped %v", why.Pipeline, tc.pipelineStopped)
			}
			if len(why.LikelyCauses) > 1 {
				t.Errorf("more causes than the one: %+v", why.LikelyCauses)
			}
		})
	}
}
