package escalation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Notifier delivers the sends of Decide's actions (the Slack poster implements it).
type Notifier interface {
	// Notify posts a notice: the first one in the team's message (or a link to edr monitor's alert), later ones in
	// the incident's thread. It returns where the first notice went.
	Notify(ctx context.Context, inc Incident, n NotifyLevel) (MessageRef, error)
	// UpdateMessage rewrites the incident's message in place to say it resolved.
	UpdateMessage(ctx context.Context, inc Incident, u UpdateMessage) error
	// ReplyInThread says in the incident's thread that it resolved.
	ReplyInThread(ctx context.Context, inc Incident, r ReplyInThread) error
}

// Execute performs the decisions of a sweep: marks are recorded, and each send is claimed with RecordSend before
// it goes out, so that no (incident, level, loop) is ever sent twice, even by two processes or across a restart.
// An incident's failure is logged and the others go on; the errors are joined.
func (s *Store) Execute(ctx context.Context, decisions []Decision, n Notifier, now time.Time, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	var errs []error
	for _, d := range decisions {
		if err := s.execute(ctx, d, n, now); err != nil {
			log.ErrorContext(ctx, "escalation: incident action failed", "incident", d.Incident.ID, "key", d.Incident.Key, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Store) execute(ctx context.Context, d Decision, n Notifier, now time.Time) error {
	inc := d.Incident
	resolveClaimed := false
	for _, act := range d.Actions {
		switch a := act.(type) {
		case NotifyLevel:
			ok, err := s.RecordSend(ctx, a.Key, now)
			if err != nil || !ok {
				return err
			}
			msg, err := n.Notify(ctx, inc, a)
			if err != nil {
				return fmt.Errorf("incident %d level %d loop %d: %w", inc.ID, a.Level, a.Loop, err)
			}
			if msg != (MessageRef{}) {
				if err := s.SetMessage(ctx, a.Key, msg); err != nil {
					return err
				}
			}
		case UpdateMessage:
			if !resolveClaimed {
				ok, err := s.RecordSend(ctx, a.Key, now)
				if err != nil || !ok {
					return err
				}
				resolveClaimed = true
			}
			if err := n.UpdateMessage(ctx, inc, a); err != nil {
				return fmt.Errorf("incident %d update: %w", inc.ID, err)
			}
		case ReplyInThread:
			if !resolveClaimed {
				ok, err := s.RecordSend(ctx, a.Key, now)
				if err != nil || !ok {
					return err
				}
				resolveClaimed = true
			}
			if err := n.ReplyInThread(ctx, inc, a); err != nil {
				return fmt.Errorf("incident %d thread reply: %w", inc.ID, err)
			}
		default:
			if err := s.Apply(ctx, inc.ID, act, now); err != nil {
				return err
			}
		}
	}
	return nil
}
