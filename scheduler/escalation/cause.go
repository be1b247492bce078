package escalation

import (
	"context"
	"errors"
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// Diagnoser is the read model's diagnosis (*queries.Reader): one engine for what `why` answers, what a notice
// names as the cause and how escalation groups incidents.
type Diagnoser interface {
	Why(ctx context.Context, name string) (queries.WhyAnswer, error)
}

// rootKinds are the diagnosis' causes that are another node's failure, and the incident kind of that failure.
var rootKinds = map[string]Kind{
	"upstream_error":       KindModel,
	"upstream_test_failed": KindTest,
	"stale_source":         KindFreshness,
}

// DiagnosedCause is Conditions.CauseOf over the diagnosis: the first cause `why` names for the incident's test (else
// its node) that is another node's failure — the root of its skip or an upstream model that errored, an upstream
// test that failed in a build, a stale source upstream. A subject the read model does not know has no cause.
func DiagnosedCause(d Diagnoser) func(ctx context.Context, inc Incident) (Cause, bool, error) {
	return func(ctx context.Context, inc Incident) (Cause, bool, error) {
		subject := inc.NodeID
		if inc.TestID != "" {
			subject = inc.TestID
		}
		why, err := d.Why(ctx, subject)
		var notFound *queries.NotFoundError
		if errors.As(err, &notFound) {
			return Cause{}, false, nil
		}
		if err != nil {
			return Cause{}, false, fmt.Errorf("diagnose %s: %w", subject, err)
		}
		for _, c := range why.LikelyCauses {
			kind, ok := rootKinds[c.Kind]
			if !ok || c.UniqueID == "" || c.UniqueID == subject || c.UniqueID == inc.NodeID {
				continue
			}
			return Cause{Node: c.UniqueID, Kind: kind}, true, nil
		}
		return Cause{}, false, nil
	}
}
