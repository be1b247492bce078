package bot

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// App Home bounds.
const (
	homeMembersPage = 200
)

// HomeReader is what the App Home reads; *queries.Reader satisfies it.
type HomeReader interface {
	// Teams lists the teams that own at least one node.
	Teams(ctx context.Context) ([]string, error)
	// TeamNodes lists a team's nodes.
	TeamNodes(ctx context.Context, team string) ([]queries.Node, error)
	// Problems returns what is failing now, as escalation sees it.
	Problems(ctx context.Context) ([]queries.Problem, error)
	// Pipeline says whether the whole dbt pipeline stopped (nil when it runs).
	Pipeline(ctx context.Context) (*queries.PipelineStop, error)
	// Health scores a team's data.
	Health(ctx context.Context, q queries.HealthQuery) (queries.HealthAnswer, error)
	// Runbook is the playbook of a test or node.
	Runbook(ctx context.Context, uniqueID string) (string, error)
}

// HomeTeam is a configured team: its name and its Slack channel, an ID ("C…" or "G…") or a name ("#data-finance"),
// which is resolved through HomeOptions.Channels; a name that cannot be resolved shows as plain text and gives no
// membership (its team is still shown to the owners of its nodes).
type HomeTeam struct {
	Name    string
	Channel string
}

// HomeOptions configure Home.
type HomeOptions struct {
	// Teams are the configured teams with their channels.
	Teams []HomeTeam
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger receives read failures (discarded when nil).
	Logger *slog.Logger
	// Channels resolves the teams' channel names to IDs (the Bot's *Channels, shared); a new index over the API
	// when nil.
	Channels ChannelResolver
	// Incidents lists the unresolved incidents (*escalation.Store): the tab shows the reader's, and their teams'
	// nobody took. None are shown when nil.
	Incidents IncidentLister
}

// IncidentLister lists unresolved incidents (team "": every team's; resolvedSince zero: none resolved).
type IncidentLister interface {
	List(ctx context.Context, team string, resolvedSince time.Time) ([]escalation.Incident, error)
}

// ChannelResolver turns a channel name ("#data-finance") into its ID; an ID passes through. *Channels and *Bot
// are ones.
type ChannelResolver interface {
	ChannelID(ctx context.Context, channel string) (string, error)
}

// Home builds and publishes a user's App Home tab: the health of their teams (those whose channel they are in or
// whose nodes they own), what they own that is failing, and their digest line.
type Home struct {
	api       *slack.Client
	users     *Users
	data      HomeReader
	teams     []HomeTeam
	channels  ChannelResolver
	incidents IncidentLister
	now       func() time.Time
	log       *slog.Logger
}

// NewHome returns a Home reading data and identifying users through users.
func NewHome(api *slack.Client, users *Users, data HomeReader, opts HomeOptions) *Home {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	channels := opts.Channels
	if channels == nil {
		channels = NewChannels(api, ChannelsOptions{Logger: log, Now: now})
	}
	return &Home{api: api, users: users, data: data, teams: slices.Clone(opts.Teams), channels: channels, now: now,
		log: log, incidents: opts.Incidents}
}

// Publish builds userID's Home tab in lang and publishes it (views.publish).
func (h *Home) Publish(ctx context.Context, userID string, lang handlers.Lang) error {
	view := h.View(ctx, userID, lang)
	if _, err := h.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: view}); err != nil {
		return fmt.Errorf("views.publish for %s: %w", userID, err)
	}
	return nil
}

// View builds userID's Home tab in lang. Read failures show as a line on the tab (and in the log), never as an
// error: the tab always renders.
func (h *Home) View(ctx context.Context, userID string, lang handlers.Lang) slack.HomeTabViewRequest {
	me := h.identity(ctx, userID)
	problems, problemsErr := h.data.Problems(ctx)
	if problemsErr != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "home: read problems", slog.String("error", problemsErr.Error()))
	}
	teams, readErr := h.userTeams(ctx, userID, me, problems, problemsErr != nil)
	owned, ownedErr := ownedProblems(problems, me), problemsErr
	stop, err := h.data.Pipeline(ctx)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "home: read the pipeline's state", slog.String("error", err.Error()))
	}
	incidents, incidentsErr := h.userIncidents(ctx, userID, teams)
	return slackui.Home(slackui.HomeData{Updated: h.now(), Pipeline: stop, Teams: teams, TeamsUnreadable: readErr != nil,
		Owned: owned, OwnedUnreadable: ownedErr != nil, Incidents: incidents, IncidentsUnreadable: incidentsErr != nil}, lang)
}

// userIncidents are userID's unresolved incidents (assigned to them), then those of their teams nobody took, oldest
// first within each.
func (h *Home) userIncidents(ctx context.Context, userID string, teams []slackui.HomeTeam) ([]slackui.HomeIncident, error) {
	if h.incidents == nil {
		return nil, nil
	}
	all, err := h.incidents.List(ctx, "", time.Time{})
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "home: read incidents", slog.String("error", err.Error()))
		return nil, err
	}
	mine := map[string]bool{}
	for _, t := range teams {
		mine[strings.ToLower(t.Name)] = true
	}
	var assigned, toTake []slackui.HomeIncident
	for _, inc := range all {
		switch {
		case inc.Assignee == userID:
			assigned = append(assigned, slackui.HomeIncident{Incident: inc, Mine: true})
		case inc.Assignee == "" && inc.ParentID == 0 && mine[strings.ToLower(inc.Team)]:
			toTake = append(toTake, slackui.HomeIncident{Incident: inc})
		}
	}
	out := append(assigned, toTake...)
	for i := range out[:min(len(out), slackui.HomeMaxIncidents)] {
		inc := out[i].Incident
		link, err := h.data.Runbook(ctx, cmp.Or(inc.TestID, inc.NodeID))
		if err != nil {
			h.log.LogAttrs(ctx, slog.LevelDebug, "home: read a runbook", slog.String("error", err.Error()))
		}
		out[i].Runbook = link
	}
	return out, nil
}

// homeIdentity is who a user is in owner strings: their email, handle and display name, lower-case.
type homeIdentity map[string]bool

func (h *Home) identity(ctx context.Context, userID string) homeIdentity {
	id := homeIdentity{}
	if u := h.users.info(ctx, userID); u != nil {
		for _, k := range []string{u.Profile.Email, u.Name, u.Profile.DisplayName} {
			if key := ownerMatchKey(k); key != "" {
				id[key] = true
			}
		}
	}
	return id
}

func (id homeIdentity) owns(owners []string) bool {
	for _, o := range owners {
		if id[ownerMatchKey(o)] {
			return true
		}
	}
	return false
}

// userTeams returns the teams userID is in (by channel) or owns nodes of, sorted by name, with their health.
func (h *Home) userTeams(ctx context.Context, userID string, me homeIdentity, problems []queries.Problem,
	unreadable bool) ([]slackui.HomeTeam, error) {
	channels := map[string]string{} // lower-case team → channel
	names := map[string]string{}    // lower-case team → display name
	for _, t := range h.teams {
		key := strings.ToLower(strings.TrimSpace(t.Name))
		if key == "" {
			continue
		}
		names[key], channels[key] = t.Name, t.Channel
	}
	all, err := h.data.Teams(ctx)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "home: read teams", slog.String("error", err.Error()))
		return nil, fmt.Errorf("read teams: %w", err)
	}
	for _, t := range all {
		if key := strings.ToLower(t); names[key] == "" {
			names[key] = t
		}
	}
	var out []slackui.HomeTeam
	for key, name := range names {
		nodes, err := h.data.TeamNodes(ctx, name)
		if err != nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "home: read team nodes", slog.String("team", name),
				slog.String("error", err.Error()))
			return nil, fmt.Errorf("read team %s: %w", name, err)
		}
		channel := h.channelID(ctx, channels[key])
		in := h.isMember(ctx, channel, userID)
		if !in {
			for _, n := range nodes {
				if me.owns(n.Owners) {
					in = true
					break
				}
			}
		}
		if !in {
			continue
		}
		t := slackui.HomeTeam{Name: name, Channel: channel, Nodes: len(nodes), Unreadable: unreadable}
		failing, warns := map[string]bool{}, map[string]bool{}
		for _, p := range problems {
			if !strings.EqualFold(p.Team, name) {
				continue
			}
			if p.Severity == "WARN" {
				warns[p.NodeID] = true
			} else {
				failing[p.NodeID] = true
			}
		}
		for id := range failing {
			delete(warns, id)
		}
		t.Failing, t.Warns = len(failing), len(warns)
		if hl, err := h.data.Health(ctx, queries.HealthQuery{Team: name}); err != nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "home: team health", slog.String("team", name),
				slog.String("error", err.Error()))
		} else {
			t.Score, t.ScoreBefore = hl.Total, hl.TotalBefore
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b slackui.HomeTeam) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out, nil
}

// channelID resolves a team's configured channel to its ID; the channel as configured (trimmed) when it cannot.
func (h *Home) channelID(ctx context.Context, channel string) string {
	channel = strings.TrimSpace(channel)
	if channel == "" || slackui.IsConversationChannel(channel) {
		return channel
	}
	id, err := h.channels.ChannelID(ctx, channel)
	if err != nil || !slackui.IsConversationChannel(id) {
		h.log.LogAttrs(ctx, slog.LevelDebug, "home: resolve team channel", slog.String("channel", channel),
			slog.Any("error", err))
		return channel
	}
	return id
}

// isMember reports whether userID is in channel (conversations.members, every page); false when it cannot tell.
func (h *Home) isMember(ctx context.Context, channel, userID string) bool {
	if !slackui.IsConversationChannel(channel) || userID == "" {
		return false
	}
	cursor := ""
	for {
		var members []string
		var next string
		err := retryRateLimited(ctx, 1, time.Minute, h.log, "conversations.members", func(ctx context.Context) error {
			var err error
			members, next, err = h.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{
				ChannelID: channel, Cursor: cursor, Limit: homeMembersPage})
			return err
		})
		if err != nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "home: read channel members", slog.String("channel", channel),
				slog.String("error", err.Error()))
			return false
		}
		if slices.Contains(members, userID) {
			return true
		}
		if next == "" {
			return false
		}
		cursor = next
	}
}

// ownedProblems returns what is failing now whose owners include the user: errors first, then warnings.
func ownedProblems(problems []queries.Problem, me homeIdentity) []queries.Problem {
	if len(me) == 0 {
		return nil
	}
	var out []queries.Problem
	for _, p := range problems {
		if me.owns(p.Facts.Owners) {
			out = append(out, p)
		}
	}
	rank := func(p queries.Problem) int {
		switch {
		case p.Kind != "test":
			return 0 // a model that errored or a stale source blocks what is downstream
		case p.Severity == "WARN":
			return 2
		}
		return 1
	}
	slices.SortStableFunc(out, func(a, b queries.Problem) int { return rank(a) - rank(b) })
	return out
}
