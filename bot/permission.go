package bot

import (
	"context"
	"fmt"
	"slices"

	"github.com/slack-go/slack"
)

// memberLister is the part of *slack.Client the permission check needs.
type memberLister interface {
	GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) ([]string, string, error)
}

// maxMemberPages bounds how many pages of a channel's members are read.
const maxMemberPages = 50

// CanChange reports whether userID may change state (acknowledge, snooze …) for the team whose channel is
// teamChannel: configured admins always may; otherwise only members of the team's channel. An empty channel allows
// admins only. Slack errors are returned, and the answer is then no.
func CanChange(ctx context.Context, api memberLister, admins []string, userID, teamChannel string) (bool, error) {
	if userID == "" {
		return false, nil
	}
	if slices.Contains(admins, userID) {
		return true, nil
	}
	if teamChannel == "" {
		return false, nil
	}
	params := &slack.GetUsersInConversationParameters{ChannelID: teamChannel, Limit: 1000}
	for range maxMemberPages {
		members, next, err := api.GetUsersInConversationContext(ctx, params)
		if err != nil {
			return false, fmt.Errorf("permission: members of %s: %w", teamChannel, err)
		}
		if slices.Contains(members, userID) {
			return true, nil
		}
		if next == "" {
			return false, nil
		}
		params.Cursor = next
	}
	return false, nil
}

// CanChange is the bot's permission check for state-changing actions, with its configured admins.
func (b *Bot) CanChange(ctx context.Context, userID, teamChannel string) (bool, error) {
	return CanChange(ctx, b.api, b.cfg.Admins, userID, teamChannel)
}
