package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/queries/checkup"
)

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
func CheckSlack(ctx context.Context, cfg Config, teams Teams, httpClient *http.Client) checkup.Findings {
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
	var out checkup.Findings

	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		out.Fail("bot token: auth.test: "+err.Error(),
			"the token was revoked or belongs to another app: reinstall the app and copy the Bot User OAuth Token (docs/slack-setup.md)")
	} else {
		out.Pass(fmt.Sprintf("bot token: authenticated as @%s (%s) in %s", auth.User, auth.UserID, auth.Team))
		checkScopes(&out, rec.last())
	}
	appCfg := cfg
	appCfg.BotToken = cfg.AppToken
	if _, err := NewClient(appCfg, httpClient).AuthTestContext(ctx); err != nil {
		out.Fail("app token: auth.test: "+err.Error(),
			"create an app-level token with connections:write under Basic Information → App-Level Tokens (docs/slack-setup.md)")
	} else {
		out.Pass("app token: valid")
	}
	if err != nil || auth == nil || auth.UserID == "" {
		return out
	}
	channels := NewChannels(api, ChannelsOptions{})
	for _, t := range teams {
		if t.Channel != "" {
			checkChannel(ctx, &out, api, channels, auth.UserID, t)
		}
	}
	return out
}

// checkScopes compares the scopes Slack granted (X-OAuth-Scopes of auth.test) with the manifest's.
func checkScopes(out *checkup.Findings, raw string) {
	if raw == "" {
		out.Warn("Slack did not report the bot token's scopes", "compare the app's OAuth scopes with `todai manifest`")
		return
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
		out.Fail("bot token lacks scopes: "+strings.Join(missing, ", "),
			"update the app from `todai manifest` (or add the scopes under OAuth & Permissions) and reinstall it to the workspace")
		return
	}
	out.Pass(fmt.Sprintf("bot token has the %d scopes of the manifest", len(ManifestScopes())))
}

// checkChannel checks a team's channel exists, is not archived and has the bot as a member.
func checkChannel(ctx context.Context, out *checkup.Findings, api *slack.Client, channels *Channels, botUser string, t TeamInfo) {
	name := fmt.Sprintf("team %s: channel %s", t.Name, t.Channel)
	byName := !slackui.IsChannelID(t.Channel)
	id, err := channels.ChannelID(ctx, t.Channel)
	switch {
	case errors.Is(err, ErrUnknownChannel):
		out.Fail(name+": no channel of that name is visible to the bot (a private channel must have the bot in it; archived channels do not count)",
			"create the channel or fix teams[].channel; for a private channel invite the bot first (/invite @todai)")
		return
	case err != nil:
		out.Fail(name+": cannot resolve the name: "+err.Error(),
			"grant channels:read and groups:read (see `todai manifest`), or give the channel ID (channel details → About, e.g. C0123ABCD)")
		return
	}
	info, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		out.Fail(name+": conversations.info: "+err.Error(),
			"check the channel ID; for a private channel invite the bot first (/invite @todai)")
		return
	}
	if byName {
		name += " (" + id + ")"
	} else {
		name += " (#" + info.Name + ")"
	}
	if info.IsArchived {
		out.Fail(name+": the channel is archived", "unarchive it, or point teams[].channel at the team's current channel")
		return
	}
	member, err := CanChange(ctx, api, nil, botUser, id) // is the bot a member, as the permission check asks
	if err != nil {
		// conversations.info says whether the bot is in it when listing the members is not allowed.
		out.Warn(name+": cannot list members: "+err.Error(), "grant channels:read and groups:read (see `todai manifest`)")
		member = info.IsMember
	}
	if !member {
		out.Fail(name+": the bot is not a member",
			"invite it: /invite @todai in the channel (digests and escalations are posted there)")
		return
	}
	out.Pass(name + " exists and the bot is a member")
}
