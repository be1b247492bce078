package escalation

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/todai-dev/todai/queries"
)

// Diagnoser is the read model's diagnosis (*queries.Reader): one engine for what `why` answers, what a notice
// names as the cause and how escalation groups incidents. SyncInfo says when the mirror last changed.
type Diagnoser interface {
	RootCause(ctx context.Context, subject, node string) (queries.Cause, bool, error)
	SyncInfo(ctx context.Context) (queries.SyncInfo, error)
}

// rootKinds are the incident kinds of the failures a root cause names.
var rootKinds = map[string]Kind{
	"upstream_error":       KindModel,
	"upstream_test_failed": KindTest,
	"stale_source":         KindFreshness,
}

// DiagnosedCause is Conditions.CauseOf over the diagnosis: the root cause (queries.Reader.RootCause) of the
// incident's test, else its node — the root of its skip or an upstream model that errored, an upstream test that
// failed in a build, a stale source upstream. A subject the read model does not know has no cause.
func DiagnosedCause(d Diagnoser) func(ctx context.Context, inc Incident) (Cause, bool, error) {
	return func(ctx context.Context, inc Incident) (Cause, bool, error) {
		return diagnose(ctx, d, inc)
	}
}

// subject is what an incident is about, as `why` is asked: its test, else its node.
func subject(inc Incident) string {
	return cmp.Or(inc.TestID, inc.NodeID)
}

// diagnose is DiagnosedCause's work for one incident.
func diagnose(ctx context.Context, d Diagnoser, inc Incident) (Cause, bool, error) {
	c, ok, err := d.RootCause(ctx, subject(inc), inc.NodeID)
	if err != nil {
		return Cause{}, false, fmt.Errorf("diagnose %s: %w", subject(inc), err)
	}
	kind, known := rootKinds[c.Kind]
	if !ok || !known {
		return Cause{}, false, nil
	}
	return Cause{Node: c.UniqueID, Kind: kind}, true, nil
}

// CauseCache remembers diagnosed causes while the mirror does not change: the sweeps of the minute ticks between two
// syncs diagnose nothing again (the causes it keeps depend on the mirror's rows only, not on the clock). It is safe
// for concurrent use.
type CauseCache struct {
	d Diagnoser

	mu       sync.Mutex
	syncedAt time.Time
	causes   map[string]cachedCause
}

type cachedCause struct {
	cause Cause
	ok    bool
}

// NewCauseCache returns an empty cache over d.
func NewCauseCache(d Diagnoser) *CauseCache {
	return &CauseCache{d: d, causes: map[string]cachedCause{}}
}

// CauseOf returns Conditions.CauseOf for one sweep: causes diagnosed since the mirror's last sync are reused.
func (c *CauseCache) CauseOf(ctx context.Context) (func(ctx context.Context, inc Incident) (Cause, bool, error), error) {
	info, err := c.d.SyncInfo(ctx)
	if err != nil {
		return nil, fmt.Errorf("diagnosis: %w", err)
	}
	c.mu.Lock()
	if !info.LastSuccess.Equal(c.syncedAt) {
		c.syncedAt, c.causes = info.LastSuccess, map[string]cachedCause{}
	}
	c.mu.Unlock()
	return func(ctx context.Context, inc Incident) (Cause, bool, error) {
		key := inc.NodeID + "\x00" + subject(inc)
		c.mu.Lock()
		got, found := c.causes[key]
		c.mu.Unlock()
		if found {
			return got.cause, got.ok, nil
		}
		cause, ok, err := diagnose(ctx, c.d, inc)
		if err != nil {
			return Cause{}, false, err
		}
		c.mu.Lock()
		c.causes[key] = cachedCause{cause, ok}
		c.mu.Unlock()
		return cause, ok, nil
	}, nil
}
