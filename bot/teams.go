package bot

import (
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/handlers"
)

// TeamInfo is what the bot knows of a configured team: its channel (for the permission check, the default digest
// team and its incidents' messages), its zone and its language.
type TeamInfo struct {
	Name     string
	Channel  string
	Location *time.Location
	Lang     handlers.Lang
	// CoverageDay is the weekday whose digest also lists the team's blind spots (Monday when nil).
	CoverageDay *time.Weekday
	// Members (Slack user IDs) and UserGroup (a Slack user group's ID, S…) are who may work the team's incidents;
	// its channel's members when neither is set.
	Members   []string
	UserGroup string
}

// coverageOn reports whether the team's digest at now lists its blind spots: now is its coverage day, in its zone.
func (t TeamInfo) coverageOn(now time.Time) bool {
	day := time.Monday
	if t.CoverageDay != nil {
		day = *t.CoverageDay
	}
	loc := t.Location
	if loc == nil {
		loc = time.UTC
	}
	return now.In(loc).Weekday() == day
}

// Teams is the team directory built from the config: every lookup of a team by name or by channel.
type Teams []TeamInfo

// Named returns the team called name, compared without case.
func (ts Teams) Named(name string) (TeamInfo, bool) {
	for _, t := range ts {
		if strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return TeamInfo{}, false
}

// OfChannel returns the team whose configured channel is channel (an ID or a name, as configured).
func (ts Teams) OfChannel(channel string) (TeamInfo, bool) {
	for _, t := range ts {
		if channel != "" && t.Channel == channel {
			return t, true
		}
	}
	return TeamInfo{}, false
}

// zones lists the teams' zones, each once: those an alert's time may be written in.
func (ts Teams) zones() []*time.Location {
	var out []*time.Location
	for _, t := range ts {
		if t.Location != nil && !slices.Contains(out, t.Location) {
			out = append(out, t.Location)
		}
	}
	return out
}
