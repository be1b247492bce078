package scheduler

import (
	"fmt"
	"time"

	"github.com/todai-dev/todai/queries/checkup"
)

// CheckSchedules is doctor's schedule check: the sync interval and, for each team, whether its digest schedule
// parses and when its next two digests are due after now (in the team's zone).
func CheckSchedules(now time.Time, syncInterval time.Duration, teams []TeamSchedule) checkup.Findings {
	var out checkup.Findings
	out.Pass(fmt.Sprintf("sync every %s", syncInterval))
	for _, t := range teams {
		if t.Spec == "" {
			out.Pass(fmt.Sprintf("team %s: no scheduled digest", t.Name))
			continue
		}
		s, loc, err := ParseSpec(t.Spec, t.Timezone)
		if err != nil {
			out.Fail(fmt.Sprintf("team %s: %v", t.Name, err),
				`teams[].digest.schedule is five cron fields ("0 9 * * 1-5") or a descriptor (@daily); timezone an IANA zone ("Asia/Tokyo")`)
			continue
		}
		const layout = "Mon 2006-01-02 15:04 MST"
		next := s.Next(now.In(loc))
		out.Pass(fmt.Sprintf("team %s: digest %q (%s), next %s, then %s", t.Name, t.Spec, loc,
			next.Format(layout), s.Next(next).Format(layout)))
	}
	return out
}
