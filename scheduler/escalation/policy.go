// Package escalation is Todai's escalation engine: incidents opened from the mirror's failing tests, model run errors
// and stale sources; a per-team policy of levels that climb while nobody acknowledges; silences, inhibition by an
// upstream failure, and sends that are idempotent on (incident, level, loop). The decision itself is the pure
// function Decide; Store keeps the state in the local SQLite database; Reconcile opens and resolves incidents from
// the mirror. Wiring into cron and Slack is the scheduler's and the bot's job.
package escalation

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TargetKind says who a level notifies.
type TargetKind string

// The kinds of target a level may notify.
const (
	// TargetChannel is a Slack channel (ID is the channel ID; empty means the team's own channel).
	TargetChannel TargetKind = "channel"
	// TargetOwners is the owners of the incident's node (ID unused).
	TargetOwners TargetKind = "owners"
	// TargetUserGroup is a Slack user group (ID is the subteam ID).
	TargetUserGroup TargetKind = "usergroup"
	// TargetUser is one Slack user, e.g. the on-call (ID is the user ID).
	TargetUser TargetKind = "user"
)

// Target is one recipient of a level's notice.
type Target struct {
	// Kind is channel, owners, usergroup or user.
	Kind TargetKind `yaml:"kind" json:"kind"`
	// ID is the channel, user group or user ID; unused for owners, optional for channel.
	ID string `yaml:"id,omitempty" json:"id,omitempty"`
}

// Level is one step of a policy: After this long since the incident opened (measured from the start of the current
// loop) without an acknowledgement, Notify is told.
type Level struct {
	// After is the delay from the start of the loop; level 1 usually has 0.
	After time.Duration `yaml:"after" json:"after"`
	// Notify is who this level tells.
	Notify []Target `yaml:"notify" json:"notify"`
}

// QuietHours is a daily window, in the team's timezone, in which nothing pings. Start and End are "HH:MM"; a window
// whose End is not after Start wraps midnight ("22:00" to "07:00").
type QuietHours struct {
	// Start is the local time the window opens, "HH:MM".
	Start string `yaml:"start" json:"start"`
	// End is the local time the window closes, "HH:MM".
	End string `yaml:"end" json:"end"`
	// Location is the team's timezone; nil means UTC. Config decoding sets it from the team's IANA zone name.
	Location *time.Location `yaml:"-" json:"-"`
}

// Policy is a team's escalation policy.
type Policy struct {
	// Levels are climbed in order while the incident is open and not acknowledged.
	Levels []Level `yaml:"levels" json:"levels"`
	// Repeat is the time from the last level's notice to the start of the next loop; 0 means no loops.
	Repeat time.Duration `yaml:"repeat,omitempty" json:"repeat,omitempty"`
	// MaxLoops is how many times the levels are climbed in total (0 and 1 both mean once).
	MaxLoops int `yaml:"max_loops,omitempty" json:"max_loops,omitempty"`
	// QuietHours, if set, hold back every ping inside the window; they are sent when it ends.
	QuietHours *QuietHours `yaml:"quiet_hours,omitempty" json:"quiet_hours,omitempty"`
	// IncludeWarn opens and escalates incidents for tests that only warn; without it warn results open nothing and a
	// warn-severity incident never climbs past level 1.
	IncludeWarn bool `yaml:"include_warn,omitempty" json:"include_warn,omitempty"`
	// LinkElementaryAlerts (default true): when Elementary's edr monitor already sent an alert for the same key
	// (alerts_v2), the first notice replies under that alert instead of posting a message of its own. False always
	// posts Todai's own message.
	LinkElementaryAlerts *bool `yaml:"link_elementary_alerts,omitempty" json:"link_elementary_alerts,omitempty"`
	// ElementaryWait is how long a first notice waits for edr monitor's alert once the incident opened, when edr
	// monitor is in use (its alerts_v2 table holds alerts of the last 7 days) and alerts are linked. Nil means
	// DefaultElementaryWait; 0 never waits.
	ElementaryWait *time.Duration `yaml:"elementary_wait,omitempty" json:"elementary_wait,omitempty"`
}

// DefaultElementaryWait is how long a first notice waits for edr monitor's alert unless the policy says otherwise:
// long enough for an `edr monitor` run after the dbt job, short enough that nobody waits for an alert that never comes.
const DefaultElementaryWait = 15 * time.Minute

// LinksElementaryAlerts reports whether first notices link to edr monitor's alerts (the default).
func (p Policy) LinksElementaryAlerts() bool {
	return p.LinkElementaryAlerts == nil || *p.LinkElementaryAlerts
}

// ElementaryWaitOrDefault is how long a first notice waits for edr monitor's alert.
func (p Policy) ElementaryWaitOrDefault() time.Duration {
	if p.ElementaryWait == nil {
		return DefaultElementaryWait
	}
	return max(*p.ElementaryWait, 0)
}

// Validate reports a policy that cannot be followed: no levels, negative delays, levels out of order, unknown target
// kinds, or malformed quiet hours.
func (p Policy) Validate() error {
	var errs []error
	if len(p.Levels) == 0 {
		errs = append(errs, errors.New("escalation policy: no levels"))
	}
	var prev time.Duration
	for i, l := range p.Levels {
		if l.After < 0 {
			errs = append(errs, fmt.Errorf("escalation policy: level %d: negative after %s", i+1, l.After))
		}
		if i > 0 && l.After < prev {
			errs = append(errs, fmt.Errorf("escalation policy: level %d: after %s is before level %d's %s", i+1, l.After, i, prev))
		}
		prev = l.After
		for _, t := range l.Notify {
			switch t.Kind {
			case TargetChannel, TargetOwners:
			case TargetUserGroup, TargetUser:
				if t.ID == "" {
					errs = append(errs, fmt.Errorf("escalation policy: level %d: %s target without id", i+1, t.Kind))
				}
			default:
				errs = append(errs, fmt.Errorf("escalation policy: level %d: unknown target kind %q", i+1, t.Kind))
			}
		}
	}
	if p.Repeat < 0 {
		errs = append(errs, fmt.Errorf("escalation policy: negative repeat %s", p.Repeat))
	}
	if p.ElementaryWait != nil && *p.ElementaryWait < 0 {
		errs = append(errs, fmt.Errorf("escalation policy: negative elementary_wait %s", *p.ElementaryWait))
	}
	if p.MaxLoops < 0 {
		errs = append(errs, fmt.Errorf("escalation policy: negative max_loops %d", p.MaxLoops))
	}
	if q := p.QuietHours; q != nil {
		if err := q.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("escalation policy: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Validate reports malformed quiet hours: a start or end that is not "HH:MM".
func (q QuietHours) Validate() error {
	var errs []error
	if _, err := parseClock(q.Start); err != nil {
		errs = append(errs, fmt.Errorf("quiet hours start: %w", err))
	}
	if _, err := parseClock(q.End); err != nil {
		errs = append(errs, fmt.Errorf("quiet hours end: %w", err))
	}
	return errors.Join(errs...)
}

// loops is the number of times the levels are climbed.
func (p Policy) loops() int {
	if p.MaxLoops < 1 || p.Repeat <= 0 {
		return 1
	}
	return p.MaxLoops
}

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return hh*60 + mm, nil
}
