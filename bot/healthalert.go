package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/queries"
)

// PostHealthAlert tells a team, in its channel and language, that its health fell (below the threshold below, by
// more than drop points in a day — nil: not that one), with the tests that moved it, their owners mentioned. It
// returns the channel's ID and the message's ts; ("", "", nil) when the team has no channel, so that the alert is
// not tried again.
func (b *Bot) PostHealthAlert(ctx context.Context, m queries.HealthMove, below, drop *float64) (string, string, error) {
	team, ok := b.teams.Named(m.Team)
	if !ok || team.Channel == "" {
		b.log.Warn("bot: health alert with nowhere to go: the team has no channel", "team", m.Team)
		return "", "", nil
	}
	var owners []string
	for _, mv := range m.Movers {
		owners = append(owners, mv.Owners...)
	}
	var mentions map[string]string
	if b.mentions != nil && len(owners) > 0 {
		mentions = b.mentions.Mentions(ctx, owners)
	}
	msg := slackui.HealthAlert(m, below, drop, b.teamLang(team), mentions)
	id, ts, err := b.post.PostMessage(ctx, strings.TrimPrefix(team.Channel, "#"), slack.MsgOptionText(msg.Text, false),
		slack.MsgOptionBlocks(msg.Blocks...))
	if err != nil {
		return "", "", fmt.Errorf("health alert of %s: %w", m.Team, err)
	}
	return id, ts, nil
}
