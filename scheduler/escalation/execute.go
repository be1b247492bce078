package escalation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// ErrNotDelivered marks a notifier's error after which the notice certainly did not reach Slack (Slack answered
// with an error or a rate limit, or nothing was sent at all): Execute gives the send back so that the next sweep
// tries again. Any other error may hide a message that was posted, so its send stays claimed (at most once).
var ErrNotDelivered = errors.New("not delivered")

// MaxSendAttempts is how many times one notice is tried when Slack refuses it; after that its send stays claimed
// and the incident waits for its next level.
const MaxSendAttempts = 5

// Delivery says where a notice went.
type Delivery struct {
	// Message is the message of a first notice (zero for a reply in the thread).
	Message MessageRef
	// With are the other incidents whose first notices the same message carried (a grouped first message).
	With []int64
}

// Notifier delivers the sends of Decide's actions (the Slack poster implements it).
type Notifier interface {
	// Notify posts a notice: the first one in the team's message (or under edr monitor's alert), later ones in the
	// incident's thread. It returns where the first notice went and which other first notices went with it.
	Notify(ctx context.Context, inc Incident, n NotifyLevel) (Delivery, error)
	// UpdateMessage rewrites the incident's message in place with its current state (resolved, snoozed …).
	UpdateMessage(ctx context.Context, inc Incident, u UpdateMessage) error
	// ReplyInThread says in the incident's thread that it resolved.
	ReplyInThread(ctx context.Context, inc Incident, r ReplyInThread) error
}

// Execute performs the decisions of a sweep: marks are recorded, and each send is claimed before it goes out, so
// that no (incident, level, loop) is ever sent twice, even by two processes or across a restart. The first notices
// of the sweep are claimed together, before notifierFor builds the notifier from the decisions that remain: a
// grouped first message never carries an incident somebody else already announced, and a crash after it was posted
// cannot post those incidents again. A notice Slack refused (ErrNotDelivered) is given back and tried again at the
// next sweep, up to MaxSendAttempts. Messages whose incidents changed marks (snoozed, silenced, inhibited, or no
// longer) are rewritten once at the end. An incident's failure is logged and the others go on; errors are joined.
func (e Engine) Execute(ctx context.Context, decisions []Decision, notifierFor func([]Decision) Notifier, now time.Time, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	// Marks first (they are what the messages show), then the first notices' claims, then the sends.
	var errs []error
	failed := map[int64]bool{}
	for _, d := range decisions {
		for _, act := range d.Actions {
			if isMark(act) {
				if err := e.Store.Apply(ctx, d.Incident.ID, act, now); err != nil {
					log.ErrorContext(ctx, "escalation: incident action failed", "incident", d.Incident.ID, "key", d.Incident.Key, "err", err)
					errs = append(errs, err)
					failed[d.Incident.ID] = true
					break
				}
			}
		}
	}
	decisions = slices.DeleteFunc(slices.Clone(decisions), func(d Decision) bool { return failed[d.Incident.ID] })
	decisions, err := e.claimFirstNotices(ctx, decisions, now)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	x := &execution{store: e.Store, n: notifierFor(decisions), now: now, delivered: map[int64]bool{},
		refresh: map[MessageRef]Incident{}}
	for _, d := range decisions {
		if err := x.decision(ctx, d); err != nil {
			log.ErrorContext(ctx, "escalation: incident action failed", "incident", d.Incident.ID, "key", d.Incident.Key, "err", err)
			errs = append(errs, err)
		}
	}
	for _, ref := range x.refreshOrder {
		inc := x.refresh[ref]
		if err := x.n.UpdateMessage(ctx, inc, UpdateMessage{Message: ref}); err != nil {
			log.WarnContext(ctx, "escalation: message not rewritten", "incident", inc.ID, "channel", ref.Channel, "ts", ref.TS, "err", err)
		}
	}
	return errors.Join(errs...)
}

// claimFirstNotices claims every first notice of decisions in one transaction and returns the decisions with those
// claimed marked, and those already claimed elsewhere dropped.
func (e Engine) claimFirstNotices(ctx context.Context, decisions []Decision, now time.Time) ([]Decision, error) {
	var keys []SendKey
	for _, d := range decisions {
		for _, act := range d.Actions {
			if a, ok := act.(NotifyLevel); ok && a.First {
				keys = append(keys, a.Key)
			}
		}
	}
	if len(keys) == 0 {
		return decisions, nil
	}
	claimed, err := e.Store.ClaimSends(ctx, keys, now)
	if err != nil {
		return nil, err
	}
	out := make([]Decision, 0, len(decisions))
	for _, d := range decisions {
		acts := make([]Action, 0, len(d.Actions))
		for _, act := range d.Actions {
			if a, ok := act.(NotifyLevel); ok && a.First {
				if !claimed[a.Key] {
					continue // announced by somebody else
				}
				a.claimed = true
				act = a
			}
			acts = append(acts, act)
		}
		if len(acts) > 0 {
			out = append(out, Decision{Incident: d.Incident, Actions: acts})
		}
	}
	return out, nil
}

// isMark reports whether act is a marking action (recorded with Store.Apply).
func isMark(act Action) bool {
	switch act.(type) {
	case MarkSilenced, ClearSilence, MarkInhibited, ClearInhibition, MarkGrouped, ClearGrouping:
		return true
	}
	return false
}

// execution is one Execute call's state.
type execution struct {
	store IncidentStore
	n     Notifier
	now   time.Time
	// delivered are the incidents whose first notice went out in another incident's grouped message.
	delivered map[int64]bool
	// refresh holds, per message, an incident of it whose marks changed; refreshOrder keeps them in order.
	refresh      map[MessageRef]Incident
	refreshOrder []MessageRef
}

// claim claims one send (IncidentStore.ClaimSends): false when it was claimed before.
func (x *execution) claim(ctx context.Context, key SendKey) (bool, error) {
	claimed, err := x.store.ClaimSends(ctx, []SendKey{key}, x.now)
	return claimed[key], err
}

func (x *execution) decision(ctx context.Context, d Decision) error {
	inc := d.Incident
	// The resolution's update and thread reply share one send: claimed once, by whichever comes first.
	resolveClaimed := false
	claimResolution := func(key SendKey) (bool, error) {
		if resolveClaimed {
			return true, nil
		}
		ok, err := x.claim(ctx, key)
		resolveClaimed = ok && err == nil
		return ok, err
	}
	for _, act := range d.Actions { // marks were applied before the sends
		switch a := act.(type) {
		case NotifyLevel:
			if err := x.notify(ctx, inc, a); err != nil {
				return err
			}
		case UpdateMessage:
			if ok, err := claimResolution(a.Key); err != nil || !ok {
				return err // not ok: another run sent the resolution
			}
			if err := x.n.UpdateMessage(ctx, inc, a); err != nil {
				return fmt.Errorf("incident %d update: %w", inc.ID, err)
			}
		case ReplyInThread:
			if ok, err := claimResolution(a.Key); err != nil || !ok {
				return err
			}
			if err := x.n.ReplyInThread(ctx, inc, a); err != nil {
				return fmt.Errorf("incident %d thread reply: %w", inc.ID, err)
			}
		case RefreshMessage:
			if _, queued := x.refresh[a.Message]; !queued {
				x.refreshOrder = append(x.refreshOrder, a.Message)
			}
			x.refresh[a.Message] = inc
		}
	}
	return nil
}

func (x *execution) notify(ctx context.Context, inc Incident, a NotifyLevel) error {
	s := x.store
	if x.delivered[inc.ID] {
		return nil // its first notice went out in a grouped message, recorded with it
	}
	if !a.claimed {
		ok, err := x.claim(ctx, a.Key)
		if err != nil || !ok {
			return err
		}
	}
	del, err := x.n.Notify(ctx, inc, a)
	if err != nil {
		err = fmt.Errorf("incident %d level %d loop %d: %w", inc.ID, a.Level, a.Loop, err)
		if errors.Is(err, ErrNotDelivered) {
			if uerr := s.UnclaimSend(ctx, a.Key, inc.LastNotified, x.now, err.Error()); uerr != nil {
				return errors.Join(err, uerr)
			}
		}
		return err
	}
	if del.Message == (MessageRef{}) {
		return nil
	}
	keys := []SendKey{a.Key}
	for _, id := range del.With {
		if id != inc.ID {
			keys = append(keys, SendKey{Incident: id, Level: 1})
			x.delivered[id] = true
		}
	}
	return s.SetMessages(ctx, keys, del.Message)
}
