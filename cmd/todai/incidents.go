package main

import (
	"context"
	"fmt"
	"time"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// policyFor returns a team's escalation policy with the team's quiet hours in its zone.
func (a *app) policyFor(team string) (escalation.Policy, bool) {
	for _, t := range a.cfg.Teams {
		if t.Name != team || t.Escalation == nil {
			continue
		}
		p := *t.Escalation
		if p.QuietHours == nil && t.QuietHours != nil {
			q := *t.QuietHours
			p.QuietHours = &q
		}
		if p.QuietHours != nil {
			q := *p.QuietHours
			q.Location = t.Location()
			p.QuietHours = &q
		}
		return p, true
	}
	return escalation.Policy{}, false
}

// newEscalator builds the escalation job over the state file, posting through b.
func (a *app) newEscalator(db *localdb.DB, b *bot.Bot) *scheduler.Escalator {
	store := escalation.NewStore(db)
	return &scheduler.Escalator{Store: store, Mirror: escalation.Mirror{DB: db.Read}, Teams: a.cfg.TeamRules(),
		PolicyFor: a.policyFor, Logger: a.logger,
		Notifier: func(ds []escalation.Decision) escalation.Notifier { return a.newIncidentNotifier(store, db, b, ds) }}
}

// incidentDesk is bot.IncidentDesk over the escalation store.
type incidentDesk struct {
	a     *app
	store *escalation.Store
	db    *localdb.DB
}

func (d incidentDesk) view(inc escalation.Incident) bot.IncidentView {
	t := d.a.team(inc.Team)
	return bot.IncidentView{ID: inc.ID, Key: inc.Key, Team: inc.Team, Kind: string(inc.Kind), NodeID: inc.NodeID,
		TestID: inc.TestID, Severity: inc.Severity, Status: string(inc.Status), Summary: inc.Summary,
		Owners: inc.Owners, OpenedAt: inc.OpenedAt, AckedBy: inc.AckedBy, ResolvedAt: inc.ResolvedAt,
		Snoozed: inc.SilencedBy != 0, InhibitedBy: inc.InhibitedBy, ElementaryAlertID: inc.ElementaryAlertID,
		Channel: inc.Message.Channel, TS: inc.Message.TS, ThreadTS: inc.Message.ThreadTS, TeamChannel: t.Channel,
		Lang: d.a.teamLang(t)}
}

func (d incidentDesk) Incident(ctx context.Context, id int64) (bot.IncidentView, error) {
	inc, err := d.store.Get(ctx, id)
	if err != nil {
		return bot.IncidentView{}, err
	}
	return d.view(inc), nil
}

func (d incidentDesk) MessageIncidents(ctx context.Context, channel, ts string) ([]bot.IncidentView, error) {
	incs, err := d.store.ByMessage(ctx, channel, ts)
	if err != nil {
		return nil, err
	}
	out := make([]bot.IncidentView, 0, len(incs))
	for _, inc := range incs {
		out = append(out, d.view(inc))
	}
	return out, nil
}

func (d incidentDesk) Ack(ctx context.Context, id int64, actor string, now time.Time) error {
	return d.store.Ack(ctx, id, actor, now)
}

func (d incidentDesk) Snooze(ctx context.Context, id int64, dur time.Duration, actor string, now time.Time) error {
	_, err := d.store.Snooze(ctx, id, dur, actor, now)
	return err
}

func (d incidentDesk) Timeline(ctx context.Context, id int64) ([]bot.IncidentEvent, error) {
	evs, err := d.store.Timeline(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]bot.IncidentEvent, len(evs))
	for i, e := range evs {
		out[i] = bot.IncidentEvent{At: e.At, Event: e.Event, Actor: e.Actor, Level: e.Level, Loop: e.Loop, Detail: e.Detail}
	}
	return out, nil
}

func (d incidentDesk) Mute(ctx context.Context, s bot.SilenceView, now time.Time) (bot.SilenceView, error) {
	sil := escalation.Silence{StartsAt: s.StartsAt, EndsAt: s.EndsAt, CreatedBy: s.CreatedBy, Comment: s.Comment}
	for _, m := range s.Matchers {
		sil.Matchers = append(sil.Matchers, escalation.Matcher{Field: m.Field, Value: m.Value, Glob: m.Glob})
	}
	got, err := d.store.Silence(ctx, sil, now)
	if err != nil {
		return bot.SilenceView{}, err
	}
	s.ID = got.ID
	return s, nil
}

func (d incidentDesk) ActiveSilences(ctx context.Context, now time.Time) ([]bot.SilenceView, error) {
	sils, err := d.store.ActiveSilences(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]bot.SilenceView, len(sils))
	for i, s := range sils {
		v := bot.SilenceView{ID: s.ID, StartsAt: s.StartsAt, EndsAt: s.EndsAt, CreatedBy: s.CreatedBy, Comment: s.Comment}
		for _, m := range s.Matchers {
			v.Matchers = append(v.Matchers, bot.SilenceMatcher{Field: m.Field, Value: m.Value, Glob: m.Glob})
		}
		out[i] = v
	}
	return out, nil
}

// incidentNotifier is escalation.Notifier over the bot for one sweep: the first notices of a team's incidents from
// one dbt invocation go out as one message, except those edr monitor already alerted on, which reply under its
// alert; later notices reply in the incident's thread.
type incidentNotifier struct {
	desk   incidentDesk
	b      *bot.Bot
	mirror escalation.Mirror
	groups map[string][]escalation.Decision // team + invocation → the sweep's first notices
	firsts map[int64]escalation.NotifyLevel
	posted map[int64]bool // incidents whose first notice went out in this sweep
	// threads are where the incidents linked to edr monitor's alerts reply, found when their group is first reached.
	threads  map[int64]alertThread
	searched map[string]bool
	// failed are the groups whose message failed in this sweep: their other incidents fail with it.
	failed map[string]error
}

// alertThread is edr monitor's message for an incident: the notice replies in its thread.
type alertThread struct {
	channel, ts string
}

func groupKey(inc escalation.Incident) string { return inc.Team + "\x00" + inc.InvocationID }

func (a *app) newIncidentNotifier(store *escalation.Store, db *localdb.DB, b *bot.Bot, ds []escalation.Decision) *incidentNotifier {
	n := &incidentNotifier{desk: incidentDesk{a: a, store: store, db: db}, b: b, mirror: escalation.Mirror{DB: db.Read},
		groups: map[string][]escalation.Decision{}, firsts: map[int64]escalation.NotifyLevel{}, posted: map[int64]bool{},
		threads: map[int64]alertThread{}, searched: map[string]bool{}, failed: map[string]error{}}
	for _, d := range ds {
		for _, act := range d.Actions {
			if nl, ok := act.(escalation.NotifyLevel); ok && nl.First {
				k := groupKey(d.Incident)
				n.groups[k] = append(n.groups[k], d)
				n.firsts[d.Incident.ID] = nl
			}
		}
	}
	return n
}

func (n *incidentNotifier) notice(inc escalation.Incident, nl escalation.NotifyLevel) bot.IncidentNotice {
	bn := bot.IncidentNotice{Incident: n.desk.view(inc), Level: nl.Level, Loop: nl.Loop, Mention: nl.Mention,
		ElementaryAlertID: nl.LinkElementaryAlert}
	for _, t := range nl.Targets {
		bn.Targets = append(bn.Targets, bot.NoticeTarget{Kind: string(t.Kind), ID: t.ID})
	}
	if nl.ProbablyCausedBy != nil {
		bn.CausedBy = nl.ProbablyCausedBy.Node
	}
	return bn
}

// delivery marks a Slack error that proves the post never reached Slack, so that Execute gives the send back.
func delivery(err error) error {
	if bot.NotPosted(err) {
		return fmt.Errorf("%w: %w", escalation.ErrNotDelivered, err)
	}
	return err
}

// Notify posts a first notice under edr monitor's alert when it has one, else in its group's message (with the
// group's other incidents that have none); later notices reply in the incident's thread.
func (n *incidentNotifier) Notify(ctx context.Context, inc escalation.Incident, nl escalation.NotifyLevel) (escalation.Delivery, error) {
	channel := n.desk.a.team(inc.Team).Channel
	if !nl.First {
		if inc.Message.TS == "" {
			// The first notice never reached Slack (its send was claimed, then the post failed): with no thread to
			// reply in, this notice opens the incident's message, buttons and all, so it is not lost as well.
			ch, ts, err := n.b.PostIncidents(ctx, channel, []bot.IncidentNotice{n.notice(inc, nl)})
			if err != nil {
				return escalation.Delivery{}, delivery(err)
			}
			return escalation.Delivery{Message: escalation.MessageRef{Channel: ch, TS: ts}}, nil
		}
		return escalation.Delivery{}, delivery(n.b.PostEscalation(ctx, n.notice(inc, nl)))
	}
	k := groupKey(inc)
	n.findAlertThreads(ctx, k)
	if th, ok := n.threads[inc.ID]; ok {
		ch, ts, err := n.b.PostIncidentsInThread(ctx, th.channel, th.ts, []bot.IncidentNotice{n.notice(inc, nl)})
		if err == nil {
			n.posted[inc.ID] = true
			return escalation.Delivery{Message: escalation.MessageRef{Channel: ch, TS: ts, ThreadTS: th.ts}}, nil
		}
		if !bot.NotPosted(err) {
			return escalation.Delivery{}, err // the reply may have been posted: never a second notice
		}
		n.desk.a.logger.WarnContext(ctx, "escalation: reply under edr monitor's alert failed; posting Todai's own message",
			"incident", inc.ID, "channel", th.channel, "ts", th.ts, "err", err)
		delete(n.threads, inc.ID)
	}
	if err := n.failed[k]; err != nil {
		return escalation.Delivery{}, err
	}
	// This incident leads: its message holds it and the group's incidents not posted yet and not replying under an
	// alert of edr monitor's (up to 20).
	notices := []bot.IncidentNotice{n.notice(inc, nl)}
	ids := []int64{inc.ID}
	for _, d := range n.groups[k] {
		if len(notices) == 20 {
			break
		}
		id := d.Incident.ID
		if _, linked := n.threads[id]; linked || n.posted[id] || id == inc.ID {
			continue
		}
		notices = append(notices, n.notice(d.Incident, n.firsts[id]))
		ids = append(ids, id)
	}
	ch, ts, err := n.b.PostIncidents(ctx, channel, notices)
	if err != nil {
		// The group's other incidents were in that message: they share its fate rather than go out again, given
		// back with it when Slack refused it, kept claimed with it when it may have been posted.
		err = delivery(err)
		n.failed[k] = err
		return escalation.Delivery{}, err
	}
	for _, id := range ids {
		n.posted[id] = true
	}
	return escalation.Delivery{Message: escalation.MessageRef{Channel: ch, TS: ts}, With: ids[1:]}, nil
}

// findAlertThreads looks, once per group, for edr monitor's message of each of the group's incidents linked to its
// alert: in the channel the model's or test's meta names, edr monitor's default channel and the team's channel. An
// alert not found (or a channel Todai cannot read) leaves the incident to the group's own message.
func (n *incidentNotifier) findAlertThreads(ctx context.Context, group string) {
	if n.searched[group] {
		return
	}
	n.searched[group] = true
	log := n.desk.a.logger
	for _, d := range n.groups[group] {
		inc, nl := d.Incident, n.firsts[d.Incident.ID]
		if nl.LinkElementaryAlert == "" {
			continue
		}
		inc.ElementaryAlertID = nl.LinkElementaryAlert
		alert, ok, err := n.mirror.ElementaryAlert(ctx, inc)
		if err != nil || !ok || alert.SentAt.IsZero() {
			if err != nil {
				log.WarnContext(ctx, "escalation: edr monitor's alert unreadable", "incident", inc.ID, "alert", nl.LinkElementaryAlert, "err", err)
			}
			continue
		}
		match := bot.AlertMatch{Kind: alert.Type, Table: alert.Table, Column: alert.Column, Test: alert.Test, Name: alert.Name,
			UniqueIDs: alert.UniqueIDs}
		seen := map[string]bool{}
		for _, ch := range []string{alert.Channel, n.desk.a.cfg.Slack.ElementaryChannel, n.desk.a.team(inc.Team).Channel} {
			if ch == "" || seen[ch] {
				continue
			}
			seen[ch] = true
			id, ts, err := n.b.FindAlertMessage(ctx, ch, alert.SentAt, match)
			if id != "" {
				seen[id] = true
			}
			if err != nil {
				log.WarnContext(ctx, "escalation: could not search for edr monitor's alert", "incident", inc.ID, "channel", ch, "err", err)
				continue
			}
			if ts != "" {
				n.threads[inc.ID] = alertThread{channel: id, ts: ts}
				break
			}
		}
		if _, found := n.threads[inc.ID]; !found {
			log.InfoContext(ctx, "escalation: edr monitor's alert not found in Slack; Todai posts its own message",
				"incident", inc.ID, "alert", alert.ID)
		}
	}
}

// UpdateMessage rewrites the incident's message with its incidents' current states.
func (n *incidentNotifier) UpdateMessage(ctx context.Context, inc escalation.Incident, u escalation.UpdateMessage) error {
	incs, err := n.desk.MessageIncidents(ctx, u.Message.Channel, u.Message.TS)
	if err != nil {
		return err
	}
	return n.b.UpdateIncidentMessage(ctx, u.Message.Channel, u.Message.TS, incs)
}

// ReplyInThread says in the incident's thread that it resolved.
func (n *incidentNotifier) ReplyInThread(ctx context.Context, inc escalation.Incident, _ escalation.ReplyInThread) error {
	if inc.Message.TS == "" {
		return nil // no notice reached Slack: there is no thread to say it in
	}
	return n.b.ReplyResolved(ctx, n.desk.view(inc))
}

var (
	_ bot.IncidentDesk    = incidentDesk{}
	_ escalation.Notifier = (*incidentNotifier)(nil)
)

// newBot builds the Slack bot of `todai serve` over the state file: the read model with the incident desk and the
// configured teams, the users directory (mentions, locales) and the App Home.
func (a *app) newBot(db *localdb.DB) *bot.Bot {
	sc := a.cfg.Slack
	reader := a.reader(db)
	lang := handlers.Lang(a.cfg.Locale)
	cfg := bot.Config{
		AppToken: sc.AppToken, BotToken: sc.BotToken, APIURL: sc.APIURL, Command: sc.Command,
		ReportURL: sc.ReportURL, DocsURL: sc.DocsURL, Admins: sc.Admins, Workers: sc.Workers, Queue: sc.Queue,
		DefaultLang: lang, ChannelLocales: map[string]handlers.Lang{},
	}
	var homeTeams []bot.HomeTeam
	var teamInfos []bot.TeamInfo
	for _, t := range a.cfg.Teams {
		homeTeams = append(homeTeams, bot.HomeTeam{Name: t.Name, Channel: t.Channel})
		teamInfos = append(teamInfos, bot.TeamInfo{Name: t.Name, Channel: t.Channel, Location: t.Location(), Lang: a.teamLang(t)})
		if t.Locale != "" && t.Channel != "" { // an ID or a name: the bot resolves names when it needs them
			cfg.ChannelLocales[t.Channel] = handlers.Lang(t.Locale)
		}
	}
	api := bot.NewClient(cfg, a.slackHTTP)
	users := bot.NewUsers(api, bot.UsersOptions{Overrides: sc.Mentions, DefaultLang: lang, Logger: a.logger, Now: a.now})
	channels := bot.NewChannels(api, bot.ChannelsOptions{Logger: a.logger, Now: a.now}) // one index for bot and Home
	home := bot.NewHome(api, users, reader, bot.HomeOptions{Teams: homeTeams, Now: a.now, Logger: a.logger,
		Channels: channels})
	desk := incidentDesk{a: a, store: escalation.NewStore(db), db: db}
	withIncidents := bot.ReaderWithIncidents{Reader: reader, Incidents: desk, Teams: teamInfos}
	deps := bot.Deps{Reader: withIncidents, DB: db, API: api, Mentioner: users, Locales: users, Home: home,
		Channels: channels, Logger: a.logger, Now: a.now, HTTPClient: a.slackHTTP}
	if a.questions != nil { // a typed nil would not be nil in the interface
		deps.Questions = a.questions
	}
	return bot.New(cfg, deps)
}
