package handlerstest

import (
	"context"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// IncidentStats answers "incidents stats": finance's week (or every team's), with a reopened test; another team is
// not found.
func (f *Fake) IncidentStats(_ context.Context, q queries.IncidentStatsQuery) (queries.IncidentStatsAnswer, error) {
	f.record("IncidentStats team:" + q.Team + " since:" + q.Since.Format(time.RFC3339))
	if q.Team != "" && !strings.EqualFold(q.Team, "finance") {
		return queries.IncidentStatsAnswer{}, &queries.NotFoundError{Name: "team:" + q.Team, Suggestions: []string{"finance", "growth"}}
	}
	a := queries.IncidentStatsAnswer{Since: q.Since, Until: Now, Opened: 12, Acknowledged: 10, StillOpen: 2, Resolved: 11,
		TimeToAcknowledge: queries.DurationStats{Count: 10, MedianSeconds: f64(14 * 60), P90Seconds: f64(2 * 3600)},
		TimeToResolve:     queries.DurationStats{Count: 11, MedianSeconds: f64(5 * 3600), P90Seconds: f64(30 * 3600)},
		Resolutions: []queries.ResolutionCount{{Resolution: "cleared", Count: 5}, {Resolution: "false_positive", Count: 3},
			{Resolution: "fixed", Count: 2}, {Resolution: "expected", Count: 1}},
		MostReopened: []queries.ReopenedSubject{{UniqueID: "test.jaffle.not_null_fct_orders_order_id", Name: "not_null_fct_orders_order_id", Reopens: 2}}}
	if q.Team != "" {
		a.Team = "finance"
	}
	return a, nil
}
