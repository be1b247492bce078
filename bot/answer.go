package bot

import (
	"cmp"
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

var (
	reMention   = regexp.MustCompile(`<@[UW][A-Z0-9]+(?:\|[^>]*)?>`)
	reNodeToken = regexp.MustCompile(`[A-Za-z0-9_][A-Za-z0-9_.\-]*[A-Za-z0-9_]`)
)

// needsNode reports whether q lacks only a node that a thread could supply.
func needsNode(q handlers.Question) bool {
	return q.Problem == handlers.ProblemMissingNode
}

// lang picks the answer language: the question's own, else the asker's locale, else the default.
func (b *Bot) lang(ctx context.Context, q handlers.Question, userID, channelID string) handlers.Lang {
	if !q.Command {
		return q.Lang
	}
	override := b.channelLocale(ctx, channelID)
	if b.locales != nil {
		if l := b.locales.Locale(ctx, userID, override); l != "" {
			return l
		}
	}
	return cmp.Or(override, b.cfg.DefaultLang)
}

// zone is the asker's Slack time zone, in which q's dates and times written without a zone are read; nil (UTC)
// when q has none or Slack does not tell. Slack answers show times as Slack dates, so nothing else needs it.
func (b *Bot) zone(ctx context.Context, q handlers.Question, userID string) *time.Location {
	if b.locales == nil || !q.Since.NeedsZone() {
		return nil
	}
	return b.locales.Zone(ctx, userID)
}

// answer asks q and renders it for Slack, with owners resolved to mentions.
func (b *Bot) answer(ctx context.Context, q handlers.Question, ephemeral bool) (handlers.Result, slackui.Message) {
	res := handlers.Ask(ctx, b.reader, q, b.now())
	opts := slackui.Options{ReportURL: b.cfg.ReportURL, DocsURL: b.cfg.DocsURL, Ephemeral: ephemeral,
		Now: res.Now}
	if b.mentions != nil {
		opts.Resolve = func(owners []string) map[string]string { return b.mentions.Mentions(ctx, owners) }
	}
	msg := slackui.Answer(res, opts)
	b.observe(ctx, res)
	return res, msg
}

// topicOf is what a posted answer is about, for bot_messages: its node's unique_id when it is about one.
func topicOf(res handlers.Result, msg slackui.Message) messageTopic {
	t := messageTopic{Intent: res.Intent, Node: res.Question.Node, Lang: string(res.Lang)}
	if msg.Subject != "" {
		t.Node = msg.Subject
	}
	return t
}

func responseType(public bool) string {
	if public {
		return slack.ResponseTypeInChannel
	}
	return slack.ResponseTypeEphemeral
}

// slashJob answers a slash command through its response_url: ephemeral unless the question says public.
func (b *Bot) slashJob(cmd slack.SlashCommand) job {
	if cmd.Command != "" && cmd.Command != b.cfg.Command {
		b.log.Warn("bot: unknown slash command", "command", cmd.Command)
	}
	respond := func(ctx context.Context, public bool, msg slackui.Message) {
		rm := ResponseMessage{ResponseType: responseType(public), Text: msg.Text, Blocks: msg.Blocks}
		if public {
			rm.Channel = cmd.ChannelID
		}
		err := b.post.PostResponse(ctx, cmd.ResponseURL, rm)
		if err != nil && invalidBlocks(err) && hasChart(rm.Blocks) { // the words under the chart still say it
			rm.Blocks = withoutCharts(rm.Blocks)
			err = b.post.PostResponse(ctx, cmd.ResponseURL, rm)
		}
		if err != nil {
			b.log.Error("slack: slash command response", "channel", cmd.ChannelID, "user", cmd.UserID, "err", err)
		}
	}
	return job{kind: "slash_command",
		run: func(ctx context.Context) {
			q := handlers.Parse(cmd.Text)
			q.Lang = b.lang(ctx, q, cmd.UserID, cmd.ChannelID)
			q.Zone = b.zone(ctx, q, cmd.UserID)
			if msg, ok := b.command(ctx, q, cmd.UserID, cmd.ChannelID); ok {
				respond(ctx, q.Public, msg)
				return
			}
			_, msg := b.answer(ctx, q, !q.Public)
			respond(ctx, q.Public, msg)
		},
		busy: func(ctx context.Context) {
			q := handlers.Parse(cmd.Text)
			respond(ctx, false, slackui.Message{Text: busyText(q.Lang)})
		},
	}
}

// eventJob answers app_mention events and direct messages.
func (b *Bot) eventJob(ev slackevents.EventsAPIEvent) job {
	var m mention
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		m = mention{user: e.User, text: e.Text, ts: e.TimeStamp, threadTS: e.ThreadTimeStamp, channel: e.Channel,
			botID: e.BotID}
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab != "home" || b.home == nil || e.User == "" {
			return job{}
		}
		user := e.User
		return job{kind: "app_home", run: func(ctx context.Context) {
			if err := b.home.Publish(ctx, user, b.lang(ctx, handlers.Question{Command: true}, user, "")); err != nil {
				b.log.Error("slack: publish App Home", "user", user, "err", err)
			}
		}}
	case *slackevents.MessageEvent:
		if e.ChannelType != "im" || e.SubType != "" {
			return job{}
		}
		m = mention{user: e.User, text: e.Text, ts: e.TimeStamp, threadTS: e.ThreadTimeStamp, channel: e.Channel,
			botID: e.BotID}
	default:
		return job{}
	}
	me, _ := b.identity()
	if m.botID != "" || m.user == "" || m.user == me || m.channel == "" {
		return job{}
	}
	return job{kind: "mention",
		run: func(ctx context.Context) { b.answerMention(ctx, m) },
		busy: func(ctx context.Context) {
			q := handlers.Parse(reMention.ReplaceAllString(m.text, " "))
			b.reply(ctx, m.channel, m.replyTS(), slackui.Message{Text: busyText(q.Lang)}, nil)
		},
	}
}

// mention is a message addressed to the bot.
type mention struct {
	user, text, ts, threadTS, channel, botID string
}

func (m mention) replyTS() string {
	return cmp.Or(m.threadTS, m.ts)
}

// answerMention answers in the message's thread, taking the node from the thread when the question has none.
// Under an alert (edr monitor's, or Todai's incident notice), a question about the alert's node is about the run
// the alert reported first (handlers.Question.Alert).
func (b *Bot) answerMention(ctx context.Context, m mention) {
	text := strings.TrimSpace(reMention.ReplaceAllString(m.text, " "))
	q := handlers.Parse(text)
	inThread := m.threadTS != "" && m.threadTS != m.ts
	fromThread := needsNode(q) || text == ""
	if spec, _ := handlers.Spec(q.Intent); inThread && (fromThread || spec.AboutRun) {
		// A question naming its node reads the thread only when the alert heading it could be what it asks about.
		if subj := b.threadSubject(ctx, m.channel, m.threadTS); subj.node != "" {
			switch {
			case fromThread:
				if text == "" {
					q = handlers.Question{Intent: handlers.IntentStatus, Command: true, Limit: handlers.DefaultLimit}
					if subj.lang != "" {
						q.Lang = handlers.Lang(subj.lang)
					}
				}
				q.Node, q.Problem, q.Alert = subj.node, handlers.ProblemNone, subj.alert
				if q.Limit == 0 {
					q.Limit = handlers.DefaultLimit
				}
			case subj.alert != nil && q.Node != "" && b.firstResolved(ctx, []string{q.Node}) == subj.node:
				q.Alert = subj.alert // the alert's node, named
			}
		}
	}
	if text == "" && q.Node == "" {
		q = handlers.Question{Intent: handlers.IntentHelp, Command: true}
	}
	q.Lang = b.lang(ctx, q, m.user, m.channel)
	q.Zone = b.zone(ctx, q, m.user)
	if msg, ok := b.command(ctx, q, m.user, m.channel); ok {
		b.reply(ctx, m.channel, m.replyTS(), msg, nil)
		return
	}
	res, msg := b.answer(ctx, q, false)
	b.reply(ctx, m.channel, m.replyTS(), msg, &res)
}

// reply posts msg in channel's thread threadTS, with its chart (postMessage), and remembers what it was about.
func (b *Bot) reply(ctx context.Context, channel, threadTS string, msg slackui.Message, res *handlers.Result) {
	lang := b.cfg.DefaultLang
	if res != nil {
		lang = res.Lang
	}
	id, ts, err := b.postMessage(ctx, channel, threadTS, msg, lang)
	if err != nil {
		b.log.Error("slack: post answer", "channel", channel, "thread_ts", threadTS, "err", err)
		return
	}
	if res != nil && ts != "" {
		if err := b.st.remember(ctx, id, ts, topicOf(*res, msg), b.now()); err != nil {
			b.log.Warn("bot: remember message", "channel", channel, "ts", ts, "err", err)
		}
	}
}

// threadSubject is what a thread is about: its node ("" when it names none), the language of Todai's message
// heading it, and the alert heading it, if one does.
type threadSubject struct {
	node, lang string
	alert      *handlers.AlertAt
}

// threadSubject finds what a thread is about: Todai's own earlier answer, Todai's notice of one incident (the
// failure it opened for), an Elementary alert (the failure it reports: its *Time:*, else when it was posted), or a
// node named in the parent's text.
func (b *Bot) threadSubject(ctx context.Context, channel, threadTS string) threadSubject {
	if t, ok, err := b.st.topic(ctx, channel, threadTS); err != nil {
		b.log.Warn("bot: thread topic", "channel", channel, "ts", threadTS, "err", err)
	} else if ok && t.Node != "" {
		return threadSubject{node: t.Node, lang: t.Lang}
	}
	if subj, ok := b.incidentSubject(ctx, channel, threadTS); ok {
		return subj
	}
	msgs, _, _, err := b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
		ChannelID: channel, Timestamp: threadTS, Limit: 1, Inclusive: true})
	if err != nil {
		b.log.Error("slack: conversations.replies", "channel", channel, "ts", threadTS, "err", err)
		return threadSubject{}
	}
	if len(msgs) == 0 {
		return threadSubject{}
	}
	parent := msgs[0]
	if alert, ok := RecognizeAlert(alertMessageOf(parent)); ok {
		return b.alertSubject(ctx, alert, parent.Timestamp)
	}
	var cands []string
	for _, tok := range reNodeToken.FindAllString(reMention.ReplaceAllString(parent.Text, " "), 64) {
		if strings.ContainsAny(tok, "_.") && len(tok) >= 3 {
			cands = append(cands, tok)
		}
		if len(cands) == 8 {
			break
		}
	}
	return threadSubject{node: b.firstResolved(ctx, cands)}
}

// alertSubject is what a thread under edr monitor's alert is about: the node the alert names and the failure it
// reports (its *Time:*). An alert that names no node of its own kind (a test alert without a report link names only
// its table) or no time is found among the alerts edr monitor marked sent around when it was posted (alerts_v2):
// the one it is (AlertMatch), which names its node and when its failure was detected. Failing that, the time is
// when it was posted, and an alert whose node is not its own kind's is answered about now. A group's several
// failures are answered about now.
func (b *Bot) alertSubject(ctx context.Context, alert Alert, ts string) threadSubject {
	subj := threadSubject{node: b.firstResolved(ctx, alert.Candidates)}
	if alert.Kind == "group" || alert.Kind == "all" {
		return threadSubject{node: cmp.Or(subj.node, alert.Node())}
	}
	at, timed := alert.DetectedAt(b.teams.zones())
	series := alert.TestRunsID // a test's elementary_unique_id: its column and sub type
	posted, ok := tsTime(ts)
	if (subj.node == "" || !alertAbout(alert.Kind, subj.node) || !timed) && ok {
		if sent, found := b.sentAlertOf(ctx, alert, posted); found {
			subj.node = cmp.Or(sent.TestID, sent.NodeID)
			if !sent.DetectedAt.IsZero() {
				at, timed = sent.DetectedAt, true
			}
			if len(sent.UniqueIDs) > 0 {
				series = sent.UniqueIDs[0] // its data's elementary_unique_id, else its alert class
			}
		}
	}
	switch {
	case subj.node == "":
		return threadSubject{node: alert.Node()}
	case !alertAbout(alert.Kind, subj.node):
		return subj // a test alert read as its table's model: not this node's run
	case !timed && ok:
		at, timed = posted, true // posted after it was detected
	}
	if timed {
		subj.alert = &handlers.AlertAt{At: at, Failing: true}
		subj.alert.Column, subj.alert.SubType = queries.ResultSeries(series, subj.node)
	}
	return subj
}

// sentAlertOf finds the alert edr monitor sent that the message posted at posted is: among those marked sent from
// alertSearchAfter before it to alertSearchBefore after it (edr marks an alert sent after posting it, and a batch goes
// out at one a second), the one it matches whose sent_at is nearest.
func (b *Bot) sentAlertOf(ctx context.Context, alert Alert, posted time.Time) (queries.ElementaryAlert, bool) {
	if b.reader == nil {
		return queries.ElementaryAlert{}, false
	}
	sent, err := b.reader.SentAlerts(ctx, posted.Add(-alertSearchAfter), posted.Add(alertSearchBefore))
	if err != nil {
		b.log.Warn("bot: alerts edr monitor sent", "err", err)
		return queries.ElementaryAlert{}, false
	}
	best, found := queries.ElementaryAlert{}, false
	for _, e := range sent {
		if !matchOf(e).Matches(alert) {
			continue
		}
		if !found || e.SentAt.Sub(posted).Abs() < best.SentAt.Sub(posted).Abs() {
			best, found = e, true
		}
	}
	return best, found
}

// alertAbout says whether an alert of kind reports a run of the node uniqueID itself: a test alert a test's, a
// source alert a source's, a model or snapshot alert a model's, snapshot's or seed's.
func alertAbout(kind, uniqueID string) bool {
	family := idFamily(uniqueID)
	switch kind {
	case "test", "schema_change":
		return family == "test"
	case "source":
		return family == "source"
	case "model", "snapshot":
		return family == "node"
	}
	return false
}

// incidentSubject reads a thread headed by Todai's notice of one incident: its test or node, and the failure it
// opened for (when it was detected, else when it opened). ok is false for any other message, and for a notice of
// several incidents.
func (b *Bot) incidentSubject(ctx context.Context, channel, ts string) (threadSubject, bool) {
	if b.incidents == nil {
		return threadSubject{}, false
	}
	incs, err := b.incidents.ByMessage(ctx, channel, ts)
	if err != nil {
		b.log.Warn("bot: incidents of a thread", "channel", channel, "ts", ts, "err", err)
		return threadSubject{}, false
	}
	if len(incs) != 1 {
		return threadSubject{}, false
	}
	inc := incs[0]
	at := inc.DetectedAt
	if at.IsZero() {
		at = inc.OpenedAt
	}
	alert := &handlers.AlertAt{At: at, Failing: true}
	alert.Column, alert.SubType = queries.ResultSeries(inc.Key, inc.TestID) // a test's key is its elementary_unique_id
	return threadSubject{node: cmp.Or(inc.TestID, inc.NodeID), alert: alert}, true
}

// firstResolved returns the unique_id of the first candidate naming exactly one node, or "".
func (b *Bot) firstResolved(ctx context.Context, cands []string) string {
	if b.reader == nil {
		return ""
	}
	for _, c := range cands {
		if n, err := b.reader.Resolve(ctx, c); err == nil && n.UniqueID != "" {
			return n.UniqueID
		}
	}
	return ""
}

// actionJob answers Todai's buttons: share posts the question's answer in the channel; the others answer in the
// message's thread, or through the response_url for ephemeral messages.
func (b *Bot) actionJob(cb slack.InteractionCallback) job {
	if cb.Type == slack.InteractionTypeViewSubmission {
		return b.viewSubmissionJob(cb)
	}
	if cb.Type != slack.InteractionTypeBlockActions {
		return job{}
	}
	var act *slack.BlockAction
	for _, a := range cb.ActionCallback.BlockActions {
		if isIncidentAction(a.ActionID) {
			return b.incidentActionJob(cb, a)
		}
		switch {
		case a.ActionID == slackui.ActionShare, a.ActionID == slackui.ActionUpstream,
			a.ActionID == slackui.ActionOwner, strings.HasPrefix(a.ActionID, slackui.ActionSuggest):
			act = a
		}
		if act != nil {
			break
		}
	}
	if act == nil {
		return job{} // link buttons (report, docs) need nothing
	}
	channel := cmp.Or(cb.Container.ChannelID, cb.Channel.ID)
	ephemeral := cb.Container.IsEphemeral || cb.Message.Timestamp == ""
	threadTS := cmp.Or(cb.Container.ThreadTs, cb.Message.ThreadTimestamp, cb.Container.MessageTs)
	respond := func(ctx context.Context, public bool, msg slackui.Message) {
		rm := ResponseMessage{ResponseType: responseType(public), Text: msg.Text, Blocks: msg.Blocks}
		if public {
			rm.Channel = channel
		}
		if err := b.post.PostResponse(ctx, cb.ResponseURL, rm); err != nil {
			b.log.Error("slack: action response", "action", act.ActionID, "channel", channel, "err", err)
		}
	}
	return job{kind: "action:" + act.ActionID,
		run: func(ctx context.Context) {
			sa, err := slackui.ParseAction(act.Value)
			if err != nil {
				b.log.Warn("bot: bad button value", "action", act.ActionID, "user", cb.User.ID, "err", err)
				return
			}
			q := sa.Question()
			q.Lang = sa.Lang
			switch {
			case act.ActionID == slackui.ActionShare:
				_, msg := b.answer(ctx, q, false)
				respond(ctx, true, msg)
			case ephemeral || channel == "":
				_, msg := b.answer(ctx, q, true)
				respond(ctx, false, msg)
			default:
				res, msg := b.answer(ctx, q, false)
				b.reply(ctx, channel, threadTS, msg, &res)
			}
		},
		busy: func(ctx context.Context) { respond(ctx, false, slackui.Message{Text: busyText(handlers.LangEN)}) },
	}
}
