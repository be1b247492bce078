// Package queries owns Elementary's data inside Todai: the read model that turns the local mirror into typed
// answers (status, owners, runs, failures, freshness, lineage, description, why-stale, urgency). It reads the
// mirror only, never the warehouse, and knows nothing of Slack, cron or text. The warehouse sources live in
// queries/source, the sync into the mirror in queries/mirror, and the demo warehouse generator in queries/demo.
package queries

import (
	"fmt"
	"strings"
	"time"
)

// Health is a node's overall state, worst first: error > failing > stale > warn > ok > unknown.
type Health string

// Health values.
const (
	HealthError   Health = "error"   // the last run errored
	HealthFailing Health = "failing" // a test's latest result is fail or error
	HealthStale   Health = "stale"   // the latest source freshness is error or runtime error
	HealthWarn    Health = "warn"    // a test's latest is warn, the last run was skipped, or freshness warns
	HealthOK      Health = "ok"
	HealthUnknown Health = "unknown" // no runs or results
)

// Rank orders healths from worst (0) to best.
func (h Health) Rank() int {
	switch h {
	case HealthError:
		return 0
	case HealthFailing:
		return 1
	case HealthStale:
		return 2
	case HealthWarn:
		return 3
	case HealthOK:
		return 4
	}
	return 5
}

// Worse returns the worse of two healths.
func Worse(a, b Health) Health {
	if b.Rank() < a.Rank() {
		return b
	}
	return a
}

// Node is a dbt node as answers name it.
type Node struct {
	UniqueID     string   `json:"unique_id"`
	Name         string   `json:"name"`
	ResourceType string   `json:"resource_type"` // model, source, seed, snapshot, exposure, test
	Owners       []string `json:"owners"`
	Team         string   `json:"team"`
}

// Run is one execution of a node (a dbt_run_results row, deduplicated).
type Run struct {
	Status        string     `json:"status"`
	CompletedAt   *time.Time `json:"completed_at"`
	ExecutionTime *float64   `json:"execution_time"`
	InvocationID  string     `json:"invocation_id"`
	// Message is the run's message (a test's result description); nil when it has none (most successes, skips).
	Message *string `json:"message"`
	// Failures is a test's failing row count, for a test's results.
	Failures *int64 `json:"failures,omitempty"`
	// Invocation is the context of the dbt invocation that ran it, when known.
	Invocation *Invocation `json:"invocation,omitempty"`

	resultID string // a test's result row (elementary_test_results.id), where the read model needs it
}

// Health is what the run says of its node's health: an error errored, a skip warns, a success is healthy.
func (r Run) Health() Health {
	switch strings.ToLower(r.Status) {
	case "success":
		return HealthOK
	case "error":
		return HealthError
	case "skipped":
		return HealthWarn
	}
	return HealthUnknown
}

// Invocation is the context of one dbt invocation.
type Invocation struct {
	ID           string `json:"invocation_id"`
	JobName      string `json:"job_name,omitempty"`
	Orchestrator string `json:"orchestrator,omitempty"`
	Command      string `json:"command,omitempty"`
	// Selected is the invocation's selector (--select) as written, when it had one.
	Selected  string `json:"selected,omitempty"`
	Target    string `json:"target,omitempty"`
	JobRunURL string `json:"job_run_url,omitempty"`
}

// TestState is a test's latest result.
type TestState struct {
	UniqueID   string     `json:"unique_id"`
	Name       string     `json:"name,omitempty"`
	ShortName  string     `json:"short_name,omitempty"`
	Column     string     `json:"column_name,omitempty"`
	Status     string     `json:"status"`
	DetectedAt *time.Time `json:"detected_at"`
	Severity   string     `json:"severity"`
	Message    string     `json:"message,omitempty"`
}

// StatusAnswer answers "status NODE".
type StatusAnswer struct {
	Node   Node   `json:"node"`
	Health Health `json:"health"`
	// Data is how current its data is, whatever its health (nil for a test).
	Data    *DataAsOf   `json:"data"`
	LastRun *Run        `json:"last_run"`
	Tests   []TestState `json:"tests"`
	// Freshness is the latest freshness of a source node, or of the sources feeding a model, when known.
	Freshness []SourceFreshness `json:"freshness,omitempty"`
	// Overdue is set when the node missed its usual build (nil otherwise).
	Overdue *Overdue `json:"overdue"`
	// Pipeline is set when the whole dbt pipeline stopped (omitted otherwise).
	Pipeline *PipelineStop `json:"pipeline,omitempty"`
	// Chart is an anomaly test's metric against its expected range, another test's results per day (omitted for
	// other nodes).
	Chart *Chart `json:"chart,omitempty"`
}

// OwnerAnswer answers "owner NODE".
type OwnerAnswer struct {
	Node   Node     `json:"node"`
	Owners []string `json:"owners"`
	Team   string   `json:"team"`
	// Group is the node's dbt group and its owner, when it has one.
	Group *Group `json:"group,omitempty"`
}

// Group is a dbt group.
type Group struct {
	Name       string `json:"name"`
	OwnerEmail string `json:"owner_email,omitempty"`
	OwnerName  string `json:"owner_name,omitempty"`
}

// LastRunAnswer answers "last-run NODE": runs newest first. SuccessfulOnly marks the answer to "when was NODE
// updated?": its newest successful run only (a test's newest pass).
type LastRunAnswer struct {
	Node           Node  `json:"node"`
	Runs           []Run `json:"runs"`
	SuccessfulOnly bool  `json:"successful_only,omitempty"`
	// Chart is a model's run times or a test's results per day (omitted when there are too few).
	Chart *Chart `json:"chart,omitempty"`
}

// FailuresQuery scopes "failures": a node, a team, or everyone (both empty), since a time.
type FailuresQuery struct {
	Node  string
	Team  string
	Since time.Time
}

// Failure is one test with non-passing results in the window.
type Failure struct {
	TestUniqueID  string     `json:"test_unique_id"`
	ModelUniqueID string     `json:"model_unique_id"`
	TestName      string     `json:"test_name,omitempty"`
	TestShortName string     `json:"test_short_name,omitempty"`
	Column        string     `json:"column_name,omitempty"`
	Status        string     `json:"status"`
	LatestStatus  string     `json:"latest_status"`
	DetectedAt    *time.Time `json:"detected_at"`
	Count         int        `json:"count"`
	Failures      *int64     `json:"failures"`
	Severity      string     `json:"severity,omitempty"`
	Message       string     `json:"message,omitempty"`
	Owners        []string   `json:"owners,omitempty"`
	Team          string     `json:"team,omitempty"`
}

// FailuresAnswer answers "failures": newest first.
type FailuresAnswer struct {
	Since time.Time `json:"since"`
	// Scope is the node's unique_id, "team:NAME", or "" for everyone.
	Scope    string    `json:"scope,omitempty"`
	Failures []Failure `json:"failures"`
}

// SourceFreshness is a source's latest freshness check.
type SourceFreshness struct {
	UniqueID      string     `json:"unique_id"`
	Name          string     `json:"name,omitempty"` // source_name.name
	Status        string     `json:"status"`         // pass, warn, error (stale), runtime error (could not check)
	MaxLoadedAt   *time.Time `json:"max_loaded_at"`
	SnapshottedAt *time.Time `json:"snapshotted_at"`
	AgeSeconds    *float64   `json:"age_seconds,omitempty"`
	WarnAfter     string     `json:"warn_after,omitempty"`  // "12 hours"
	ErrorAfter    string     `json:"error_after,omitempty"` // "1 day"
	Error         string     `json:"error,omitempty"`
}

// Health is what the check says of the source: an error is stale, a runtime error (no check) an error, a warning
// warns, a pass is healthy.
func (s SourceFreshness) Health() Health {
	switch strings.ToLower(strings.TrimSpace(s.Status)) {
	case "error":
		return HealthStale
	case "runtime error":
		return HealthError
	case "warn":
		return HealthWarn
	}
	return HealthOK
}

// FreshnessAnswer answers "freshness [SOURCE]", and "is NODE up to date?".
type FreshnessAnswer struct {
	// Node and Data are the node asked about, when it is not a source, and how current its data is.
	Node    *Node             `json:"node,omitempty"`
	Data    *DataAsOf         `json:"data,omitempty"`
	Sources []SourceFreshness `json:"sources"`
}

// LineageNode is one node up- or downstream, with its health.
type LineageNode struct {
	UniqueID     string `json:"unique_id"`
	Name         string `json:"name,omitempty"`
	ResourceType string `json:"resource_type,omitempty"`
	Health       Health `json:"health"`
	Depth        int    `json:"depth"`
	// Data says how current its data is (Upstream and Downstream answers; omitted elsewhere).
	Data *DataAsOf `json:"data,omitempty"`
}

// Exposure is a dbt exposure (dashboard, notebook, application …).
type Exposure struct {
	UniqueID   string `json:"unique_id"`
	Name       string `json:"name"`
	Label      string `json:"label,omitempty"`
	Type       string `json:"type,omitempty"`
	Maturity   string `json:"maturity,omitempty"`
	URL        string `json:"url,omitempty"`
	OwnerName  string `json:"owner_name,omitempty"`
	OwnerEmail string `json:"owner_email,omitempty"`
	// Channel is the Slack channel its meta.channel names for its audience ("" when none).
	Channel string `json:"channel,omitempty"`
}

// LineageAnswer answers "upstream NODE" (Upstream set) or "downstream NODE" (Downstream and Exposures set).
type LineageAnswer struct {
	Node       Node          `json:"node"`
	Upstream   []LineageNode `json:"upstream,omitempty"`
	Downstream []LineageNode `json:"downstream,omitempty"`
	Exposures  []Exposure    `json:"exposures,omitempty"`
}

// ColumnDoc is a documented column.
type ColumnDoc struct {
	Name        string `json:"name"`
	DataType    string `json:"data_type,omitempty"`
	Description string `json:"description,omitempty"`
}

// DescribeAnswer answers "describe NODE".
type DescribeAnswer struct {
	Node            Node        `json:"node"`
	Description     string      `json:"description"`
	Path            string      `json:"path,omitempty"`
	Materialization string      `json:"materialization,omitempty"`
	Relation        string      `json:"relation,omitempty"` // database.schema.alias
	Tags            []string    `json:"tags"`
	Group           string      `json:"group,omitempty"`
	Columns         []ColumnDoc `json:"columns"`
	Exposures       []Exposure  `json:"exposures"`
	Meta            string      `json:"meta,omitempty"` // raw meta JSON, as Elementary stored it
	// Test is what a dbt test checks, when the node is a test.
	Test *TestDefinition `json:"test,omitempty"`
}

// TestDefinition is what a dbt test checks.
type TestDefinition struct {
	ShortName     string   `json:"short_name,omitempty"`  // not_null, unique, volume_anomalies …
	Column        string   `json:"column_name,omitempty"` // the column tested, if any
	Severity      string   `json:"severity,omitempty"`    // ERROR or WARN
	ModelUniqueID string   `json:"model_unique_id,omitempty"`
	Tested        []string `json:"tested"` // every node it touches (unique_ids)
}

// Cause is a reason a node is stale or failing, with the evidence the rows hold for it.
type Cause struct {
	// Kind says what kind of cause it is (CauseKinds lists them; docs/json.md says each).
	Kind     CauseKind `json:"kind"`
	UniqueID string    `json:"unique_id"`
	Name     string    `json:"name"`
	// Detail is the evidence in one line (an error message, a freshness status); nil when there is none.
	Detail *string `json:"detail"`
	// InvocationID is the dbt invocation the evidence is from, when it is one run's.
	InvocationID string `json:"invocation_id,omitempty"`
	// Confidence is high, medium or low: how strongly the rows prove the cause.
	Confidence string `json:"confidence"`
	// LoadedAt is, for a stale source, when its newest data was loaded (its loader's age), when known.
	LoadedAt *time.Time `json:"loaded_at,omitempty"`
	// Since is, for a stopped pipeline, when the last dbt invocation of any job started.
	Since *time.Time `json:"since,omitempty"`
}

// evidenceDetail is the Detail of a cause whose evidence is a code and its data: "freshness STATUS[: error]" for a
// stale source, "KIND: how" for a changed definition. Cause.Evidence reads it back.
func evidenceDetail(code, data string) string {
	if data == "" {
		return code
	}
	return code + ": " + data
}

// Evidence splits a stale source's or a changed definition's Detail into its code — the freshness status (error,
// runtime error) or what changed (sql, parents) — and the data behind it, for renderers to phrase the code; ok is
// false for other causes.
func (c Cause) Evidence() (code, data string, ok bool) {
	if c.Detail == nil {
		return "", "", false
	}
	code, data, _ = strings.Cut(*c.Detail, ": ")
	switch c.Kind {
	case CauseStaleSource:
		code, ok = strings.CutPrefix(code, "freshness ")
		return code, data, ok
	case CauseDefinitionChanged:
		return code, data, true
	}
	return "", "", false
}

// WhyAnswer answers "why NODE": why is it stale, what went wrong.
type WhyAnswer struct {
	Node   Node   `json:"node"`
	Health Health `json:"health"`
	// Data is how current its data is (nil for a test).
	Data         *DataAsOf   `json:"data"`
	LastSuccess  *Run        `json:"last_success"`
	SinceLastOK  *float64    `json:"since_last_success_seconds"` // now − last success
	FailedSince  []Run       `json:"failed_runs_since"`          // error/skipped runs after the last success, newest first
	FailingTests []TestState `json:"failing_tests"`
	// LikelyCauses are the causes the rows give evidence of, most probable first.
	LikelyCauses []Cause `json:"likely_causes"`
	// RootCauses are the unique_ids of the roots of a skip, primary first (empty when not skipped or unknown).
	RootCauses []string `json:"root_causes"`
	// Chain runs from the primary root to the node: each node dbt skipped on the way, and how the root failed.
	Chain []ChainLink `json:"chain"`
	// Overdue is set when the node missed its usual build (nil otherwise).
	Overdue *Overdue `json:"overdue"`
	// Pipeline is set when no dbt invocation of any job has arrived for longer than usual: the whole pipeline
	// stopped (omitted otherwise).
	Pipeline *PipelineStop `json:"pipeline,omitempty"`
	// Changes are what changed between its last good run and its first bad one.
	Changes []Change `json:"changes"`
	// Next is what to do next (as in UrgencyAnswer); nil when healthy.
	Next *NextStep `json:"next"`
	// Chart is an anomaly test's metric against its expected range (omitted for anything else).
	Chart *Chart `json:"chart,omitempty"`
	// History is how the incidents of its failing tests (or itself) ended lately, for those people dismissed often
	// or whose fix did not hold (omitted when none).
	History []IncidentHistory `json:"incident_history,omitempty"`
}

// UrgencyAnswer answers "urgent NODE": how much does this failure matter.
type UrgencyAnswer struct {
	Node     Node   `json:"node"`
	Health   Health `json:"health"`
	Urgency  string `json:"urgency"`  // high, medium, low, none
	Severity string `json:"severity"` // the worst severity among failing tests (ERROR, WARN) or "ERROR" for run errors
	// Streak is how many consecutive latest runs or results failed, and FailingSince when the streak began.
	Streak           int           `json:"failure_streak"`
	FailingSince     *time.Time    `json:"failing_since"`
	DownstreamModels []LineageNode `json:"downstream_models"`
	DownstreamCount  int           `json:"downstream_count"`
	Exposures        []Exposure    `json:"exposures"`
	Criticality      string        `json:"criticality,omitempty"` // from meta (criticality, priority, tier, sla)
	Reasons          []Reason      `json:"reasons"`               // every factor seen: exposure_affected, error_severity …
	FailingTests     []TestState   `json:"failing_tests"`
	// Likelihood is how likely the problem is real (high, medium, low; "" when healthy), Impact how much it hurts
	// (high, medium, low), and Level the urgency they make (HIGH, MEDIUM, LOW, NONE): Urgency is Level in lower case.
	Likelihood string `json:"likelihood"`
	Impact     string `json:"impact"`
	Level      string `json:"level"`
	// DecidedBy are the reasons that decided the likelihood and the impact.
	DecidedBy []Reason `json:"decided_by"`
	// Next is what to do next; nil when healthy.
	Next *NextStep `json:"next"`
	// Chart is an anomaly test's metric against its expected range (omitted for anything else).
	Chart *Chart `json:"chart,omitempty"`
	// History is as in WhyAnswer: when every problem of it was dismissed often, its likelihood is one step lower
	// (reason dismissed_often).
	History []IncidentHistory `json:"incident_history,omitempty"`
}

// NextStep is what to do about a problem, and on which node.
type NextStep struct {
	// Action is what to do (NextActions lists them).
	Action   NextAction `json:"action"`
	UniqueID string     `json:"unique_id,omitempty"`
	Name     string     `json:"name,omitempty"`
	// Owners are who to ask: the owners of the node to act on.
	Owners []string `json:"owners"`
	// Runbook is the playbook of the node to act on (its meta.runbook, else the configured one of its test type or
	// tags); omitted when it has none.
	Runbook string `json:"runbook,omitempty"`
}

// NotFoundError says no node matched a name; Suggestions are near misses (unique_ids).
type NotFoundError struct {
	Name        string
	Suggestions []string
}

func (e *NotFoundError) Error() string {
	if len(e.Suggestions) == 0 {
		return fmt.Sprintf("no node %q", e.Name)
	}
	return fmt.Sprintf("no node %q; did you mean %s?", e.Name, strings.Join(e.Suggestions, ", "))
}

// AmbiguousError says several nodes matched a name.
type AmbiguousError struct {
	Name       string
	Candidates []string // unique_ids
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%q matches %d nodes: %s", e.Name, len(e.Candidates), strings.Join(e.Candidates, ", "))
}

// UnavailableError says the mirror holds no data yet (no successful sync).
type UnavailableError struct {
	Reason string
}

func (e *UnavailableError) Error() string { return "no data: " + e.Reason }

// SyncInfo says how fresh the mirror is.
type SyncInfo struct {
	// LastSuccess is when the last successful sync finished: the "as of" of every answer. Zero if none.
	LastSuccess time.Time
	// LastAttempt is when the last sync (successful or not) finished.
	LastAttempt time.Time
	// LastError is the last sync's error, if it failed.
	LastError string
	// ReadAt is when the last sync that landed (succeeded, or committed with some tables failed) began reading the
	// warehouse: the mirror holds what the warehouse held then. Zero if none.
	ReadAt time.Time
}
