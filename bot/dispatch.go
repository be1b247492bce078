package bot

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/todai-dev/todai/handlers"
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
	key := "env:" + req.EnvelopeID
	var j job
	switch data := evt.Data.(type) {
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
		b.log.Warn("slack: unexpected envelope payload", "type", evt.Type, "envelope_id", req.EnvelopeID)
		return
	}
	if j.run == nil {
		return
	}
	j.key, j.received, j.ack = key, received, acked
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

// runJob answers one envelope once: a redelivered key is skipped; a panic is logged, not fatal.
func (b *Bot) runJob(ctx context.Context, j job) {
	b.guard(j.kind, func() {
		first, err := b.st.firstSeen(ctx, j.key, b.now())
		if err != nil {
			// Answering twice is better than not answering: go on.
			b.log.Error("bot: dedupe", "key", j.key, "err", err)
		} else if !first {
			b.log.Info("bot: duplicate delivery skipped", "key", j.key, "kind", j.kind)
			return
		}
		j.run(withTiming(ctx, timing{received: j.received, ack: j.ack}))
	})
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
