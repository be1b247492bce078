package bot

import (
	"context"
	"errors"
	"fmt"
	"github.com/todai-dev/todai/bot/slackui"
	"net/http"
	"strings"
	"sync"

	"github.com/slack-go/slack"
)

// CheckOutcome is how one of doctor's checks came out.
type CheckOutcome int

// The outcomes of a check: passed, a warning (does not fail doctor) or failed.
const (
	CheckPass CheckOutcome = iota
	CheckWarn
	CheckFail
)

// Check is one line of doctor's checklist: what was found and, unless it passed, how to fix it.
type Check struct {
	Outcome CheckOutcome
	What    string
	Fix     string
}

// scopeRecorder remembers the X-OAuth-Scopes header of the last auth.test answer that passes through it.
type scopeRecorder struct {
	next http.RoundTripper

	mu     sync.Mutex
	scopes string
}

// RoundTrip implements http.RoundTripper.
func (s *scopeRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/auth.test") {
		s.mu.Lock()
		s.scopes = resp.Header.Get("X-OAuth-Scopes")
		s.mu.Unlock()
	}
	return resp, err
}

func (s *scopeRecorder) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scopes
}

// CheckSlack runs doctor's Slack checks through the bot's own client: auth.test of the bot and app tokens, the bot
// token's scopes against the manifest, and each team's channel (exists, not archived, the bot a member; a channel
// given by name resolved through the channel index). It posts nothing.
func CheckSlack(ctx context.Context, cfg Config, teams Teams, httpClient *http.Client) []Check {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	next := httpClient.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	rec := &scopeRecorder{next: next}
	client := *httpClient
	client.Transport = rec
	api := NewClient(cfg, &client)
	var out []Check
	add := func(o CheckOutcome, what, fix string) { out = append(out, Check{Outcome: o, What: what, Fix: fix}) }

	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		add(CheckFail, "bot token: auth.test: "+err.Error(),
			"the token was revoked or belongs to another app: reinstall the app and copy the Bot User OAuth Token (docs/slack-setup.md)")
	} else {
		add(CheckPass, fmt.Sprintf("bot token: authenticated as @%s (%s) in %s", auth.User, auth.UserID, auth.Team), "")
		out = append(out, checkScopes(rec.last()))
	}
	appCfg := cfg
	appCfg.BotToken = cfg.AppToken
	if _, err := NewClient(appCfg, httpClient).AuthTestContext(ctx); err != nil {
		add(CheckFail, "app token: auth.test: "+err.Error(),
			"create an app-level token with connections:write under Basic Information → App-Level Tokens (docs/slack-setup.md)")
	} else {
		add(CheckPass, "app token: valid", "")
	}
	if err != nil || auth == nil || auth.UserID == "" {
		return out
	}
	channels := NewChannels(api, ChannelsOptions{})
	for _, t := range teams {
		if t.Channel != "" {
			out = append(out, checkChannel(ctx, api, channels, auth.UserID, t)...)
		}
	}
	return out
}

// checkScopes compares the scopes Slack granted (X-OAuth-Scopes of auth.test) with the manifest's.
func checkScopes(raw string) Check {
	if raw == "" {
		return Check{CheckWarn, "Slack did not report the bot token's scopes", "compare the app's OAuth scopes with `todai manifest`"}
	}
	granted := map[string]bool{}
	for _, s := range strings.Split(raw, ",") {
		granted[strings.TrimSpace(s)] = true
	}
	var missing []string
	for _, s := range ManifestScopes() {
		if !granted[s] {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return Check{CheckFail, "bot token lacks scopes: " + strings.Join(missing, ", "),
			"update the app from `todai manifest` (or add the scopes under OAuth & Permissions) and reinstall it to the workspace"}
	}
	return Check{CheckPass, fmt.Sprintf("bot token has the %d scopes of the manifest", len(ManifestScopes())), ""}
}

// checkChannel checks a team's channel exists, is not archived and has the bot as a member.
func checkChannel(ctx context.Context, api *slack.Client, channels *Channels, botUser string, t TeamInfo) []Check {
	name := fmt.Sprintf("team %s: channel %s", t.Name, t.Channel)
	byName := !slackui.IsChannelID(t.Channel)
	id, err := channels.ChannelID(ctx, t.Channel)
	switch {
	case errors.Is(err, ErrUnknownChannel):
		return []Check{{CheckFail, name + ": no channel of that name is visible to the bot (a private channel must have the bot in it; archived channels do not count)",
			"create the channel or fix teams[].channel; for a private channel invite the bot first (/invite @todai)"}}
	case err != nil:
		return []Check{{CheckFail, name + ": cannot resolve the name: " + err.Error(),
			"grant channels:read and groups:read (see `todai manifest`), or give the channel ID (channel details → About, e.g. C0123ABCD)"}}
	}
	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		return []Check{{CheckFail, name + ": conversations.info: " + err.Error(),
			"check the channel ID; for a private channel invite the bot first (/invite @todai)"}}
	}
	if byName {
		name += " (" + id + ")"
	} else {
		name += " (#" + info.Name + ")"
	}
	if info.IsArchived {
		return []Check{{CheckFail, name + ": the channel is archived", "unarchive it, or point teams[].channel at the team's current channel"}}
	}
	var out []Check
	member, err := CanChange(ctx, api, nil, botUser, id) // is the bot a member, as the permission check asks
	if err != nil {
		// conversations.info says whether the bot is in it when listing the members is not allowed.
		out = append(out, Check{CheckWarn, name + ": cannot list members: " + err.Error(),
			"grant channels:read and groups:read (see `todai manifest`)"})
		member = info.IsMember
	}
	if !member {
		return append(out, Check{CheckFail, name + ": the bot is not a member",
			"invite it: /invite @todai in the channel (digests and escalations are posted there)"})
	}
	return append(out, Check{CheckPass, name + " exists and the bot is a member", ""})
}
