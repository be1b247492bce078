package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Diagnosis is the diagnosis core's verdict on one subject (a node or a test): what is wrong, why, and what to do.
// It is the one place a cause is decided: `why` lists its causes, escalation groups an incident under its Root, an
// incident's notice names its Explanation, and the digest folds a failing test into the action its Root names.
type Diagnosis struct {
	Subject Node
	Health  Health
	// LastRun is the subject's last run (a test's latest result: its status, time, invocation and message); nil for
	// a source, or when it never ran.
	LastRun *Run
	// Causes are the causes the rows give evidence of, most probable first:
	//   - its last run errored: that error, then the change of its definition before it first errored, if any;
	//   - its last run was skipped: the roots in that very invocation (skipRoots), and nothing else; when no root
	//     is found, the skip itself with low confidence;
	//   - it missed its usual build: the pipeline that stopped, else its job that did not run (or ran without
	//     building it);
	//   - then stale sources upstream (for failing tests, only those whose data stopped before they began
	//     failing) and, unless it was skipped, upstream nodes whose last run errored.
	Causes []Cause
	// Chain runs from the primary root of a skip to the subject (empty when it was not skipped by a root).
	Chain []ChainLink
	// Overdue is set when it missed its usual build; Pipeline when no dbt invocation of any job has arrived for
	// longer than usual.
	Overdue  *Overdue
	Pipeline *PipelineStop
	// Next is what to do next; nil when healthy.
	Next *NextStep
	// FailingTests are its tests whose latest result fails or errors (its own result, for a test).
	FailingTests []TestState
	// LastSuccess and FirstFailure bound what changed before an error: its newest success and its oldest failed
	// run after it (nil when it did not error, or the rows lack them).
	LastSuccess, FirstFailure *Run

	// expires is when the clock alone changes the diagnosis (a build becoming overdue); zero when only new rows
	// do.
	expires time.Time
}

// Root is the cause the subject's failure is traced to when it is another node's failure — an upstream error, an
// upstream test that failed in a build, a stale source: its first cause, when that is one. Escalation groups the
// subject's incident under the incident of that node; the digest folds it into that node's action.
func (d Diagnosis) Root() (Cause, bool) {
	if len(d.Causes) == 0 {
		return Cause{}, false
	}
	c := d.Causes[0]
	if !c.Kind.IsRoot() || c.UniqueID == "" || c.UniqueID == d.Subject.UniqueID {
		return Cause{}, false
	}
	return c, true
}

// Explanation is the cause an incident's notice names: the first that does not restate the subject's own failure
// (its error, its skip), which a notice shows already — the root when there is one.
func (d Diagnosis) Explanation() (Cause, bool) {
	for _, c := range d.Causes {
		if !c.Kind.IsOwnFailure() {
			return c, true
		}
	}
	return Cause{}, false
}

// Diagnose diagnoses the node or test name names (as Resolve finds it). Diagnoses are remembered while the mirror
// holds the same rows and the clock has not made a build overdue, so the sweep, the notices, every team's digest
// and `why` diagnose a subject once per sync.
func (r *Reader) Diagnose(ctx context.Context, name string) (Diagnosis, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (_ Diagnosis, err error) {
		return r.diagnosis(ctx, c, n)
	})
}

// diagnosis is n's Diagnosis, from memory when it still holds.
func (r *Reader) diagnosis(ctx context.Context, c *catalog, n *nodeInfo) (Diagnosis, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return Diagnosis{}, err
	}
	now := r.now()
	if d, ok := recallFor(r.shared, &r.shared.diag, gen, n.UniqueID, now); ok {
		return d, nil
	}
	d, err := r.diagnose(ctx, c, n, now)
	if err != nil {
		return Diagnosis{}, err
	}
	rememberFor(r.shared, &r.shared.diag, gen, n.UniqueID, d, d.expires)
	return d, nil
}

// diagnose reads what n's causes need, and nothing more.
func (r *Reader) diagnose(ctx context.Context, c *catalog, n *nodeInfo, now time.Time) (Diagnosis, error) {
	d := Diagnosis{Subject: n.Node, Causes: []Cause{}, Chain: []ChainLink{}, FailingTests: []TestState{}}
	var err error
	if d.Health, err = r.health(ctx, n); err != nil {
		return d, err
	}
	last, err := r.lastRun(ctx, n)
	if err != nil {
		return d, err
	}
	lastStatus := ""
	if last != nil && n.ResourceType != "source" {
		d.LastRun = last
		lastStatus = last.Status
	}
	if d.Health == HealthFailing {
		tests, err := r.nodeTests(ctx, n)
		if err != nil {
			return d, err
		}
		d.FailingTests = failing(tests)
	}
	var roots []Cause
	var chains [][]ChainLink
	if lastStatus == "skipped" {
		if roots, chains, err = r.skipRoots(ctx, c, n.UniqueID, last.InvocationID); err != nil {
			return d, err
		}
	}
	if d.Overdue, d.expires, err = r.overdue(ctx, n, now); err != nil {
		return d, err
	}
	if d.Overdue != nil && !d.Overdue.JobRanSince {
		// It missed its build and no run of its job came: did any dbt run come at all?
		if d.Pipeline, err = r.pipeline(ctx, now); err != nil {
			return d, err
		}
		d.expires = now.Add(pipelineRecheck)
	}
	d.Next = nextStep(c, n, d.Health, d.FailingTests, lastStatus == "skipped", roots)
	if d.Next != nil {
		target, err := r.nodeByID(ctx, c, d.Next.UniqueID)
		if err != nil {
			return d, err
		}
		if target == nil {
			target = n
		}
		if d.Next.Runbook, err = r.runbookOf(ctx, c, target); err != nil {
			return d, err
		}
	}
	if o := d.Overdue; o != nil && d.Next == nil {
		// Healthy, but its build stopped coming: the pipeline, else its job.
		switch {
		case d.Pipeline != nil:
			d.Next = &NextStep{Action: ActionCheckPipeline, Name: d.Pipeline.JobName, Owners: n.Owners}
		case o.JobName != "":
			d.Next = &NextStep{Action: ActionCheckJob, Name: o.JobName, Owners: n.Owners}
		}
	}
	switch lastStatus {
	case "error":
		// Its own error is the cause, then what changed before it; what is upstream of it is not.
		d.Causes = append(d.Causes, Cause{Kind: CauseRunError, UniqueID: n.UniqueID, Name: n.Name,
			Detail: textOrNil(firstLine(str(last.Message))), InvocationID: last.InvocationID,
			Confidence: ConfidenceHigh})
		changed, err := r.definitionChange(ctx, n, &d)
		if err != nil {
			return d, err
		}
		if changed != nil {
			d.Causes = append(d.Causes, *changed)
		}
		return d, nil
	case "skipped":
		if len(roots) == 0 {
			// Nothing upstream errored or failed an ERROR test in that invocation: the rows do not say why.
			d.Causes = append(d.Causes, Cause{Kind: CauseRunSkipped, UniqueID: n.UniqueID, Name: n.Name,
				InvocationID: last.InvocationID, Confidence: ConfidenceLow})
		} else {
			// The roots explain the skip; other problems upstream (a stale source) did not cause it.
			d.Causes = append(d.Causes, roots...)
			d.Chain = chains[0]
			return d, nil
		}
	}
	if o := d.Overdue; o != nil && lastStatus != "skipped" {
		// It missed its build without a run of its own: did its job run at all?
		switch {
		case d.Pipeline != nil && d.Pipeline.Since.Before(o.LastSuccess.Add(time.Duration(o.CadenceSeconds)*time.Second)):
			since := d.Pipeline.Since
			d.Causes = append(d.Causes, Cause{Kind: CausePipelineStopped, UniqueID: n.UniqueID, Name: n.Name,
				Since: &since, Confidence: ConfidenceHigh})
		case o.JobName != "" && !o.JobRanSince:
			job := o.JobName // the detail is the job's name: data, phrased by the renderers
			d.Causes = append(d.Causes, Cause{Kind: CauseJobNotRun, UniqueID: n.UniqueID, Name: n.Name,
				Detail: &job, Confidence: ConfidenceHigh})
		case o.JobName != "" && (d.LastRun == nil || d.LastRun.CompletedAt == nil ||
			!d.LastRun.CompletedAt.After(*o.LastSuccess)):
			job := o.JobName
			d.Causes = append(d.Causes, Cause{Kind: CauseNotBuiltByJob, UniqueID: n.UniqueID, Name: n.Name,
				Detail: &job, Confidence: ConfidenceMedium})
		}
	}
	causes, err := r.upstreamCauses(ctx, c, n, lastStatus == "skipped")
	if err != nil {
		return d, err
	}
	if d.Health == HealthFailing {
		if causes, err = r.beforeTestsFailed(ctx, causes, d.FailingTests); err != nil {
			return d, err
		}
	}
	d.Causes = append(d.Causes, causes...)
	return d, nil
}

// lastRun is n's last run: a test's latest result (test_latest, the worst row of its newest invocation), else its
// newest run; nil when it has none.
func (r *Reader) lastRun(ctx context.Context, n *nodeInfo) (*Run, error) {
	if n.test == nil {
		runs, err := r.runs(ctx, n.UniqueID, 1, nil, nil)
		if err != nil || len(runs) == 0 {
			return nil, err
		}
		return &runs[0], nil
	}
	var run Run
	var detected, inv, msg *string
	err := r.q.QueryRowContext(ctx, `SELECT status, detected_at, invocation_id, message, failures FROM test_latest
		WHERE test_unique_id = ?`, n.UniqueID).Scan(&run.Status, &detected, &inv, &msg, &run.Failures)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest result of %s: %w", n.UniqueID, err)
	}
	run.CompletedAt, run.InvocationID, run.Message = timePtr(detected), str(inv), textOrNil(str(msg))
	return &run, nil
}

// definitionChange is the change of n's definition (its SQL, its parents) between its last success and its first
// failed run after it, which most likely broke it; nil when the rows show none. It records both runs in d.
func (r *Reader) definitionChange(ctx context.Context, n *nodeInfo, d *Diagnosis) (*Cause, error) {
	runs := r.runsOf(n)
	ok, err := runs(ctx, n.UniqueID, 1, successStatuses, nil)
	if err != nil || len(ok) == 0 || ok[0].CompletedAt == nil {
		return nil, err
	}
	failed, err := runs(ctx, n.UniqueID, MaxRunLimit, failedStatuses, ok[0].CompletedAt)
	if err != nil || len(failed) == 0 {
		return nil, err
	}
	d.LastSuccess, d.FirstFailure = &ok[0], &failed[len(failed)-1]
	changes, err := r.nodeChanges(ctx, n, *d.LastSuccess, *d.FirstFailure)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(changes, func(c Change) bool { return c.Kind == "sql" || c.Kind == "parents" })
	if i < 0 {
		return nil, nil
	}
	detail := evidenceDetail(changes[i].Kind, changes[i].Detail)
	return &Cause{Kind: CauseDefinitionChanged, UniqueID: n.UniqueID, Name: n.Name, Detail: &detail,
		InvocationID: d.FirstFailure.InvocationID, Confidence: ConfidenceMedium}, nil
}

// pipelineRecheck is how long a diagnosis that looked at whether the pipeline stopped is remembered: the silence
// grows with the clock.
const pipelineRecheck = time.Minute

// byNode remembers what the read model computed for each node from the mirror's rows, for one data generation,
// each until the clock alone changes it (expires; zero: never).
type byNode[T any] struct {
	generation int64
	values     map[string]expiring[T]
}

type expiring[T any] struct {
	value   T
	expires time.Time
}

// recallFor returns id's value in m remembered for generation gen, unless the clock has made it stale by now.
func recallFor[T any](c *readerCache, m *byNode[T], gen int64, id string, now time.Time) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := m.values[id]
	if m.generation != gen || !ok || (!e.expires.IsZero() && !now.Before(e.expires)) {
		var zero T
		return zero, false
	}
	return e.value, true
}

// rememberFor keeps v as id's value in m for generation gen until expires, forgetting older generations'.
func rememberFor[T any](c *readerCache, m *byNode[T], gen int64, id string, v T, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.generation != gen || m.values == nil {
		m.generation, m.values = gen, map[string]expiring[T]{}
	}
	m.values[id] = expiring[T]{value: v, expires: expires}
}
