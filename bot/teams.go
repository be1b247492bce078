package bot

import (
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
