package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// digestCommand builds a team's digest now: the team named, else the team whose channel the command came from.
func (b *Bot) digestCommand(ctx context.Context, q handlers.Question, channelID string) slackui.Message {
	l := q.Lang
	var info TeamInfo
	if q.Team != "" {
		var ok bool
		if info, ok = b.teams.Named(q.Team); !ok {
			if strings.EqualFold(q.Team, PlatformTeam) { // no team is called so: the platform digest
				return b.platformMessage(ctx, l, nil)
			}
			info = TeamInfo{Name: q.Team}
		}
	} else if t, ok := b.teams.OfChannel(channelID); ok {
		info = t
	} else {
		return slackui.Text(handlers.Tr(l, "Which team? Try: `/todai digest finance`", "どのチームですか? 例: `/todai digest finance`"))
	}
	ans, err := b.teamDigest(ctx, info, time.Time{})
	if errors.Is(err, errNoDigests) {
		return slackui.Text(handlers.Tr(l, "Digests are not available here.", "ここではダイジェストを利用できません。"))
	}
	if err != nil {
		b.log.Error("bot: digest", "team", info.Name, "err", err)
		return slackui.Text(handlers.Tr(l, "Could not build the digest; the error has been logged.", "ダイジェストを作成できませんでした。エラーはログに記録されています。"))
	}
	return b.digestMessage(ctx, ans, handlers.DigestOptions{Lang: l, Location: info.Location})
}

// errNoDigests says the bot's read model cannot build digests.
var errNoDigests = errors.New("digests are not available")

// teamDigest builds a team's digest at the bot's now, new since previous (zero: the default window).
func (b *Bot) teamDigest(ctx context.Context, info TeamInfo, previous time.Time) (queries.DigestAnswer, error) {
	if b.reader == nil {
		return queries.DigestAnswer{}, errNoDigests
	}
	now := b.now()
	ans, err := b.reader.Digest(ctx, queries.DigestQuery{Team: info.Name, Now: now, Previous: previous,
		Location: info.Location, ReportURL: b.cfg.ReportURL, Coverage: info.coverageOn(now)})
	if err != nil {
		return ans, fmt.Errorf("digest of %s: %w", info.Name, err)
	}
	return ans, nil
}

// PostTeamDigest is the scheduled digest: it builds team's digest (new since previous) and posts it to the team's
// channel as /todai digest and todai digest --post do — one path, the one Poster, owners mentioned; late notes a
// slot missed while Todai was down. It returns the channel's ID and the message's ts.
func (b *Bot) PostTeamDigest(ctx context.Context, team string, slot, previous time.Time, late bool) (channelID, ts string, err error) {
	info, ok := b.teams.Named(team)
	if !ok {
		info = TeamInfo{Name: team}
	}
	if info.Channel == "" {
		return "", "", noChannel(team)
	}
	ans, err := b.teamDigest(ctx, info, previous)
	if err != nil {
		return "", "", err
	}
	return b.PostDigest(ctx, info, ans, handlers.DigestOptions{Lang: b.teamLang(info), Location: info.Location,
		Late: late, Slot: slot})
}

// digestMessage renders a digest for Slack with its owners resolved to mentions: one path for `/todai digest`,
// the scheduled digest and `todai digest --post`.
func (b *Bot) digestMessage(ctx context.Context, ans queries.DigestAnswer, o handlers.DigestOptions) slackui.Message {
	var mentions map[string]string
	if b.mentions != nil {
		if owners := ans.OwnersNamed(); len(owners) > 0 {
			mentions = b.mentions.Mentions(ctx, owners)
		}
	}
	return slackui.Digest(ans, o, mentions)
}

// PostDigest posts a team's digest to the team's channel (an ID or a name) through the bot's Poster — paced per
// channel, retried after a 429, counted — with owners mentioned as /todai digest mentions them. It returns the
// channel's ID and the message's ts.
func (b *Bot) PostDigest(ctx context.Context, team TeamInfo, ans queries.DigestAnswer,
	o handlers.DigestOptions) (channelID, ts string, err error) {
	channel := team.Channel
	if channel == "" {
		return "", "", noChannel(team.Name)
	}
	msg := b.digestMessage(ctx, ans, o)
	channelID, ts, err = b.postMessage(ctx, strings.TrimPrefix(channel, "#"), "", msg, o.Lang)
	if err != nil {
		return "", "", fmt.Errorf("post the digest to %s: %w", channel, err)
	}
	return channelID, ts, nil
}

// noChannel is the error of a digest for a team without a channel.
func noChannel(team string) error {
	return fmt.Errorf("digest: team %s has no channel in the config", team)
}

// PlatformTeam is the name that asks for the platform digest (`/todai digest platform`), unless a team is called so.
const PlatformTeam = "platform"

// platformMessage builds the platform digest in l (times in loc).
func (b *Bot) platformMessage(ctx context.Context, l handlers.Lang, loc *time.Location) slackui.Message {
	if b.reader == nil {
		return slackui.Text(handlers.Tr(l, "Digests are not available here.", "ここではダイジェストを利用できません。"))
	}
	d, err := b.reader.Platform(ctx)
	if err != nil {
		b.log.Error("bot: platform digest", "err", err)
		return slackui.Text(handlers.Tr(l, "Could not build the platform digest; the error has been logged.",
			"プラットフォームダイジェストを作成できませんでした。エラーはログに記録されています。"))
	}
	return slackui.PlatformDigest(d, l, loc, b.cfg.ReportURL)
}

// PostPlatformDigest builds the platform digest and posts it to channel (an ID or a name) in l, times in loc; it
// returns the channel's ID and the message's ts.
func (b *Bot) PostPlatformDigest(ctx context.Context, channel string, l handlers.Lang, loc *time.Location) (string, string, error) {
	if b.reader == nil {
		return "", "", errNoDigests
	}
	d, err := b.reader.Platform(ctx)
	if err != nil {
		return "", "", fmt.Errorf("platform digest: %w", err)
	}
	msg := slackui.PlatformDigest(d, l, loc, b.cfg.ReportURL)
	id, ts, err := b.postMessage(ctx, strings.TrimPrefix(channel, "#"), "", msg, l)
	if err != nil {
		return "", "", fmt.Errorf("post the platform digest to %s: %w", channel, err)
	}
	return id, ts, nil
}
