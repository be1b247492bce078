package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// dupRate is the share of history rows inserted twice, as Elementary's plain INSERTs do.
const dupRate = 0.004

// Stream calls fn for every row of the warehouse: the definition tables first, then the history in time order,
// produced on the fly. Rows follow the column order of elementary.Tables(); fn may keep them.
func (d *Dataset) Stream(ctx context.Context, fn func(table string, row []any) error) error {
	if err := d.streamDefinitions(fn); err != nil {
		return err
	}
	return d.streamHistory(ctx, fn)
}

func (d *Dataset) defTime(i int) string {
	return elemTime(d.opts.Now.Add(-time.Duration(40*24+i%500) * time.Hour).Truncate(time.Second))
}

func (d *Dataset) ids(idx []int) string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = d.nodes[j].id
	}
	return jsonText(out)
}

func (d *Dataset) streamDefinitions(fn func(string, []any) error) error {
	for i, t := range Teams() {
		r, set := d.row("dbt_groups")
		set("unique_id", "group.kumo."+t)
		set("name", t)
		set("owner_email", t+"-data@kumo.coffee")
		set("owner_name", strings.ToUpper(t[:1])+t[1:]+" Data")
		set("generated_at", d.defTime(i))
		set("metadata_hash", md5hex("group", t))
		if err := fn("dbt_groups", r); err != nil {
			return err
		}
	}
	for i, n := range d.nodes {
		table := map[string]string{"source": "dbt_sources", "seed": "dbt_seeds", "snapshot": "dbt_snapshots",
			"model": "dbt_models"}[n.kind]
		r, set := d.row(table)
		set("unique_id", n.id)
		set("name", n.name)
		set("package_name", n.pkg)
		set("tags", jsonText(n.tags))
		set("meta", n.meta)
		set("owner", n.owner)
		set("description", nullable(n.description))
		set("original_path", "models/"+n.path)
		set("path", n.path)
		set("generated_at", d.defTime(i))
		set("metadata_hash", md5hex(n.id, n.meta, n.owner))
		set("schema_name", n.schema)
		if n.kind == "source" {
			set("database_name", "RAW")
			set("source_name", n.sourceName)
			set("identifier", strings.ToUpper(n.table))
			set("loaded_at_field", "_fivetran_synced")
			if n.freshness {
				set("freshness_warn_after", `{"count": 12, "period": "hour"}`)
				set("freshness_error_after", `{"count": 24, "period": "hour"}`)
			}
			set("relation_name", fmt.Sprintf(`"RAW"."%s"."%s"`, strings.ToUpper(n.sourceName), strings.ToUpper(n.table)))
			set("source_description", "Data loaded from "+n.sourceName+" by Fivetran.")
		} else {
			set("database_name", "ANALYTICS")
			set("alias", n.alias)
			set("checksum", md5hex("checksum", n.id)+md5hex("sum", n.id))
			set("materialization", n.materialization)
			set("depends_on_nodes", d.ids(n.parents))
			set("patch_path", n.pkg+"://models/"+strings.TrimSuffix(n.path, n.name+".sql")+"schema.yml")
			set("group_name", nullable(n.group))
			set("access", nullable(n.access))
			if n.kind == "seed" {
				set("original_path", n.path)
			}
		}
		if err := fn(table, r); err != nil {
			return err
		}
	}
	for i, t := range d.tests {
		p := d.nodes[t.parent]
		r, set := d.row("dbt_tests")
		set("unique_id", t.id)
		set("database_name", map[bool]string{true: "RAW", false: "ANALYTICS"}[p.kind == "source"])
		set("schema_name", p.schema)
		set("name", t.name)
		set("short_name", t.short)
		set("alias", t.name)
		set("test_column_name", nullable(t.column))
		set("severity", t.severity)
		set("warn_if", "!= 0")
		set("error_if", "!= 0")
		params := map[string]any{"model": "{{ get_where_subquery(ref('" + p.name + "')) }}"}
		if p.kind == "source" {
			params["model"] = "{{ get_where_subquery(source('" + p.sourceName + "', '" + p.table + "')) }}"
		}
		if t.column != "" {
			params["column_name"] = t.column
		}
		set("test_params", jsonText(params))
		set("test_namespace", nullable(t.namespace))
		set("test_original_name", t.short)
		set("tags", jsonText([]string{}))
		set("model_tags", jsonText(p.tags))
		set("model_owners", p.ownersJSON)
		meta := t.meta
		if meta == "" {
			meta = "{}"
		}
		set("meta", meta)
		set("depends_on_nodes", d.ids(t.deps))
		set("parent_model_unique_id", p.id)
		set("description", nil)
		set("package_name", Project)
		set("type", "generic")
		set("original_path", "models/"+p.path)
		set("path", t.name+".sql")
		set("generated_at", d.defTime(i))
		set("metadata_hash", md5hex(t.id, meta))
		set("quality_dimension", qualityDimension(t.short))
		set("group_name", nullable(p.group))
		if err := fn("dbt_tests", r); err != nil {
			return err
		}
	}
	for i, e := range d.exposures {
		r, set := d.row("dbt_exposures")
		set("unique_id", e.id)
		set("name", e.name)
		set("label", nullable(e.label))
		set("maturity", e.maturity)
		set("type", e.typ)
		set("owner_email", e.email)
		set("owner_name", e.ownerName)
		set("url", e.url)
		set("depends_on_nodes", d.ids(e.deps))
		set("description", "Used by "+e.ownerName+".")
		set("tags", "[]")
		set("meta", e.meta)
		set("package_name", Project)
		set("original_path", "models/exposures.yml")
		set("path", "exposures.yml")
		set("generated_at", d.defTime(i))
		set("metadata_hash", md5hex(e.id))
		if err := fn("dbt_exposures", r); err != nil {
			return err
		}
	}
	return d.streamColumns(fn)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// qualityDimension is the dimension Elementary records for a test of the demo's kinds: its mapping in
// common_test_configs.sql (column_anomalies has none: NULL).
func qualityDimension(short string) any {
	switch short {
	case "not_null", "volume_anomalies":
		return "completeness"
	case "unique":
		return "uniqueness"
	case "relationships":
		return "consistency"
	case "freshness_anomalies":
		return "freshness"
	case "expression_is_true":
		return "accuracy"
	case "column_anomalies":
		return nil
	}
	return "validity"
}

// invocation is one dbt command being simulated.
type invocation struct {
	id, command, job, orchestrator string
	selected                       []string
	started, completed             time.Time
	rng                            *rand.Rand
}

// emitter sends history rows, duplicating a few.
type emitter struct {
	d  *Dataset
	fn func(string, []any) error
}

func (e emitter) emit(rng *rand.Rand, table string, r []any) error {
	if err := e.fn(table, r); err != nil {
		return err
	}
	if rng.Float64() < dupRate {
		return e.fn(table, r)
	}
	return nil
}

// Job kinds seeding each invocation's random stream.
const (
	jobFreshness = iota + 1
	jobHourly
	jobDaily
)

func (d *Dataset) newInvocation(kind, idx int, start time.Time) *invocation {
	rng := rand.New(rand.NewPCG(uint64(d.opts.Seed), uint64(kind)<<40|uint64(idx)))
	inv := &invocation{id: uuid4(rng), rng: rng, started: start.Add(time.Duration(rng.IntN(40)) * time.Second)}
	switch kind {
	case jobFreshness:
		inv.command, inv.job, inv.orchestrator = "freshness", "kumo_source_freshness", "github_actions"
		inv.selected = []string{"source:*"}
	case jobHourly:
		inv.command, inv.job, inv.orchestrator = "run", "kumo_hourly_staging", "airflow"
		inv.selected = []string{"tag:hourly"}
	default:
		inv.command, inv.job, inv.orchestrator = "build", "kumo_daily_build", "dbt_cloud"
		inv.selected = []string{"tag:nightly"}
	}
	return inv
}

// durations of each job, used to keep every invocation inside history.
func jobLength(kind int) time.Duration {
	switch kind {
	case jobFreshness:
		return 2 * time.Minute
	case jobHourly:
		return 10 * time.Minute
	}
	return 90 * time.Minute
}

func (d *Dataset) streamHistory(ctx context.Context, fn func(string, []any) error) error {
	now := d.opts.Now
	start := now.Add(-time.Duration(d.opts.Days) * 24 * time.Hour).Truncate(time.Hour)
	e := emitter{d: d, fn: fn}
	// The daily builds, so that the latest one is known up front.
	var builds []time.Time
	for day := start.Truncate(24 * time.Hour); !day.After(now); day = day.Add(24 * time.Hour) {
		t := day.Add(5 * time.Hour)
		if !t.Before(start) && !t.Add(jobLength(jobDaily)).After(now) {
			builds = append(builds, t)
		}
	}
	bi := 0
	hourIdx := 0
	for h := start; !h.After(now); h = h.Add(time.Hour) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("generate demo history: %w", err)
		}
		if !h.Add(jobLength(jobFreshness)).After(now) {
			if err := d.freshnessRun(e, d.newInvocation(jobFreshness, hourIdx, h)); err != nil {
				return err
			}
		}
		if !h.Add(2*time.Minute + jobLength(jobHourly)).After(now) {
			if err := d.hourlyRun(e, d.newInvocation(jobHourly, hourIdx, h.Add(2*time.Minute))); err != nil {
				return err
			}
		}
		if bi < len(builds) && builds[bi].Equal(h) {
			if err := d.dailyBuild(e, d.newInvocation(jobDaily, bi, h), bi, len(builds)-1); err != nil {
				return err
			}
			bi++
		}
		hourIdx++
	}
	return nil
}

func (d *Dataset) invocationRow(e emitter, inv *invocation) error {
	r, set := d.row("dbt_invocations")
	rng := inv.rng
	runID := fmt.Sprintf("%d", 70000000+rng.IntN(9999999))
	set("invocation_id", inv.id)
	set("job_id", map[string]string{"kumo_source_freshness": "101", "kumo_hourly_staging": "102", "kumo_daily_build": "103"}[inv.job])
	set("job_name", inv.job)
	set("job_run_id", runID)
	set("run_started_at", elemTime(inv.started))
	set("run_completed_at", elemTime(inv.completed))
	set("generated_at", elemTime(inv.completed))
	set("created_at", inv.completed.Add(time.Duration(2+rng.IntN(20))*time.Second).Truncate(time.Millisecond))
	set("command", inv.command)
	set("dbt_version", "1.8.7")
	set("elementary_version", "0.16.1")
	set("full_refresh", false)
	set("target_name", "prod")
	set("target_database", "ANALYTICS")
	set("target_schema", "prod")
	set("target_profile_name", "kumo")
	set("threads", int64(8))
	set("selected", jsonText(inv.selected))
	set("project_name", Project)
	set("env", "prod")
	set("orchestrator", inv.orchestrator)
	set("dbt_user", "svc_dbt")
	switch inv.orchestrator {
	case "dbt_cloud":
		set("job_url", "https://cloud.getdbt.com/deploy/12345/projects/678/jobs/103")
		set("job_run_url", "https://cloud.getdbt.com/deploy/12345/projects/678/runs/"+runID)
	case "airflow":
		set("job_url", "https://airflow.kumo.coffee/dags/"+inv.job+"/grid")
		set("job_run_url", "https://airflow.kumo.coffee/dags/"+inv.job+"/grid?dag_run_id=scheduled__"+inv.started.Format("2006-01-02T15:04:05"))
	default:
		set("job_url", "https://github.com/kumo-coffee/dbt/actions/workflows/freshness.yml")
		set("job_run_url", "https://github.com/kumo-coffee/dbt/actions/runs/"+runID)
	}
	set("git_sha", md5hex("sha", Project)[:12]+md5hex("git", Project)[:28])
	set("cause_category", "scheduled")
	set("cause", "Kicked off by schedule")
	return e.emit(rng, "dbt_invocations", r)
}

// runResult writes one dbt_run_results row for node n ending at end.
func (d *Dataset) runResult(e emitter, inv *invocation, n *node, status, message string, begin time.Time,
	secs float64, upload time.Time) error {
	r, set := d.row("dbt_run_results")
	rng := inv.rng
	end := begin.Add(time.Duration(secs * float64(time.Second)))
	set("model_execution_id", inv.id+"."+n.id)
	set("unique_id", n.id)
	set("invocation_id", inv.id)
	set("generated_at", elemTime(upload))
	set("created_at", upload.Add(time.Duration(1+rng.IntN(9))*time.Second).Truncate(time.Millisecond))
	set("name", n.name)
	set("message", nullable(message))
	set("status", status)
	rt := n.kind
	set("resource_type", rt)
	set("execution_time", secs)
	if status != "skipped" {
		set("compile_started_at", isoTime(begin.Add(-150*time.Millisecond)))
		set("compile_completed_at", isoTime(begin.Add(-12*time.Millisecond)))
		set("execute_started_at", isoTime(begin))
		set("execute_completed_at", isoTime(end))
	}
	if status == "success" && n.kind != "source" {
		set("rows_affected", int64(1+rng.IntN(250000)))
		set("query_id", fmt.Sprintf("01b%05x-0000-%04x-0000-%012x", rng.IntN(1<<20), rng.IntN(1<<16), rng.Uint64()&(1<<48-1)))
	}
	set("full_refresh", false)
	set("thread_id", fmt.Sprintf("Thread-%d (worker)", 1+rng.IntN(8)))
	set("materialization", nullable(n.materialization))
	set("group_name", nullable(n.group))
	return e.emit(rng, "dbt_run_results", r)
}

func errorMessage(rng *rand.Rand, n *node) string {
	what := "model " + n.name + " (models/" + n.path + ")"
	switch rng.IntN(4) {
	case 0:
		return "Database Error in " + what + "\n002003 (42S02): SQL compilation error:\nObject 'ANALYTICS." +
			strings.ToUpper(n.schema+"."+n.alias) + "_SRC' does not exist or not authorized."
	case 1:
		return "Database Error in " + what + "\n000904 (42000): SQL compilation error: error line 14 at position 8\ninvalid identifier 'STORE_REGION'"
	case 2:
		return "Database Error in " + what + "\n100038 (22018): Numeric value 'N/A' is not recognized"
	}
	return "Database Error in " + what + "\n000630 (57014): Statement reached its statement or warehouse timeout of 3,600 second(s) and was canceled."
}

// modelRun is one model's run within an invocation, kept until the invocation's end is known.
type modelRun struct {
	n      *node
	status string
	msg    string
	begin  time.Time
	secs   float64
}

// modelRuns writes the runs' results, and an alert for each run that ended in error, once inv.completed is set.
func (d *Dataset) modelRuns(e emitter, inv *invocation, runs []modelRun) error {
	for _, r := range runs {
		if err := d.runResult(e, inv, r.n, r.status, r.msg, r.begin, r.secs, inv.completed); err != nil {
			return err
		}
		if r.status == "error" {
			if err := d.alert(e, inv, "model", inv.id+"."+r.n.id, r.n.id, r.n.id, r.begin, "error"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Dataset) hourlyRun(e emitter, inv *invocation) error {
	rng := inv.rng
	cur := inv.started.Add(4 * time.Second)
	var runs []modelRun
	for i := range d.nodes {
		n := &d.nodes[i]
		if !n.hourly {
			continue
		}
		secs := 0.8 + rng.Float64()*6
		status, msg := "success", "SUCCESS 1"
		if !n.protected && rng.Float64() < 0.001 {
			status, msg = "error", errorMessage(rng, n)
		}
		runs = append(runs, modelRun{n, status, msg, cur, secs})
		cur = cur.Add(time.Duration(secs * float64(time.Second) / 4))
	}
	inv.completed = cur.Add(8 * time.Second)
	if err := d.modelRuns(e, inv, runs); err != nil {
		return err
	}
	return d.invocationRow(e, inv)
}

func (d *Dataset) freshnessRun(e emitter, inv *invocation) error {
	rng := inv.rng
	now := d.opts.Now
	snap := inv.started.Add(5 * time.Second)
	inv.completed = snap.Add(time.Duration(20+rng.IntN(40)) * time.Second)
	for i := range d.nodes {
		n := &d.nodes[i]
		if n.kind != "source" || !n.freshness {
			continue
		}
		age := time.Duration(10+rng.IntN(70)) * time.Minute
		status := "pass"
		errText := ""
		switch {
		case n.id == StoryStaleSourceID && snap.After(now.Add(-StoryStaleHours*time.Hour)):
			age = snap.Sub(now.Add(-StoryStaleHours * time.Hour))
		case n.id == StoryWarnSourceID && snap.After(now.Add(-3*time.Hour)):
			age = snap.Sub(now.Add(-14 * time.Hour))
		case n.id == StoryRuntimeErrorSourceID && snap.After(now.Add(-6*time.Hour)):
			status = "runtime error"
			errText = "Database Error in source leads (models/staging/salesforce/_salesforce__sources.yml)\n" +
				"002003 (42S02): SQL compilation error:\nObject 'RAW.SALESFORCE.LEADS' does not exist or not authorized."
		case !n.protected:
			switch r := rng.Float64(); {
			case r < 0.001:
				age = 26*time.Hour + time.Duration(rng.IntN(3600))*time.Second
			case r < 0.005:
				age = 13*time.Hour + time.Duration(rng.IntN(3600))*time.Second
			}
		}
		if status == "pass" {
			switch {
			case age > 24*time.Hour:
				status = "error"
			case age > 12*time.Hour:
				status = "warn"
			}
		}
		begin := snap.Add(time.Duration(rng.IntN(15000)) * time.Millisecond)
		secs := 0.3 + rng.Float64()*2
		end := begin.Add(time.Duration(secs * float64(time.Second)))
		r, set := d.row("dbt_source_freshness_results")
		set("source_freshness_execution_id", inv.id+"."+n.id)
		set("unique_id", n.id)
		if status != "runtime error" {
			set("max_loaded_at", isoTZ(snap.Add(-age)))
			set("max_loaded_at_time_ago_in_s", age.Seconds())
		}
		set("snapshotted_at", isoTZ(snap))
		set("generated_at", elemTime(inv.completed))
		set("created_at", inv.completed.Add(time.Duration(1+rng.IntN(9))*time.Second).Truncate(time.Millisecond))
		set("status", status)
		set("error", nullable(errText))
		set("compile_started_at", isoTime(begin))
		set("compile_completed_at", isoTime(begin.Add(5*time.Millisecond)))
		set("execute_started_at", isoTime(begin.Add(5*time.Millisecond)))
		set("execute_completed_at", isoTime(end))
		set("invocation_id", inv.id)
		set("warn_after", `{"count": 12, "period": "hour"}`)
		set("error_after", `{"count": 24, "period": "hour"}`)
		if err := e.emit(rng, "dbt_source_freshness_results", r); err != nil {
			return err
		}
		if err := d.runResult(e, inv, n, status, errText, begin, secs, inv.completed); err != nil {
			return err
		}
		if (status == "error" || status == "runtime error") && rng.Float64() < 0.2 {
			if err := d.alert(e, inv, "source_freshness", inv.id+"."+n.id, n.id, n.id, snap, status); err != nil {
				return err
			}
		}
	}
	return d.invocationRow(e, inv)
}

// alert writes an alerts_v2 row, as `edr monitor` leaves it after sending.
func (d *Dataset) alert(e emitter, inv *invocation, typ, id, classID, subject string, detected time.Time, status string) error {
	rng := inv.rng
	r, set := d.row("alerts_v2")
	created := detected.Add(time.Duration(10+rng.IntN(20)) * time.Minute).Truncate(time.Millisecond)
	sent := created.Add(time.Duration(2+rng.IntN(30)) * time.Second)
	if sent.After(d.opts.Now) {
		return nil // edr monitor has not run yet
	}
	set("alert_id", id)
	set("alert_class_id", classID)
	set("type", typ)
	set("detected_at", detected.Truncate(time.Millisecond))
	set("created_at", created)
	set("updated_at", sent)
	set("status", "sent")
	set("data", jsonText(map[string]any{"id": id, "alert_class_id": classID, "model_unique_id": subject,
		"status": status, "invocation_id": inv.id, "job_name": inv.job}))
	set("sent_at", sent)
	return e.emit(rng, "alerts_v2", r)
}
