// Package checkup is the vocabulary of `todai doctor`: every package that owns a part of the setup (the state
// database, the warehouse, Slack, the schedule) checks its own part and reports Findings; the command only prints
// them. It sits at the bottom of the import graph so that queries, scheduler and bot can all speak it.
package checkup

import "fmt"

// Outcome is how one check came out.
type Outcome int

// The outcomes of a check: passed, a warning (does not fail doctor) or failed.
const (
	Pass Outcome = iota
	Warn
	Fail
)

// Finding is one line of doctor's checklist: what was found and, unless it passed, how to fix it.
type Finding struct {
	Outcome Outcome
	What    string
	Fix     string
}

// Findings is a checklist, in the order the checks ran.
type Findings []Finding

// Pass records a check that passed.
func (f *Findings) Pass(what string) { f.add(Pass, what, "") }

// Warn records a warning and how to clear it.
func (f *Findings) Warn(what, fix string) { f.add(Warn, what, fix) }

// Fail records a failed check and how to fix it.
func (f *Findings) Fail(what, fix string) { f.add(Fail, what, fix) }

func (f *Findings) add(o Outcome, what, fix string) {
	*f = append(*f, Finding{Outcome: o, What: what, Fix: fix})
}

// SchemaVersion is the finding of a database (what) whose schema is at version current where this build's
// migrations reach latest: newer fails (an older release cannot read it), older warns (the next start migrates it).
func SchemaVersion(what string, current, latest int64) Finding {
	switch {
	case current > latest:
		return Finding{Outcome: Fail, What: fmt.Sprintf("%s is at schema version %d, newer than this Todai's (%d)", what, current, latest),
			Fix: "run the Todai release that wrote it, or a newer one"}
	case current < latest:
		return Finding{Outcome: Warn, What: fmt.Sprintf("%s is at schema version %d of %d", what, current, latest),
			Fix: "`todai migrate` (or the next start) applies the pending migrations"}
	}
	return Finding{Outcome: Pass, What: fmt.Sprintf("%s: schema current (version %d)", what, current)}
}
