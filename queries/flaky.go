package queries

import "time"

// A test is flaky when its results flipped between passing and not passing (a fail, an error or a warning) at least
// FlakyFlips times over its last FlakyRuns invocations within FlakyWindow. It is the one definition of flaky: the
// digest lists such tests, urgency counts one a step less likely to be real, and any later answer reads it here.
const (
	FlakyFlips  = 3
	FlakyRuns   = 10
	FlakyWindow = 7 * 24 * time.Hour
)

// testOutcome is one invocation's result of a test, as flakiness sees it: when, and whether it was not passing.
type testOutcome struct {
	at      time.Time
	problem bool
}

// flakyFlips counts how often a test's results flipped between passing and not passing over its last FlakyRuns
// invocations within FlakyWindow before now; outcomes are newest first.
func flakyFlips(newestFirst []testOutcome, now time.Time) int {
	flips, seen := 0, 0
	for i, o := range newestFirst {
		if seen == FlakyRuns || o.at.Before(now.Add(-FlakyWindow)) {
			break
		}
		seen++
		if i > 0 && o.problem != newestFirst[i-1].problem {
			flips++
		}
	}
	return flips
}
