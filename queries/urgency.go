package queries

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// urgencyDownstreamList caps the downstream models listed by Urgency (the count covers all of them).
const urgencyDownstreamList = 25

// Urgency answers "urgent NODE": how much its current failure matters.
//
//   - Severity: ERROR for a run error or a stale source (freshness error or runtime error), else the worst
//     severity among its failing tests (latest fail or error; a test without severity counts as ERROR), else WARN
//     when it only warns.
//   - Streak: the longest run of consecutive failing latest results, counted from the newest: run errors, a
//     failing test's invocations (worst row per invocation fail or error), or a source's freshness error/runtime
//     error checks; FailingSince is when that streak began.
//   - Downstream models (nearest 25) and their count, and the exposures reached.
//   - Criticality: meta criticality, priority, tier or sla (meta.alerts_config overrides the top level).
//
// Urgency is none when healthy (ok or unknown). Otherwise it is decided on two axes, each low (1), medium (2) or
// high (3), and their sum (5 or more high, 4 medium, less low):
//   - Likelihood, how likely it is real: high for a run error, a stale source, or an ERROR test failing twice or
//     more in a row; medium for a new ERROR failure or a skipped run (it did not build); low for warnings only; one
//     step less for a flaky test (results flipping three times or more over its last ten invocations).
//   - Impact, how much it hurts: high when an exposure is affected, the declared criticality is high (high,
//     critical, P0/P1, tier 0/1, gold, any sla) or ten or more models are downstream; medium with any downstream
//     model; low otherwise.
//
// DecidedBy names the two reasons that decided the axes; Next what to do (its error, the root of its skip, the
// loader of a stale source, its failing test, or watch). Reasons holds the machine codes of every factor seen:
// run_error, tests_failing, source_stale, warn_only, error_severity, warn_severity, exposure_affected, critical,
// wide_impact, persistent_failure, flaky, dismissed_often (people resolved every one of its problems as a false
// positive or expected DismissalsToFlag times lately: one step less likely). What the mirror says is remembered for
// its data generation; how incidents ended is read from the state store every time.
func (r *Reader) Urgency(ctx context.Context, name string) (UrgencyAnswer, error) {
	return aboutNode(ctx, r, name, func(r *Reader, c *catalog, n *nodeInfo) (UrgencyAnswer, error) {
		gen, err := r.dataGeneration(ctx)
		if err != nil {
			return UrgencyAnswer{}, err
		}
		now := r.now()
		u, ok := recallFor(r.shared, &r.shared.urgency, gen, n.UniqueID, now)
		if !ok {
			if u, err = r.urgencyFromMirror(ctx, c, n); err != nil {
				return u.answer, err
			}
			rememberFor(r.shared, &r.shared.urgency, gen, n.UniqueID, u, u.expires)
		}
		return r.withIncidentHistory(ctx, n, u)
	})
}

// mirrorUrgency is a node's urgency as the mirror alone says it, before how its incidents ended adjusts it: the
// answer, its axes' steps and the reasons that decided them, and when the clock alone changes it (its diagnosis').
type mirrorUrgency struct {
	answer               UrgencyAnswer
	likely, impact       int
	likelyWhy, impactWhy Reason
	expires              time.Time
}

// urgencyFromMirror computes a node's urgency from the mirror (see Urgency).
func (r *Reader) urgencyFromMirror(ctx context.Context, c *catalog, n *nodeInfo) (mirrorUrgency, error) {
	a := UrgencyAnswer{Node: n.Node, Urgency: "none", Level: "NONE", Reasons: []Reason{}, FailingTests: []TestState{},
		DownstreamModels: []LineageNode{}, Exposures: []Exposure{}, Criticality: n.criticality, DecidedBy: []Reason{}}
	d, err := r.diagnosis(ctx, c, n)
	if err != nil {
		return mirrorUrgency{answer: a}, err
	}
	u := mirrorUrgency{expires: d.expires}
	a.Health = d.Health
	tests, err := r.nodeTests(ctx, n)
	if err != nil {
		return mirrorUrgency{answer: a}, err
	}
	a.FailingTests = failing(tests)
	down, exps, err := r.impact(ctx, c, n)
	if err != nil {
		return mirrorUrgency{answer: a}, err
	}
	a.DownstreamCount, a.Exposures = len(down), exps
	a.DownstreamModels = down[:min(len(down), urgencyDownstreamList)]
	if n.test != nil {
		if a.Chart, err = r.testChart(ctx, n, false); err != nil {
			return mirrorUrgency{answer: a}, err
		}
	}
	if a.Health == HealthOK || a.Health == HealthUnknown {
		u.answer = a
		return u, nil
	}
	var reasons []Reason
	switch a.Health {
	case HealthError:
		a.Severity = "ERROR"
		reasons = append(reasons, ReasonRunError)
	case HealthStale:
		a.Severity = "ERROR"
		reasons = append(reasons, ReasonSourceStale)
	}
	if len(a.FailingTests) > 0 {
		reasons = append(reasons, ReasonTestsFailing)
		sev := "WARN"
		for _, t := range a.FailingTests {
			if t.Severity == "" || strings.EqualFold(t.Severity, "ERROR") {
				sev = "ERROR"
			}
		}
		if a.Severity == "" {
			a.Severity = sev
		}
	}
	if a.Severity == "" {
		a.Severity = "WARN"
		reasons = append(reasons, ReasonWarnOnly)
	}
	var flaky bool
	if a.Streak, a.FailingSince, flaky, err = r.streak(ctx, n, a.Health, a.FailingTests); err != nil {
		return mirrorUrgency{answer: a}, err
	}
	if a.Severity == "ERROR" {
		reasons = append(reasons, ReasonErrorSeverity)
	} else {
		reasons = append(reasons, ReasonWarnSeverity)
	}
	if len(a.Exposures) > 0 {
		reasons = append(reasons, ReasonExposureAffected)
	}
	_, meta, err := r.nodeTexts(ctx, n)
	if err != nil {
		return mirrorUrgency{answer: a}, err
	}
	if _, key := metaCriticality(parseMeta(meta)); isCritical(n.criticality, key) {
		reasons = append(reasons, ReasonCritical)
	}
	if a.DownstreamCount >= 10 {
		reasons = append(reasons, ReasonWideImpact)
	}
	if a.Streak >= 3 {
		reasons = append(reasons, ReasonPersistentFailure)
	}
	if flaky {
		reasons = append(reasons, ReasonFlaky)
	}
	a.Reasons = reasons

	// How likely it is real: an error or a stale source is; a failing ERROR test is, once it failed twice in a
	// row; a warning is not yet. A test that flips between pass and fail is one step less likely.
	skipped := d.LastRun != nil && d.LastRun.Status == "skipped"
	likely, likelyWhy := 1, ReasonWarnOnly
	switch {
	case a.Health == HealthError:
		likely, likelyWhy = 3, ReasonRunError
	case a.Health == HealthStale:
		likely, likelyWhy = 3, ReasonSourceStale
	case a.Severity == "ERROR" && a.Streak >= 2:
		likely, likelyWhy = 3, ReasonPersistentFailure
	case a.Severity == "ERROR":
		likely, likelyWhy = 2, ReasonNewFailure
	case skipped:
		likely, likelyWhy = 2, ReasonRunSkipped // it did not build: its data is not updated
	case len(a.FailingTests) > 0:
		likelyWhy = ReasonWarnSeverity
	}
	if flaky && likely > 1 {
		likely, likelyWhy = likely-1, ReasonFlaky
	}
	// How much it hurts: an exposure, a declared criticality or ten downstream models hurt a lot; any downstream
	// model some; nothing downstream little.
	impact, impactWhy := 1, ReasonNoDownstream
	switch {
	case len(a.Exposures) > 0:
		impact, impactWhy = 3, ReasonExposureAffected
	case slices.Contains(reasons, ReasonCritical):
		impact, impactWhy = 3, ReasonCritical
	case a.DownstreamCount >= 10:
		impact, impactWhy = 3, ReasonWideImpact
	case a.DownstreamCount > 0:
		impact, impactWhy = 2, ReasonDownstreamModels
	}
	a.Next = d.Next
	u.answer, u.likely, u.impact, u.likelyWhy, u.impactWhy = a, likely, impact, likelyWhy, impactWhy
	return u, nil
}

// withIncidentHistory finishes a node's urgency with how its incidents ended (the state store's): when people
// resolved every one of its problems as a false positive or expected often lately, it is one step less likely.
// Then the axes make the level.
func (r *Reader) withIncidentHistory(ctx context.Context, n *nodeInfo, u mirrorUrgency) (UrgencyAnswer, error) {
	a := u.answer // the memo's: its slices and pointers are copied before anything is changed or handed out
	a.Reasons, a.FailingTests = slices.Clone(a.Reasons), slices.Clone(a.FailingTests)
	a.DownstreamModels, a.Exposures = slices.Clone(a.DownstreamModels), slices.Clone(a.Exposures)
	a.DecidedBy = slices.Clone(a.DecidedBy)
	if a.Next != nil {
		next := *a.Next
		next.Owners = slices.Clone(next.Owners)
		a.Next = &next
	}
	if a.Health == HealthOK || a.Health == HealthUnknown {
		return a, nil
	}
	likely, likelyWhy := u.likely, u.likelyWhy
	subjects := problemSubjects(n, a.Health, a.FailingTests)
	var err error
	if a.History, err = r.incidentHistory(ctx, subjects); err != nil {
		return a, err
	}
	if allFlagged(subjects, a.History) {
		a.Reasons = append(a.Reasons, ReasonDismissedOften)
		if likely > 1 {
			likely, likelyWhy = likely-1, ReasonDismissedOften
		}
	}
	words := [...]string{"", "low", "medium", "high"}
	a.Likelihood, a.Impact = words[likely], words[u.impact]
	a.DecidedBy = []Reason{likelyWhy, u.impactWhy}
	switch sum := likely + u.impact; {
	case sum >= 5:
		a.Urgency = "high"
	case sum == 4:
		a.Urgency = "medium"
	default:
		a.Urgency = "low"
	}
	a.Level = strings.ToUpper(a.Urgency)
	return a, nil
}

// nextStep says what to do about a node's problem (nextStepFor) and whom to ask: the owners of the node to act on.
func nextStep(c *catalog, n *nodeInfo, health Health, failingTests []TestState, skipped bool, roots []Cause) *NextStep {
	next := nextStepFor(n, health, failingTests, skipped, roots)
	if next == nil {
		return nil
	}
	// Who to ask: the owners of the node to act on; for its own test, its own owners (the catalog's lookup, not the
	// tests' index, which a first question would have to load).
	next.Owners = n.Owners
	if target := c.byID[next.UniqueID]; target != nil {
		next.Owners = target.Owners
	}
	return next
}

// nextStepFor is the step for a node's problem: its own error first, a stale source's loader, the root of its skip
// (the run's log when the rows show none), its worst failing test, else watching the warnings; nil when healthy.
func nextStepFor(n *nodeInfo, health Health, failingTests []TestState, skipped bool, roots []Cause) *NextStep {
	switch health {
	case HealthOK, HealthUnknown:
		return nil
	case HealthError:
		return &NextStep{Action: ActionFixError, UniqueID: n.UniqueID, Name: n.Name}
	case HealthStale:
		return &NextStep{Action: ActionCheckLoader, UniqueID: n.UniqueID, Name: n.Name}
	}
	if skipped {
		if len(roots) > 0 {
			return &NextStep{Action: ActionFixRoot, UniqueID: roots[0].UniqueID, Name: roots[0].Name}
		}
		// Skipped, and the rows do not say why: the run's own log does.
		return &NextStep{Action: ActionCheckRun, UniqueID: n.UniqueID, Name: n.Name}
	}
	if len(failingTests) > 0 {
		t := failingTests[0]
		return &NextStep{Action: ActionCheckTest, UniqueID: t.UniqueID, Name: firstNonBlank(t.Name, t.ShortName)}
	}
	return &NextStep{Action: ActionWatch, UniqueID: n.UniqueID, Name: n.Name}
}

// firstNonBlank is the first of ss that is not blank.
func firstNonBlank(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// streak finds the longest current failure streak of a node: run errors, failing tests' invocations, or stale
// freshness checks.
func (r *Reader) streak(ctx context.Context, n *nodeInfo, h Health, tests []TestState) (int, *time.Time, bool, error) {
	best, var0 := 0, (*time.Time)(nil)
	consider := func(count int, since *time.Time) {
		if count > best || (count == best && count > 0 && since != nil && (var0 == nil || since.Before(*var0))) {
			best, var0 = count, since
		}
	}
	if h == HealthError {
		runs, err := r.runs(ctx, n.UniqueID, MaxRunLimit, nil, nil)
		if err != nil {
			return 0, nil, false, err
		}
		count, since := 0, (*time.Time)(nil)
		for _, run := range runs {
			if run.Status != "error" {
				break
			}
			count, since = count+1, run.CompletedAt
		}
		consider(count, since)
	}
	flaky := false
	for _, t := range tests {
		count, since, flips, err := r.testStreak(ctx, t.UniqueID)
		if err != nil {
			return 0, nil, false, err
		}
		consider(count, since)
		flaky = flaky || flips >= FlakyFlips
	}
	if n.ResourceType == "source" {
		rows, err := r.q.QueryContext(ctx, `SELECT status, coalesce(snapshotted_at, generated_at)
			FROM dbt_source_freshness_results WHERE unique_id = ?
			ORDER BY generated_at DESC, created_at DESC LIMIT ?`, n.UniqueID, MaxRunLimit)
		if err != nil {
			return 0, nil, false, fmt.Errorf("freshness streak of %s: %w", n.UniqueID, err)
		}
		defer rows.Close()
		count, since := 0, (*time.Time)(nil)
		for rows.Next() {
			var status string
			var at *string
			if err := rows.Scan(&status, &at); err != nil {
				return 0, nil, false, fmt.Errorf("freshness streak of %s: %w", n.UniqueID, err)
			}
			if status != "error" && status != "runtime error" {
				break
			}
			count, since = count+1, timePtr(at)
		}
		if err := rows.Err(); err != nil {
			return 0, nil, false, fmt.Errorf("freshness streak of %s: %w", n.UniqueID, err)
		}
		consider(count, since)
	}
	return best, var0, flaky, nil
}

// testStreak counts a test's consecutive failing invocations from the newest (each invocation's worst row), and how
// often its results flipped between passing and not passing as flakiness counts them (flakyFlips).
func (r *Reader) testStreak(ctx context.Context, testID string) (int, *time.Time, int, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT coalesce(invocation_id, detected_at), status, detected_at
		FROM elementary_test_results WHERE test_unique_id = ? ORDER BY detected_at DESC, created_at DESC LIMIT 500`,
		testID)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("streak of %s: %w", testID, err)
	}
	defer rows.Close()
	type inv struct {
		failing, problem bool
		at               *time.Time
	}
	var order []string
	invs := map[string]*inv{}
	for rows.Next() {
		var key, status string
		var at *string
		if err := rows.Scan(&key, &status, &at); err != nil {
			return 0, nil, 0, fmt.Errorf("streak of %s: %w", testID, err)
		}
		i := invs[key]
		if i == nil {
			i = &inv{}
			invs[key] = i
			order = append(order, key)
		}
		if status == "fail" || status == "error" {
			i.failing = true
		}
		if status == "fail" || status == "error" || status == "warn" {
			i.problem = true
		}
		if t := timePtr(at); t != nil && (i.at == nil || t.Before(*i.at)) {
			i.at = t
		}
	}
	if err := rows.Err(); err != nil {
		return 0, nil, 0, fmt.Errorf("streak of %s: %w", testID, err)
	}
	count, since := 0, (*time.Time)(nil)
	for _, k := range order {
		if !invs[k].failing {
			break
		}
		count, since = count+1, invs[k].at
	}
	outcomes := make([]testOutcome, 0, len(order))
	for _, k := range order {
		if i := invs[k]; i.at != nil {
			outcomes = append(outcomes, testOutcome{at: *i.at, problem: i.problem})
		}
	}
	return count, since, flakyFlips(outcomes, r.now()), nil
}
