package main

import (
	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// newEscalator builds the escalation job over the state file, posting through b.
func (a *app) newEscalator(db *localdb.DB, b *bot.Bot) *scheduler.Escalator {
	store := escalation.NewStore(db)
	reader := a.reader(db)
	return &scheduler.Escalator{Store: store, Mirror: reader, Causes: escalation.NewCauseCache(reader),
		PolicyFor: a.cfg.EscalationPolicy, Logger: a.logger,
		Notifier: func(ds []escalation.Decision) escalation.Notifier {
			return b.IncidentNotifier(store, reader, ds)
		}}
}

// newBot builds the Slack bot of `todai serve` over the state file: the read model with the incident desk and the
// configured teams, the users directory (mentions, locales) and the App Home.
func (a *app) newBot(db *localdb.DB) *bot.Bot {
	sc := a.cfg.Slack
	reader := a.reader(db)
	lang := handlers.Lang(a.cfg.Locale)
	cfg := bot.Config{
		AppToken: sc.AppToken, BotToken: sc.BotToken, APIURL: sc.APIURL, Command: sc.Command,
		ReportURL: sc.ReportURL, DocsURL: sc.DocsURL, ElementaryChannel: sc.ElementaryChannel, Admins: sc.Admins, Workers: sc.Workers, Queue: sc.Queue,
		DefaultLang: lang, ChannelLocales: map[string]handlers.Lang{},
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
	home := bot.NewHome(api, users, reader, bot.HomeOptions{Teams: homeTeams, Now: a.now, Logger: a.logger,
		Channels: channels})
	withIncidents := bot.ReaderWithIncidents{Reader: reader, Incidents: escalation.NewStore(db), Teams: a.teams()}
	deps := bot.Deps{Reader: withIncidents, DB: db, API: api, Mentioner: users, Locales: users, Home: home,
		Channels: channels, Logger: a.logger, Now: a.now, HTTPClient: a.slackHTTP}
	if a.questions != nil { // a typed nil would not be nil in the interface
		deps.Questions = a.questions
	}
	return bot.New(cfg, deps)
}
