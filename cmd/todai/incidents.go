package main

import (
	"context"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/chartpng"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// newEscalator builds the escalation job over the state file and the read model, posting through b.
func (a *app) newEscalator(db *localdb.DB, reader *queries.Reader, b *bot.Bot) *scheduler.Escalator {
	store := escalation.NewStateStore(a.stateOf(db))
	return &scheduler.Escalator{Store: store, Mirror: reader, PolicyFor: a.cfg.EscalationPolicy, Logger: a.logger,
		Notifier: func(ds []escalation.Decision, mirror *queries.Reader) escalation.Notifier {
			return b.IncidentNotifier(store, mirror, ds)
		}}
}

// chartDrawer draws charts as images with charts.font; a font that cannot be read is logged and the images are
// labelled in English with the fonts Todai ships.
func (a *app) chartDrawer() *chartpng.Renderer {
	r, err := chartpng.New(a.cfg.Charts.Font)
	if err != nil {
		a.logger.Error("charts.font cannot be used; chart images are labelled in English", "err", err)
		r, _ = chartpng.New("")
	}
	return r
}

// newHeadsUp builds the heads-up to exposures' audiences, posted through b; nil unless exposures.heads_up is on.
func (a *app) newHeadsUp(db *localdb.DB, reader *queries.Reader, b *bot.Bot) *scheduler.HeadsUp {
	if !a.cfg.Exposures.HeadsUp {
		return nil
	}
	return &scheduler.HeadsUp{DB: a.stateOf(db), Mirror: reader, Post: b.PostExposureNotice, Logger: a.logger}
}

// newHealthAlert builds the alert when a team's health falls, posted through b to the configured teams; nil unless
// health.alert_below or health.alert_drop is set.
func (a *app) newHealthAlert(db *localdb.DB, reader *queries.Reader, b *bot.Bot) *scheduler.HealthAlert {
	h := a.cfg.Health
	if h.AlertBelow == nil && h.AlertDrop == nil {
		return nil
	}
	teams := make([]string, 0, len(a.cfg.Teams))
	for _, t := range a.cfg.Teams {
		teams = append(teams, t.Name)
	}
	return &scheduler.HealthAlert{DB: a.stateOf(db), Mirror: reader, Teams: teams, Below: h.AlertBelow, Drop: h.AlertDrop,
		Logger: a.logger,
		Post: func(ctx context.Context, m queries.HealthMove, why scheduler.HealthFall) (string, string, error) {
			return b.PostHealthAlert(ctx, m, why.Below, why.Drop)
		}}
}

// newBot builds the Slack bot of `todai serve` over the state file and the read model: the incident desk, the
// configured teams, the users directory (mentions, locales) and the App Home.
func (a *app) newBot(db *localdb.DB, reader *queries.Reader) *bot.Bot {
	sc := a.cfg.Slack
	lang := handlers.Lang(a.cfg.Locale)
	cfg := bot.Config{
		AppToken: sc.AppToken, BotToken: sc.BotToken, APIURL: sc.APIURL, Command: sc.Command,
		ReportURL: sc.ReportURL, DocsURL: sc.DocsURL, ElementaryChannel: sc.ElementaryChannel, Admins: sc.Admins, Workers: sc.Workers, Queue: sc.Queue,
		DefaultLang: lang, ChannelLocales: map[string]handlers.Lang{}, Charts: sc.Charts,
	}
	var homeTeams []bot.HomeTeam
	for _, t := range a.cfg.Teams {
		homeTeams = append(homeTeams, bot.HomeTeam{Name: t.Name, Channel: t.Channel})
		if t.Locale != "" && t.Channel != "" { // an ID or a name: the bot resolves names when it needs them
			cfg.ChannelLocales[t.Channel] = handlers.Lang(t.Locale)
		}
	}
	api := bot.NewClient(cfg, a.slackHTTP)
	users := bot.NewUsers(api, bot.UsersOptions{Overrides: sc.Mentions, DefaultLang: lang, Logger: a.logger, Now: a.now})
	channels := bot.NewChannels(api, bot.ChannelsOptions{Logger: a.logger, Now: a.now}) // one index for bot and Home
	store := escalation.NewStateStore(a.stateOf(db))
	home := bot.NewHome(api, users, reader, bot.HomeOptions{Teams: homeTeams, Now: a.now, Logger: a.logger,
		Channels: channels, Incidents: store})
	deps := bot.Deps{Reader: reader, Incidents: store, Teams: a.teams(), DB: db, State: a.stateOf(db), API: api, Mentioner: users, Locales: users, Home: home,
		Channels: channels, Logger: a.logger, Now: a.now, HTTPClient: a.slackHTTP, Charts: a.chartDrawer(), Holder: holderID()}
	if a.questions != nil { // a typed nil would not be nil in the interface
		deps.Questions = a.questions
	}
	return bot.New(cfg, deps)
}
