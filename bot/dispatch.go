package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries/statedb"
)

// readEvents is the only reader of sm.Events. It acks each envelope at once and hands the work to the pool; it
// never waits on I/O other than the ack.
func (b *Bot) readEvents(ctx context.Context, sm *socketmode.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt := <-sm.Events:
			b.dispatch(ctx, sm, evt)
		}
	}
}

// dispatch acks evt (when it is an envelope) and queues its work.
func (b *Bot) dispatch(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
	case socketmode.EventTypeHello:
		b.connected.Store(true)
		b.log.Debug("slack: socket mode", "event", evt.Type)
		return
	case socketmode.EventTypeConnecting, socketmode.EventTypeDisconnect:
		b.connected.Store(false)
		b.log.Debug("slack: socket mode", "event", evt.Type)
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeErrorBadMessage,
		socketmode.EventTypeErrorWriteFailed, socketmode.EventTypeIncomingError:
		b.log.Warn("slack: socket mode", "event", evt.Type, "data", fmt.Sprint(evt.Data))
		return
	default:
		b.log.Debug("slack: socket mode", "event", evt.Type)
		return
	}
	if evt.Request == nil {
		return
	}
	req := evt.Request
	received := b.now()
	j, known := b.jobFor(req.EnvelopeID, evt.Data)
	mine := known && j.run != nil
	if mine {
		j.env = envelope{Type: req.Type, Payload: req.Payload}
		if b.st.shared() {
			// Journalled before the ack when replicas share the state: a replica killed after the ack leaves the
			// envelope for another to answer. A state file is one process's, and its writer may be busy with a
			// sync for seconds: there the worker journals it, after the ack.
			mine, j.journalled = b.journal(ctx, j, received)
			j.claimed = true
		}
	}
	var payload any
	if cb, ok := evt.Data.(slack.InteractionCallback); ok && cb.Type == slack.InteractionTypeViewSubmission {
		payload = b.viewSubmissionAck(cb) // validated while Slack waits, so that the form shows what is wrong
	}
	ackCtx, cancel := context.WithTimeout(ctx, ackTimeout)
	err := sm.AckCtx(ackCtx, req.EnvelopeID, payload)
	cancel()
	acked := b.now().Sub(received)
	if err != nil {
		b.log.Error("slack: ack", "envelope_id", req.EnvelopeID, "type", evt.Type, "err", err)
	}
	if !known {
		b.log.Warn("slack: unexpected envelope payload", "type", evt.Type, "envelope_id", req.EnvelopeID)
		return
	}
	if !mine {
		return
	}
	j.received, j.ack = received, acked
	key := j.key
	select {
	case b.jobs <- j:
	default:
		b.log.Warn("bot: queue full; answering busy", "kind", j.kind, "key", key)
		if j.busy == nil {
			b.letGo(ctx, j)
			return
		}
		select {
		case b.busy <- struct{}{}:
			b.busyReplies.Go(func() {
				defer func() { <-b.busy }()
				bg := context.WithoutCancel(ctx)
				b.guard(j.kind, func() { j.busy(b.whenDelivered(bg, j)) })
			})
		default:
			b.log.Error("bot: queue full and too many busy replies; left to the journal", "kind", j.kind, "key", key)
			b.letGo(ctx, j)
		}
	}
}

// letGo gives back the claim of an envelope this process will not answer (its queue is full), so that the next look
// for unanswered envelopes, here or in another replica, answers it.
func (b *Bot) letGo(ctx context.Context, j job) {
	if !j.journalled {
		return
	}
	if err := b.st.release(context.WithoutCancel(ctx), j.key, b.holder, b.now()); err != nil {
		b.log.Error("bot: journal", "key", j.key, "err", err)
	}
}

// journalTimeout bounds the journal's write before the ack, well inside Slack's 3 s.
const journalTimeout = time.Second

// journal claims j's answer in the journal. mine is false when the envelope is a redelivery of one claimed already;
// journalled is false when the journal could not be written (then the envelope is answered all the same: answering
// twice is better than not answering).
func (b *Bot) journal(ctx context.Context, j job, now time.Time) (mine, journalled bool) {
	ctx, cancel := context.WithTimeout(ctx, journalTimeout)
	defer cancel()
	mine, err := b.st.claimAnswer(ctx, j.key, j.env, b.holder, now)
	if err != nil {
		b.log.Error("bot: journal", "key", j.key, "err", err)
		return true, false
	}
	if !mine {
		b.log.Info("bot: duplicate delivery skipped", "key", j.key, "kind", j.kind)
	}
	return mine, true
}

// jobFor is the work an envelope's payload asks for (ok false for a payload of no known kind), keyed for the
// journal: an Events API event by its event_id (Slack's retries share it), anything else by its envelope.
func (b *Bot) jobFor(envelopeID string, data any) (j job, ok bool) {
	key := "env:" + envelopeID
	switch data := data.(type) {
	case slackevents.EventsAPIEvent:
		if cb, ok := data.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
			key = "ev:" + cb.EventID
		}
		j = b.eventJob(data)
	case slack.SlashCommand:
		j = b.slashJob(data)
	case slack.InteractionCallback:
		j = b.actionJob(data)
	default:
		return job{}, false
	}
	j.key = key
	return j, true
}

// runJob answers one envelope, claimed in the journal already (unless the journal failed; Run keeps renewing the claim)
// and marks it answered as soon as Slack has the answer's first message (see whenDelivered) or, for a job that posts
// nothing, when it ends — unless shutdown cut it short, which leaves it for another process. A panic is logged, not
// fatal.
func (b *Bot) runJob(ctx context.Context, j job) {
	b.guard(j.kind, func() {
		if !j.claimed {
			mine, journalled := b.journal(ctx, j, b.now())
			if !mine {
				return
			}
			j.claimed, j.journalled = true, journalled
		}
		ctx := b.whenDelivered(ctx, j)
		if j.journalled {
			// An answer's first write to the state (a click's effect) and the journal's mark commit together.
			ctx = statedb.OnFirstWrite(ctx, func(ctx context.Context, tx *statedb.Tx) error {
				return b.st.answeredTx(ctx, tx, j.key, b.holder, b.now())
			})
		}
		defer func() {
			if ctx.Err() == nil {
				delivered(ctx)
			}
		}()
		j.run(withTiming(ctx, timing{received: j.received, ack: j.ack}))
	})
}

// deliveredKey carries, in a job's context, what marks its envelope answered.
type deliveredKey struct{}

// whenDelivered returns ctx carrying j's mark: the Poster calls it (through delivered) after each message that
// reaches Slack, and it marks the envelope answered in the journal the first time — so that a process killed after
// answering leaves nothing for another to answer again, but for the moment between Slack's reply and that write.
func (b *Bot) whenDelivered(ctx context.Context, j job) context.Context {
	if !j.journalled {
		return ctx
	}
	mark := sync.OnceFunc(func() {
		if err := b.st.answered(context.WithoutCancel(ctx), j.key, b.holder, b.now()); err != nil {
			b.log.Error("bot: journal", "key", j.key, "err", err)
		}
	})
	return context.WithValue(ctx, deliveredKey{}, mark)
}

// delivered marks ctx's envelope answered, when ctx is a job's (whenDelivered).
func delivered(ctx context.Context) {
	if mark, ok := ctx.Value(deliveredKey{}).(func()); ok {
		mark()
	}
}

// orphanEvery is how often a process looks for envelopes another process acked and died before answering.
const orphanEvery = 5 * time.Second

// orphanLoop answers, every orphanEvery, the envelopes whose answering process died (their claim expired): a
// replica killed mid-answer loses no question, button or form.
func (b *Bot) orphanLoop(ctx context.Context) {
	t := time.NewTicker(orphanEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		orphans, err := b.st.orphans(ctx, b.now(), 20)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("bot: journal", "err", err)
			}
			continue
		}
		for _, o := range orphans {
			j, err := b.replay(o)
			if err != nil {
				// Nothing can answer it: marked answered, so that no process tries again every 5 s.
				b.log.Error("bot: journal: cannot answer an envelope left unanswered; given up", "key", o.Key, "err", err)
				j = job{key: o.Key, env: o.envelope}
				if mine, journalled := b.journal(ctx, j, b.now()); mine && journalled {
					if err := b.st.answered(ctx, o.Key, b.holder, b.now()); err != nil {
						b.log.Error("bot: journal", "key", o.Key, "err", err)
					}
				}
				continue
			}
			if mine, journalled := b.journal(ctx, j, b.now()); !mine || !journalled {
				continue // another process took it first, or the journal is unreachable: the next look tries again
			}
			j.claimed, j.journalled = true, true
			b.log.Info("bot: answering an envelope another process left unanswered", "key", o.Key, "kind", j.kind)
			b.runJob(ctx, j)
		}
	}
}

// replay rebuilds the job of an envelope from its journal entry, parsing its payload as slack-go's Socket Mode
// client does.
func (b *Bot) replay(o orphan) (job, error) {
	var data any
	switch o.Type {
	case socketmode.RequestTypeEventsAPI:
		ev, err := slackevents.ParseEvent(o.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			return job{}, fmt.Errorf("parse event: %w", err)
		}
		data = ev
	case socketmode.RequestTypeSlashCommands:
		var cmd slack.SlashCommand
		if err := json.Unmarshal(o.Payload, &cmd); err != nil {
			return job{}, fmt.Errorf("parse slash command: %w", err)
		}
		data = cmd
	case socketmode.RequestTypeInteractive:
		var cb slack.InteractionCallback
		if err := json.Unmarshal(o.Payload, &cb); err != nil {
			return job{}, fmt.Errorf("parse interaction: %w", err)
		}
		data = cb
	default:
		return job{}, fmt.Errorf("envelope type %q", o.Type)
	}
	j, ok := b.jobFor("", data)
	if !ok || j.run == nil {
		return job{}, fmt.Errorf("nothing to do for a %s envelope", o.Type)
	}
	j.key, j.env, j.received = o.Key, o.envelope, b.now()
	return j, nil
}

// timing is when a job's envelope arrived and how long its ack took, carried to where the answer is made.
type timing struct {
	received time.Time
	ack      time.Duration
}

type timingKey struct{}

func withTiming(ctx context.Context, t timing) context.Context {
	return context.WithValue(ctx, timingKey{}, t)
}

// observe tells the observer about one answered question.
func (b *Bot) observe(ctx context.Context, res handlers.Result) {
	if b.observer == nil {
		return
	}
	t, _ := ctx.Value(timingKey{}).(timing)
	var answered time.Duration
	if !t.received.IsZero() {
		answered = b.now().Sub(t.received)
	}
	outcome := "answered"
	if res.Err != nil {
		outcome = string(res.Err.Code)
	}
	b.observer.ObserveQuestion(res.Intent, outcome, t.ack, answered)
}

// guard runs f, recovering and logging a panic.
func (b *Bot) guard(kind string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("bot: panic answering", "kind", kind, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	f()
}

// busyText is the short answer when the queue is full.
func busyText(l handlers.Lang) string {
	if l == handlers.LangJA {
		return "Todai は混み合っています。少ししてからもう一度お試しください。"
	}
	return "Todai is busy right now. Please try again in a moment."
}
