package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/queries"
)

// PostExposureNotice tells an exposure's audience that it turned unsafe to use or, recovered, that it is usable
// again: in the channel its meta.channel names, else its team's, in the team's language, mentioning its owner (only them) and
// with the safe answer below (slackui.ExposureNotice). It returns the channel's ID and the message's ts; ("", "",
// nil) when there is no channel to tell, so that the heads-up is not tried again.
func (b *Bot) PostExposureNotice(ctx context.Context, a queries.SafeAnswer, recovered bool) (channelID, ts string, err error) {
	team, ok := b.teams.Named(a.Node.Team)
	if !ok {
		team = TeamInfo{Name: a.Node.Team}
	}
	channel := team.Channel
	if a.Exposure != nil && strings.TrimSpace(a.Exposure.Channel) != "" {
		channel = strings.TrimSpace(a.Exposure.Channel)
	}
	channel = strings.TrimPrefix(channel, "#")
	if channel == "" {
		b.log.Warn("bot: heads-up with nowhere to go: the exposure has no meta.channel and its team no channel",
			"exposure", a.Node.UniqueID, "team", a.Node.Team)
		return "", "", nil
	}
	opts := slackui.Options{ReportURL: b.cfg.ReportURL, DocsURL: b.cfg.DocsURL, Now: b.now()}
	opts.Mentions = map[string]string{} // only the exposure's owner is pinged; the others are named
	if owner := slackui.HeadsUpOwner(a); owner != "" && b.mentions != nil {
		opts.Mentions = b.mentions.Mentions(ctx, []string{owner})
	}
	msg := slackui.ExposureNotice(a, recovered, b.teamLang(team), opts)
	channelID, ts, err = b.post.PostMessage(ctx, channel, slack.MsgOptionText(msg.Text, false),
		slack.MsgOptionBlocks(msg.Blocks...))
	if err != nil {
		return "", "", fmt.Errorf("heads-up on %s to %s: %w", a.Node.UniqueID, channel, err)
	}
	return channelID, ts, nil
}
