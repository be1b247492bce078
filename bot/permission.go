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

// groupLister is the part of *slack.Client that reads a user group's members.
type groupLister interface {
	GetUserGroupMembersContext(ctx context.Context, userGroup string) ([]string, error)
}

// teamDirectory reads who is in a team: its channel's members and its user group's.
type teamDirectory interface {
	memberLister
	groupLister
}

// MayWork reports whether userID may work an incident of team — take it, assign it, set its severity, resolve it:
// configured admins always may; otherwise the team's members, as its config lists them (members) or its Slack user
// group holds them; a team that names neither is its channel's members (CanChange, teamChannel being its channel as
// the click found it). Slack errors are returned, and the answer is then no.
func MayWork(ctx context.Context, api teamDirectory, admins []string, userID string, team TeamInfo, teamChannel string) (bool, error) {
	if userID == "" {
		return false, nil
	}
	if slices.Contains(admins, userID) || slices.Contains(team.Members, userID) {
		return true, nil
	}
	if team.UserGroup != "" {
		members, err := api.GetUserGroupMembersContext(ctx, team.UserGroup)
		if err != nil {
			return false, fmt.Errorf("permission: members of user group %s: %w", team.UserGroup, err)
		}
		return slices.Contains(members, userID), nil
	}
	if len(team.Members) > 0 {
		return false, nil
	}
	return CanChange(ctx, api, admins, userID, teamChannel)
}

// workerAPI is the Slack client as the permission checks read it.
type workerAPI struct{ *slack.Client }

// GetUserGroupMembersContext lists a user group's members, enabled or not.
func (w workerAPI) GetUserGroupMembersContext(ctx context.Context, group string) ([]string, error) {
	return w.Client.GetUserGroupMembersContext(ctx, group)
}

// MayWork is the bot's check of who may work an incident of team, with its configured admins.
func (b *Bot) MayWork(ctx context.Context, userID string, team TeamInfo, teamChannel string) (bool, error) {
	return MayWork(ctx, workerAPI{b.api}, b.cfg.Admins, userID, team, teamChannel)
}
