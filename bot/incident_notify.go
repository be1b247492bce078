package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// IncidentNotice is one notice of an incident at a level of its team's policy, as escalation decided it.
type IncidentNotice struct {
	Incident escalation.Incident
	escalation.NotifyLevel
}

// updater is the part of *Poster that edits a message in place.
type updater interface {
	Update(ctx context.Context, channel, ts string, opts ...slack.MsgOption) error
}

// PostIncidents posts the first notices of new incidents of one team (one dbt invocation) as one message in
// channel, with Acknowledge, Snooze and Show history buttons for each; it returns the message's channel and ts.
// At most maxIncidentsPerMessage incidents fit: callers post the rest in another message.
func (b *Bot) PostIncidents(ctx context.Context, channel string, notices []IncidentNotice) (string, string, error) {
	return b.postIncidents(ctx, b.diagnoser(), channel, "", notices)
}

// PostIncidentsInThread posts the first notices of new incidents as a reply in the thread of threadTS, edr
// monitor's alert for the same problem (found with FindAlertMessage), rather than as a second top-level alert: the
// same incident lines and buttons as PostIncidents under a header saying Todai tracks the alert above and will
// escalate it by the team's policy until someone acknowledges it. It returns the reply's channel ID and ts; the
// incidents' later notices go in the same thread (escalation.Incident.ThreadTS = threadTS).
func (b *Bot) PostIncidentsInThread(ctx context.Context, channel, threadTS string, notices []IncidentNotice) (channelID, ts string, err error) {
	if threadTS == "" {
		return "", "", errors.New("post incidents in thread: no thread")
	}
	return b.postIncidents(ctx, b.diagnoser(), channel, threadTS, notices)
}

// diagnoser is what names an incident's cause: the diagnosis core of the read model.
type diagnoser interface {
	Diagnose(ctx context.Context, subject string) (queries.Diagnosis, error)
}

// diagnoser is the bot's read model as a diagnoser; nil when it has none.
func (b *Bot) diagnoser() diagnoser {
	if b.reader == nil {
		return nil
	}
	return b.reader
}

// postIncidents posts a grouped first notice, top level when threadTS is "", else as a reply under it, naming the
// causes diag finds.
func (b *Bot) postIncidents(ctx context.Context, diag diagnoser, channel, threadTS string, notices []IncidentNotice) (string, string, error) {
	if len(notices) == 0 {
		return "", "", errors.New("post incidents: none")
	}
	if channel == "" {
		return "", "", fmt.Errorf("post incidents of team %s: no channel", notices[0].Incident.Team)
	}
	if len(notices) > maxIncidentsPerMessage {
		notices = notices[:maxIncidentsPerMessage]
	}
	incs := make([]escalation.Incident, len(notices))
	for i, n := range notices {
		incs[i] = n.Incident
	}
	msg := b.incidentMessage(ctx, diag, incs, notices, threadTS != "")
	channel = strings.TrimPrefix(channel, "#")
	id, ts, err := b.postMessage(ctx, channel, threadTS, msg, b.incidentLang(incs[0]))
	if err != nil {
		if threadTS != "" {
			return "", "", fmt.Errorf("post incidents of team %s under %s: %w", notices[0].Incident.Team, threadTS, err)
		}
		return "", "", fmt.Errorf("post incidents of team %s: %w", notices[0].Incident.Team, err)
	}
	return id, ts, nil // the channel's ID, which chat.update needs later
}

// PostEscalation posts a later notice (a higher level or a new loop) in the incident's thread (ThreadTS when its
// first notice replied under Elementary's alert, else the thread of TS), mentioning the level's targets.
func (b *Bot) PostEscalation(ctx context.Context, n IncidentNotice) error {
	inc := n.Incident
	if inc.Message.Channel == "" || inc.Message.TS == "" {
		return fmt.Errorf("escalate incident %d: no message to reply to", inc.ID)
	}
	msg := slackui.EscalationMessage(inc, n.Level, n.Loop, b.targetMentions(ctx, inc, n.Targets), b.incidentLang(inc))
	_, _, err := b.post.PostMessage(ctx, inc.Message.Channel, slack.MsgOptionText(msg.Text, false),
		slack.MsgOptionBlocks(msg.Blocks...), slack.MsgOptionTS(incidentThread(inc)))
	if err != nil {
		return fmt.Errorf("escalate incident %d: %w", inc.ID, err)
	}
	return nil
}

// UpdateIncidentMessage rewrites a grouped incident message in place (chat.update) with its incidents' current
// states. For incidents whose first notice replied under Elementary's alert (ThreadTS set), (channel, ts) is that
// reply, Todai's own message, and it keeps its threaded header.
func (b *Bot) UpdateIncidentMessage(ctx context.Context, channel, ts string, incs []escalation.Incident) error {
	return b.updateIncidentMessage(ctx, b.diagnoser(), channel, ts, incs)
}

// updateIncidentMessage is UpdateIncidentMessage naming the causes diag finds.
func (b *Bot) updateIncidentMessage(ctx context.Context, diag diagnoser, channel, ts string, incs []escalation.Incident) error {
	up, ok := b.post.(updater)
	if !ok {
		return errors.New("update incident message: the poster cannot update messages")
	}
	if len(incs) == 0 {
		return nil
	}
	inThread := false
	for _, inc := range incs {
		inThread = inThread || inc.Message.ThreadTS != ""
	}
	msg := b.incidentMessage(ctx, diag, incs, nil, inThread)
	err := up.Update(ctx, channel, ts, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...))
	if err != nil && invalidBlocks(err) && hasChart(msg.Blocks) { // its words still say what the chart showed
		err = up.Update(ctx, channel, ts, slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(withoutCharts(msg.Blocks)...))
	}
	if err != nil {
		return fmt.Errorf("update incident message %s/%s: %w", channel, ts, err)
	}
	return nil
}

// ReplyResolved says in the incident's thread (ThreadTS, else TS's) that it resolved, and which run cleared it.
func (b *Bot) ReplyResolved(ctx context.Context, inc escalation.Incident) error {
	if inc.Message.Channel == "" || inc.Message.TS == "" {
		return fmt.Errorf("resolve incident %d: no message to reply to", inc.ID)
	}
	text := slackui.ResolvedText(inc, b.clearingJob(ctx, inc), b.incidentLang(inc))
	if _, _, err := b.post.PostMessage(ctx, inc.Message.Channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(incidentThread(inc))); err != nil {
		return fmt.Errorf("resolve incident %d: %w", inc.ID, err)
	}
	return nil
}

// clearingJob is the dbt job of the invocation that cleared inc, when the mirror still says so ("" otherwise).
func (b *Bot) clearingJob(ctx context.Context, inc escalation.Incident) string {
	subject := cmp.Or(inc.TestID, inc.NodeID)
	if b.reader == nil || inc.ClearedBy == "" || subject == "" {
		return ""
	}
	latest, err := b.reader.LatestResults(ctx, []string{subject})
	if err != nil {
		b.log.Debug("bot: the run that cleared an incident", "incident", inc.ID, "err", err)
		return ""
	}
	if r := latest[subject]; r.InvocationID == inc.ClearedBy {
		return r.JobName
	}
	return ""
}

// incidentMessage renders a grouped incident message: for each incident, its owners (mentioned when its notice
// pings them), its level's other targets, its cause (the diagnosis' Explanation, with its confidence — the root it
// is grouped under, when it has one — else escalation's inhibiting cause) and what to do next, edr monitor's alert it
// follows and its blast radius; notices (parallel to incs, may be nil) are what this sweep sends.
func (b *Bot) incidentMessage(ctx context.Context, diag diagnoser, incs []escalation.Incident, notices []IncidentNotice, inThread bool) slackui.Message {
	l := b.incidentLang(incs[0])
	lines := make([]slackui.IncidentLine, len(incs))
	for i, inc := range incs {
		var n IncidentNotice
		if i < len(notices) {
			n = notices[i]
		}
		x := slackui.IncidentLine{Incident: inc, AlertID: cmp.Or(n.LinkElementaryAlert, inc.ElementaryAlertID),
			Owners:   b.ownersText(ctx, inc.Owners, n.Mention && hasTarget(n.Targets, escalation.TargetOwners)),
			Children: b.blastRadius(ctx, inc)}
		if who := b.targetMentions(ctx, inc, withoutOwners(n.Targets)); n.Mention {
			x.Mentions = who
		}
		if inc.Status != escalation.StatusResolved {
			x.Computed, x.History = b.incidentUrgency(ctx, inc, l)
			x.Runbook = b.runbook(ctx, inc)
			x.Chart = b.incidentChart(ctx, inc, l)
			if x.Cause, x.Next = b.incidentDiagnosis(ctx, diag, inc, l); x.Cause == "" {
				if cause := cmp.Or(n.causedBy(), inc.InhibitedBy); cause != "" {
					x.Cause = slackui.ProbablyCausedBy(l, cause)
				}
			}
		}
		lines[i] = x
	}
	return slackui.IncidentMessage(l, lines, inThread)
}

// incidentUrgency is what an incident's urgency says in its notice: the severity Todai computes when nobody set one
// (its node's urgency's two axes, escalation.PriorityOf), and how the incidents of its test (or node) ended lately
// when people dismissed them often or its fix did not hold ("" for nothing to say). Both are empty when the urgency
// cannot be read.
func (b *Bot) incidentUrgency(ctx context.Context, inc escalation.Incident, l handlers.Lang) (escalation.Priority, string) {
	if b.reader == nil {
		return "", ""
	}
	u, err := b.reader.Urgency(ctx, inc.NodeID)
	if err != nil {
		b.log.Debug("bot: urgency of an incident", "incident", inc.ID, "err", err)
		return "", ""
	}
	var computed escalation.Priority
	if inc.Priority == "" {
		computed = escalation.PriorityOf(u.Likelihood, u.Impact)
	}
	subject, history := cmp.Or(inc.TestID, inc.NodeID), ""
	for _, h := range u.History {
		if h.UniqueID == subject {
			history = slackui.Escape(handlers.NewPrinter(l, b.now(), slackui.Date).IncidentHistory(h))
		}
	}
	return computed, history
}

// runbook is the playbook of an incident's test (else node), "" for none or when it cannot be read.
func (b *Bot) runbook(ctx context.Context, inc escalation.Incident) string {
	if b.reader == nil {
		return ""
	}
	link, err := b.reader.Runbook(ctx, cmp.Or(inc.TestID, inc.NodeID))
	if err != nil {
		b.log.Debug("bot: runbook of an incident", "incident", inc.ID, "err", err)
	}
	return link
}

// incidentChart is the chart of an anomaly test's incident in l (nil for anything else, or when it cannot be read).
func (b *Bot) incidentChart(ctx context.Context, inc escalation.Incident, l handlers.Lang) *handlers.Chart {
	if b.reader == nil || inc.TestID == "" {
		return nil
	}
	c, err := b.reader.TestChart(ctx, inc.TestID)
	if err != nil {
		b.log.Warn("bot: chart of an incident", "incident", inc.ID, "err", err)
		return nil
	}
	return handlers.NewPrinter(l, b.now(), slackui.Date).ChartBlock(c)
}

// blastRadius returns the incidents grouped under inc (nil when it has none or they cannot be read).
func (b *Bot) blastRadius(ctx context.Context, inc escalation.Incident) []escalation.Incident {
	if b.incidents == nil {
		return nil
	}
	children, err := b.incidents.ByParent(ctx, inc.ID)
	if err != nil {
		b.log.Warn("bot: incidents grouped under an incident", "incident", inc.ID, "err", err)
		return nil
	}
	return children
}

// ownersText renders owners, as mentions when ping is set and the mentioner resolves them.
func (b *Bot) ownersText(ctx context.Context, owners []string, ping bool) string {
	if len(owners) == 0 {
		return ""
	}
	var m map[string]string
	if ping && b.mentions != nil {
		m = b.mentions.Mentions(ctx, owners)
	}
	parts := make([]string, 0, len(owners))
	for _, o := range owners {
		if v, ok := m[o]; ok && (strings.HasPrefix(v, "<@") || strings.HasPrefix(v, "<!subteam^")) {
			parts = append(parts, v)
		} else {
			parts = append(parts, slackui.Escape(o))
		}
	}
	return strings.Join(parts, ", ")
}

// targetMentions renders a level's targets as mentions: owners resolved, user groups and users by ID.
func (b *Bot) targetMentions(ctx context.Context, inc escalation.Incident, targets []escalation.Target) string {
	var parts []string
	for _, t := range targets {
		switch t.Kind {
		case escalation.TargetOwners:
			if s := b.ownersText(ctx, inc.Owners, true); s != "" {
				parts = append(parts, s)
			}
		case escalation.TargetUserGroup:
			if validGroupID(t.ID) {
				parts = append(parts, "<!subteam^"+t.ID+">")
			}
		case escalation.TargetUser:
			if slackui.ValidUserID(t.ID) {
				parts = append(parts, "<@"+t.ID+">")
			}
		}
	}
	return strings.Join(parts, " ")
}

// incidentThread is the thread an incident's later notices go in: ThreadTS when its first notice replied under
// Elementary's alert, else its own message's.
func incidentThread(inc escalation.Incident) string {
	return cmp.Or(inc.Message.ThreadTS, inc.Message.TS)
}

func validGroupID(s string) bool {
	return len(s) >= 3 && s[0] == 'S' && slackui.ValidUserID("U"+s[1:])
}

func hasTarget(ts []escalation.Target, kind escalation.TargetKind) bool {
	for _, t := range ts {
		if t.Kind == kind {
			return true
		}
	}
	return false
}

func withoutOwners(ts []escalation.Target) []escalation.Target {
	var out []escalation.Target
	for _, t := range ts {
		if t.Kind != escalation.TargetOwners {
			out = append(out, t)
		}
	}
	return out
}

// incidentDiagnosis is what the diagnosis core says of an open incident: its Explanation (the first cause that is
// not the incident's own failure: the root it is grouped under, the SQL change before an error, a stale source, a
// job that did not run), with its confidence, and what to do next (whom to ask, which command); escaped lines, ""
// for what it does not say or when it cannot be read.
func (b *Bot) incidentDiagnosis(ctx context.Context, diag diagnoser, inc escalation.Incident, l handlers.Lang) (cause, next string) {
	subject := cmp.Or(inc.TestID, inc.NodeID)
	if diag == nil || subject == "" {
		return "", ""
	}
	d, err := diag.Diagnose(ctx, subject)
	if err != nil {
		b.log.Debug("bot: diagnosis of an incident", "incident", inc.ID, "node", subject, "err", err)
		return "", ""
	}
	if c, ok := d.Explanation(); ok {
		cause = slackui.CauseLine(l, c)
	}
	return cause, slackui.NextLine(l, d.Next)
}

// causedBy is the upstream node escalation's inhibition names ("" when none).
func (n IncidentNotice) causedBy() string {
	if n.ProbablyCausedBy == nil {
		return ""
	}
	return n.ProbablyCausedBy.Node
}
