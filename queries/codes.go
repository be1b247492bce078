package queries

// The machine codes answers carry, each a type with every value listed: renderers phrase them (handlers' catalog),
// JSON carries them as they are (docs/json.md lists them), and a test fails when one lacks its words.

// CauseKind is a kind of cause the diagnosis names.
type CauseKind string

// Cause kinds.
const (
	// CauseRunError: the subject's own last run errored.
	CauseRunError CauseKind = "run_error"
	// CauseRunSkipped: its last run was skipped, and nothing upstream failed in that invocation.
	CauseRunSkipped CauseKind = "run_skipped"
	// CauseUpstreamError: an upstream node's run errored (in the invocation that skipped it, or its last run).
	CauseUpstreamError CauseKind = "upstream_error"
	// CauseUpstreamTestFailed: an upstream node's ERROR test failed in the build that skipped it.
	CauseUpstreamTestFailed CauseKind = "upstream_test_failed"
	// CauseStaleSource: a source upstream (or the subject) is past its freshness error threshold, or its check
	// failed.
	CauseStaleSource CauseKind = "stale_source"
	// CauseDefinitionChanged: its SQL or parents changed between its last success and its first error.
	CauseDefinitionChanged CauseKind = "definition_changed"
	// CauseJobNotRun: it missed its build, and no invocation of its job that could build it ran since.
	CauseJobNotRun CauseKind = "job_not_run"
	// CauseNotBuiltByJob: its job ran since, as it used to when building it, without building it.
	CauseNotBuiltByJob CauseKind = "not_built_by_job"
	// CausePipelineStopped: it missed its build because no dbt invocation of any job has arrived since.
	CausePipelineStopped CauseKind = "pipeline_stopped"
)

// CauseKinds lists every cause kind.
func CauseKinds() []CauseKind {
	return []CauseKind{CauseRunError, CauseRunSkipped, CauseUpstreamError, CauseUpstreamTestFailed, CauseStaleSource,
		CauseDefinitionChanged, CauseJobNotRun, CauseNotBuiltByJob, CausePipelineStopped}
}

// IsRoot says whether a cause of this kind is another node's failure, one an incident can be grouped under: an
// upstream error, an upstream test that failed in a build, a stale source.
func (k CauseKind) IsRoot() bool {
	return k == CauseUpstreamError || k == CauseUpstreamTestFailed || k == CauseStaleSource
}

// IsOwnFailure says whether a cause of this kind restates the subject's own failure (its error, its skip) rather
// than explaining it.
func (k CauseKind) IsOwnFailure() bool { return k == CauseRunError || k == CauseRunSkipped }

// NextAction is what to do about a problem.
type NextAction string

// Next actions.
const (
	// ActionFixError: fix the node's own error.
	ActionFixError NextAction = "fix_error"
	// ActionFixRoot: fix the root that skipped it.
	ActionFixRoot NextAction = "fix_root"
	// ActionCheckRun: it was skipped and the rows do not say why: the run's log does.
	ActionCheckRun NextAction = "check_run"
	// ActionCheckLoader: a stale source's ingestion.
	ActionCheckLoader NextAction = "check_loader"
	// ActionCheckTest: its failing test.
	ActionCheckTest NextAction = "check_test"
	// ActionCheckJob: an overdue node's job (the step's Name is the job).
	ActionCheckJob NextAction = "check_job"
	// ActionCheckPipeline: no dbt invocation of any job has arrived: the orchestrator.
	ActionCheckPipeline NextAction = "check_pipeline"
	// ActionWatch: warnings only: nothing to fix yet.
	ActionWatch NextAction = "watch"
)

// NextActions lists every next action.
func NextActions() []NextAction {
	return []NextAction{ActionFixError, ActionFixRoot, ActionCheckRun, ActionCheckLoader, ActionCheckTest,
		ActionCheckJob, ActionCheckPipeline, ActionWatch}
}

// Reason is a factor of an urgency: every factor seen (UrgencyAnswer.Reasons) and the two that decided its axes
// (UrgencyAnswer.DecidedBy) are Reasons.
type Reason string

// Urgency reasons.
const (
	ReasonRunError          Reason = "run_error"
	ReasonTestsFailing      Reason = "tests_failing"
	ReasonSourceStale       Reason = "source_stale"
	ReasonWarnOnly          Reason = "warn_only"
	ReasonErrorSeverity     Reason = "error_severity"
	ReasonWarnSeverity      Reason = "warn_severity"
	ReasonExposureAffected  Reason = "exposure_affected"
	ReasonCritical          Reason = "critical"
	ReasonWideImpact        Reason = "wide_impact"
	ReasonPersistentFailure Reason = "persistent_failure"
	ReasonFlaky             Reason = "flaky"
	// ReasonDismissedOften: people resolved its alerts as false positives or expected DismissalsToFlag times within
	// IncidentMemory.
	ReasonDismissedOften Reason = "dismissed_often"
	// The reasons only an axis is decided by.
	ReasonNewFailure       Reason = "new_failure"
	ReasonRunSkipped       Reason = "run_skipped"
	ReasonDownstreamModels Reason = "downstream_models"
	ReasonNoDownstream     Reason = "no_downstream"
	// ReasonRecovered: asked under an alert that has recovered since (and not failed again).
	ReasonRecovered Reason = "recovered"
)

// Reasons lists every urgency reason.
func Reasons() []Reason {
	return []Reason{ReasonRunError, ReasonTestsFailing, ReasonSourceStale, ReasonWarnOnly, ReasonErrorSeverity,
		ReasonWarnSeverity, ReasonExposureAffected, ReasonCritical, ReasonWideImpact, ReasonPersistentFailure,
		ReasonFlaky, ReasonDismissedOften, ReasonNewFailure, ReasonRunSkipped, ReasonDownstreamModels, ReasonNoDownstream,
		ReasonRecovered}
}
