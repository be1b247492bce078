package escalation

import (
	"slices"
	"strings"
	"time"
)

// Priority is an incident's severity as people judge it — critical, high, normal or low — not dbt's severity of the
// failing test (Incident.Severity). Until someone sets one, Todai shows the one it computes from the incident's
// urgency (PriorityOf) and says it is computed.
type Priority string

// The priorities, most severe first.
const (
	PriorityCritical Priority = "critical"
	PriorityHigh     Priority = "high"
	PriorityNormal   Priority = "normal"
	PriorityLow      Priority = "low"
)

// Priorities lists the priorities, most severe first.
func Priorities() []Priority {
	return []Priority{PriorityCritical, PriorityHigh, PriorityNormal, PriorityLow}
}

// ParsePriority reads a priority's name, without case ("" and unknown names are not one).
func ParsePriority(s string) (Priority, bool) {
	return oneOf(Priority(strings.ToLower(strings.TrimSpace(s))), Priorities())
}

// oneOf returns v when it is among known.
func oneOf[T ~string](v T, known []T) (T, bool) {
	if slices.Contains(known, v) {
		return v, true
	}
	return "", false
}

// PriorityOf is the priority Todai computes from an urgency's two axes (each "low", "medium" or "high"): both high is
// critical, a sum of 5 high, 4 normal, less low; "" when the axes are not given (nothing is failing).
func PriorityOf(likelihood, impact string) Priority {
	step := map[string]int{"low": 1, "medium": 2, "high": 3}
	l, i := step[likelihood], step[impact]
	switch sum := l + i; {
	case l == 0 || i == 0:
		return ""
	case sum == 6:
		return PriorityCritical
	case sum == 5:
		return PriorityHigh
	case sum == 4:
		return PriorityNormal
	}
	return PriorityLow
}

// Resolution is how an incident ended: one of the four a person chooses (Resolutions), or cleared, when a later run
// cleared its problem by itself.
type Resolution string

// The resolutions.
const (
	ResolutionFixed         Resolution = "fixed"
	ResolutionExpected      Resolution = "expected"
	ResolutionNoAction      Resolution = "no_action_needed"
	ResolutionFalsePositive Resolution = "false_positive"
	// ResolutionCleared is Todai's: a later run passed, built or found the source fresh.
	ResolutionCleared Resolution = "cleared"
)

// Resolutions lists the resolutions a person chooses, in the order they are offered.
func Resolutions() []Resolution {
	return []Resolution{ResolutionFixed, ResolutionExpected, ResolutionNoAction, ResolutionFalsePositive}
}

// ParseResolution reads a resolution a person chose, without case, with spaces or hyphens for underscores ("false
// positive", "no-action-needed"); cleared is Todai's and not one.
func ParseResolution(s string) (Resolution, bool) {
	return oneOf(Resolution(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))), Resolutions())
}

// Dismisses reports whether the resolution says the alert was not a problem to fix: expected, or a false positive.
func (r Resolution) Dismisses() bool {
	return r == ResolutionExpected || r == ResolutionFalsePositive
}

// MaxNoteLength bounds a resolution's note, in characters (a Slack plain-text input's limit).
const MaxNoteLength = 3000

// ReopenWindow is how soon after an incident was resolved as fixed a new failure of the same key says the fix did not
// hold: the new incident reopens it.
const ReopenWindow = 24 * time.Hour

// Ended is what a new failure of a key needs to know of the key's latest resolved incident: whether a person's
// resolution still holds for it (the same occurrence), and whether it reopens a fix.
type Ended struct {
	ID         int64
	Resolution Resolution
	ResolvedAt time.Time
	// InvocationID is the occurrence it was opened for.
	InvocationID string
}

// holds reports whether a person's resolution of e covers the failure w still in the mirror: one from the same
// invocation, or detected no later than the resolution (the person saw it, even when it repeated after the incident
// opened), so that resolving a failing test as expected does not open it again at the next sync; a failure detected
// after the resolution is a new incident.
func (e Ended) holds(w Incident) bool {
	if e.ID == 0 || e.Resolution == ResolutionCleared || e.Resolution == "" {
		return false
	}
	if w.InvocationID != "" && w.InvocationID == e.InvocationID {
		return true
	}
	return !w.DetectedAt.IsZero() && !e.ResolvedAt.IsZero() && !w.DetectedAt.After(e.ResolvedAt)
}

// reopened is the incident a new failure at now reopens: e, when it was resolved as fixed within ReopenWindow; 0
// otherwise.
func (e Ended) reopened(now time.Time) int64 {
	if e.Resolution == ResolutionFixed && now.Sub(e.ResolvedAt) <= ReopenWindow {
		return e.ID
	}
	return 0
}
