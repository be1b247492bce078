package bot

import (
	"context"
	"fmt"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// incidentMirror is what a sweep's notices read of the mirror (the sweep's snapshot of *queries.Reader): edr
// monitor's alert behind an incident, and the diagnosis that names its cause.
type incidentMirror interface {
	ElementaryAlert(ctx context.Context, alertID, nodeID, testID string) (queries.ElementaryAlert, bool, error)
	diagnoser
}

// incidentNotifier is escalation.Notifier over the bot for one sweep: the first notices of a team's incidents from
// one dbt invocation go out as one message, except those edr monitor already alerted on, which reply under its
// alert; later notices reply in the incident's thread.
type incidentNotifier struct {
	b      *Bot
	desk   IncidentDesk
	mirror incidentMirror
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

// IncidentNotifier returns the notifier of one escalation sweep's decisions: it posts through the bot's Poster,
// reads the incidents of a message from desk, and edr monitor's alerts and the causes from mirror, the sweep's
// snapshot of the read model (so a notice names the cause the sweep grouped by).
func (b *Bot) IncidentNotifier(desk IncidentDesk, mirror incidentMirror, ds []escalation.Decision) escalation.Notifier {
	n := &incidentNotifier{b: b, desk: desk, mirror: mirror,
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

// teamChannel is the configured channel of an incident's team ("" when the team has none).
func (b *Bot) teamChannel(team string) string {
	t, _ := b.teams.Named(team)
	return t.Channel
}

// delivery marks a Slack error that proves the post never reached Slack, so that Execute gives the send back.
func delivery(err error) error {
	if NotPosted(err) {
		return fmt.Errorf("%w: %w", escalation.ErrNotDelivered, err)
	}
	return err
}

// Notify posts a first notice under edr monitor's alert when it has one, else in its group's message (with the
// group's other incidents that have none); later notices reply in the incident's thread.
func (n *incidentNotifier) Notify(ctx context.Context, inc escalation.Incident, nl escalation.NotifyLevel) (escalation.Delivery, error) {
	channel := n.b.teamChannel(inc.Team)
	if !nl.First {
		if inc.Message.TS == "" {
			// The first notice never reached Slack (its send was claimed, then the post failed): with no thread to
			// reply in, this notice opens the incident's message, buttons and all, so it is not lost as well.
			ch, ts, err := n.b.postIncidents(ctx, n.mirror, channel, "", []IncidentNotice{{inc, nl}})
			if err != nil {
				return escalation.Delivery{}, delivery(err)
			}
			return escalation.Delivery{Message: escalation.MessageRef{Channel: ch, TS: ts}}, nil
		}
		return escalation.Delivery{}, delivery(n.b.PostEscalation(ctx, IncidentNotice{inc, nl}))
	}
	k := groupKey(inc)
	n.findAlertThreads(ctx, k)
	if th, ok := n.threads[inc.ID]; ok {
		ch, ts, err := n.b.postIncidents(ctx, n.mirror, th.channel, th.ts, []IncidentNotice{{inc, nl}})
		if err == nil {
			n.posted[inc.ID] = true
			return escalation.Delivery{Message: escalation.MessageRef{Channel: ch, TS: ts, ThreadTS: th.ts}}, nil
		}
		if !NotPosted(err) {
			return escalation.Delivery{}, err // the reply may have been posted: never a second notice
		}
		n.b.log.WarnContext(ctx, "escalation: reply under edr monitor's alert failed; posting Todai's own message",
			"incident", inc.ID, "channel", th.channel, "ts", th.ts, "err", err)
		delete(n.threads, inc.ID)
	}
	if err := n.failed[k]; err != nil {
		return escalation.Delivery{}, err
	}
	// This incident leads: its message holds it and the group's incidents not posted yet and not replying under an
	// alert of edr monitor's (up to maxIncidentsPerMessage).
	notices := []IncidentNotice{{inc, nl}}
	ids := []int64{inc.ID}
	for _, d := range n.groups[k] {
		if len(notices) == maxIncidentsPerMessage {
			break
		}
		id := d.Incident.ID
		if _, linked := n.threads[id]; linked || n.posted[id] || id == inc.ID {
			continue
		}
		notices = append(notices, IncidentNotice{d.Incident, n.firsts[id]})
		ids = append(ids, id)
	}
	ch, ts, err := n.b.postIncidents(ctx, n.mirror, channel, "", notices)
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
	log := n.b.log
	for _, d := range n.groups[group] {
		inc, nl := d.Incident, n.firsts[d.Incident.ID]
		if nl.LinkElementaryAlert == "" {
			continue
		}
		alert, ok, err := n.mirror.ElementaryAlert(ctx, nl.LinkElementaryAlert, inc.NodeID, inc.TestID)
		if err != nil || !ok || alert.SentAt.IsZero() {
			if err != nil {
				log.WarnContext(ctx, "escalation: edr monitor's alert unreadable", "incident", inc.ID, "alert", nl.LinkElementaryAlert, "err", err)
			}
			continue
		}
		match := matchOf(alert)
		seen := map[string]bool{}
		for _, ch := range []string{alert.Channel, n.b.cfg.ElementaryChannel, n.b.teamChannel(inc.Team)} {
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
func (n *incidentNotifier) UpdateMessage(ctx context.Context, _ escalation.Incident, u escalation.UpdateMessage) error {
	if u.Message.TS == "" {
		return nil // not posted (a grouped incident whose root's notice has not gone out): nothing to rewrite
	}
	incs, err := n.desk.ByMessage(ctx, u.Message.Channel, u.Message.TS)
	if err != nil {
		return err
	}
	return n.b.updateIncidentMessage(ctx, n.mirror, u.Message.Channel, u.Message.TS, incs)
}

// ReplyInThread says in the incident's thread that it resolved.
func (n *incidentNotifier) ReplyInThread(ctx context.Context, inc escalation.Incident, _ escalation.ReplyInThread) error {
	if inc.Message.TS == "" {
		return nil // no notice reached Slack: there is no thread to say it in
	}
	return n.b.ReplyResolved(ctx, inc)
}
