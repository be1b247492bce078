// Package checkup is the vocabulary of `todai doctor`: every package that owns a part of the setup (the state
// database, the warehouse, Slack, the schedule) checks its own part and reports Findings; the command only prints
// them. It sits at the bottom of the import graph so that queries, scheduler and bot can all speak it.
package checkup

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
