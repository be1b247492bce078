package queries

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// IncidentHistory is how the incidents of one test or node ended lately, as Todai's escalation remembers them (the
// state store's; the mirror does not hold them): how often people resolved them as false positives or as expected
// within IncidentMemory, and whether its open incident reopens one resolved as fixed.
type IncidentHistory struct {
	UniqueID      string `json:"unique_id"`
	FalsePositive int    `json:"false_positive"`
	Expected      int    `json:"expected"`
	// Since is when the first of those resolutions was made (zero when none).
	Since time.Time `json:"since"`
	// Reopens is the incident resolved as fixed less than a day before its open incident opened (0: none).
	Reopens int64 `json:"reopens,omitempty"`
}

// DismissalsToFlag is how many resolutions as false positive or expected within IncidentMemory flag a test or
// node: the next alert says so and is judged one step less likely to be real.
const DismissalsToFlag = 3

// IncidentMemory is how far back the resolutions of a test's or node's incidents count.
const IncidentMemory = 30 * 24 * time.Hour

// Dismissed is how many of its incidents were resolved as not a problem to fix.
func (h IncidentHistory) Dismissed() int { return h.FalsePositive + h.Expected }

// Flagged reports whether its incidents were dismissed often enough that a failure of it is less likely real.
func (h IncidentHistory) Flagged() bool { return h.Dismissed() >= DismissalsToFlag }

// IncidentHistories reads the history of the tests and nodes ids (ReaderOptions.IncidentHistory): those with none
// are absent.
type IncidentHistories func(ctx context.Context, ids []string, since time.Time) (map[string]IncidentHistory, error)

// incidentHistory is the history of those of ids that it flags or reopens, in ids' order; nil without the state
// store's hook.
func (r *Reader) incidentHistory(ctx context.Context, ids []string) ([]IncidentHistory, error) {
	if r.incidentHistories == nil || len(ids) == 0 {
		return nil, nil
	}
	all, err := r.incidentHistories(ctx, ids, r.now().Add(-IncidentMemory))
	if err != nil {
		return nil, fmt.Errorf("how incidents ended: %w", err)
	}
	var out []IncidentHistory
	for _, id := range ids {
		if h, ok := all[id]; ok && (h.Flagged() || h.Reopens != 0) {
			out = append(out, h)
		}
	}
	return out, nil
}

// problemSubjects are what a node's incidents are about: its failing tests, and itself when it errored or its
// source is stale (or nothing else fails).
func problemSubjects(n *nodeInfo, health Health, failing []TestState) []string {
	var ids []string
	for _, t := range failing {
		ids = append(ids, t.UniqueID)
	}
	if health == HealthError || health == HealthStale || len(ids) == 0 {
		ids = append(ids, n.UniqueID)
	}
	return ids
}

// allFlagged reports whether every subject's incidents were dismissed often: nothing else fails that people did not
// call a false positive or expected.
func allFlagged(subjects []string, hist []IncidentHistory) bool {
	if len(subjects) == 0 {
		return false
	}
	for _, s := range subjects {
		if !slices.ContainsFunc(hist, func(h IncidentHistory) bool { return h.UniqueID == s && h.Flagged() }) {
			return false
		}
	}
	return true
}
