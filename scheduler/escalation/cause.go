package escalation

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// Diagnoser is the read model's diagnosis core (*queries.Reader): one verdict per subject, for what `why` answers,
// what a notice names and how escalation groups incidents. It remembers its diagnoses while the mirror does not
// change, so a sweep each minute diagnoses nothing again between two syncs.
type Diagnoser interface {
	Diagnose(ctx context.Context, subject string) (queries.Diagnosis, error)
}

// DiagnosedCause is Conditions.CauseOf over the diagnosis core: the Root of the incident's subject (its test, else
// its node) — the root of its skip or an upstream model that errored, an upstream test that failed in a build, a
// stale source upstream. A subject the read model does not know has no cause.
func DiagnosedCause(d Diagnoser) func(ctx context.Context, inc Incident) (Cause, bool, error) {
	return func(ctx context.Context, inc Incident) (Cause, bool, error) {
		diag, err := d.Diagnose(ctx, subject(inc))
		var unknown *queries.NotFoundError
		if errors.As(err, &unknown) {
			return Cause{}, false, nil
		}
		if err != nil {
			return Cause{}, false, fmt.Errorf("diagnose %s: %w", subject(inc), err)
		}
		root, ok := diag.Root()
		if !ok {
			return Cause{}, false, nil
		}
		return Cause{Node: root.UniqueID, Kind: root.Kind}, true, nil
	}
}

// subject is what an incident is about, as `why` is asked: its test, else its node.
func subject(inc Incident) string {
	return cmp.Or(inc.TestID, inc.NodeID)
}
