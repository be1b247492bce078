package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
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
	j, ok := b.jobFor(req.EnvelopeID, evt.Data)
	if !ok {
		b.log.Warn("slack: unexpected envelope payload", "type", evt.Type, "envelope_id", req.EnvelopeID)
		return
	}
	if j.run == nil {
		return
	}
	j.env = envelope{Type: req.Type, Payload: req.Payload}
	j.received, j.ack = received, acked
	key := j.key
	select {
	case b.jobs <- j:
	default:
		b.log.Warn("bot: queue full; answering busy", "kind", j.kind, "key", key)
		if j.busy == nil {
			return
		}
		select {
		case b.busy <- struct{}{}:
			go func() {
				defer func() { <-b.busy }()
				b.guard(j.kind, func() { j.busy(context.WithoutCancel(ctx)) })
			}()
		default:
			b.log.Error("bot: queue full and too many busy replies; dropped", "kind", j.kind, "key", key)
		}
	}
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

// runJob answers one envelope once across the processes sharing the state: a redelivered key, or one another
// process is answering, is skipped; the claim is renewed while the answer is made, and the envelope marked answered
// after (unless shutdown cut the answer short, which leaves it for another process). A panic is logged, not fatal.
func (b *Bot) runJob(ctx context.Context, j job) {
	b.guard(j.kind, func() {
		mine, err := b.st.claimAnswer(ctx, j.key, j.env, b.holder, b.now())
		if err != nil {
			// Answering twice is better than not answering: go on.
			b.log.Error("bot: dedupe", "key", j.key, "err", err)
		} else if !mine {
			b.log.Info("bot: duplicate delivery skipped", "key", j.key, "kind", j.kind)
			return
		}
		if err == nil {
			stop := statedb.KeepRenewing(ctx, answerClaimTTL/3, func(ctx context.Context) error {
				return b.st.renewAnswer(ctx, j.key, b.holder, b.now())
			}, func(err error) { b.log.Error("bot: journal", "key", j.key, "err", err) })
			defer func() {
				stop()
				if ctx.Err() != nil {
					return
				}
				if err := b.st.answered(context.WithoutCancel(ctx), j.key, b.now()); err != nil {
					b.log.Error("bot: journal", "key", j.key, "err", err)
				}
			}()
		}
		j.run(withTiming(ctx, timing{received: j.received, ack: j.ack}))
	})
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
				b.log.Error("bot: journal: cannot answer an envelope left unanswered", "key", o.Key, "err", err)
				continue
			}
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
