package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/handlers/mcpserver"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// incidentActions change incidents for the command line (as cli:$USER) and the MCP tools (mcp.allow_actions, as the
// configured Slack user), recorded in the incident's timeline; once announceWith gave it a bot, each change shows in
// Slack as a click does.
type incidentActions struct {
	store    *escalation.Store
	actor    string
	now      func() time.Time
	announce atomic.Pointer[announceFunc]
}

// announceFunc shows a change of an incident in Slack.
type announceFunc func(ctx context.Context, before escalation.Incident, event string)

// announceWith makes b announce the changes from now on (b may come after the tools already serve).
func (x *incidentActions) announceWith(b *bot.Bot, logger *slog.Logger) {
	if x == nil {
		return
	}
	f := announceFunc(func(ctx context.Context, before escalation.Incident, event string) {
		if _, err := b.AnnounceChange(ctx, before, event, x.actor, x.now()); err != nil {
			logger.Warn("mcp: the change is recorded, but Slack was not told", "err", err)
		}
	})
	x.announce.Store(&f)
}

// newIncidentActions returns the actions of the MCP tools over db, or nil when mcp.allow_actions is off.
func (a *app) newIncidentActions(db *localdb.DB) *incidentActions {
	if !a.cfg.MCP.AllowActions {
		return nil
	}
	return &incidentActions{store: escalation.NewStateStore(a.stateOf(db)), actor: a.cfg.MCP.Actor, now: a.now}
}

// mcpActions is acts as the tools' Actions, or nil (no action tools) when it is nil.
func mcpActions(acts *incidentActions) mcpserver.Actions {
	if acts == nil {
		return nil
	}
	return acts
}

func (x *incidentActions) change(ctx context.Context, id int64, event string, apply func(now time.Time) (bool, error)) (string, error) {
	before, err := x.store.Get(ctx, id)
	if err != nil {
		return "", actionError(id, err)
	}
	changed, err := apply(x.now())
	if err != nil {
		return "", actionError(id, err)
	}
	if !changed {
		return fmt.Sprintf("incident %d already is as asked: nothing changed", id), nil
	}
	if f := x.announce.Load(); f != nil {
		(*f)(ctx, before, event)
	}
	return fmt.Sprintf("incident %d %s by %s", id, event, x.actor), nil
}

// Acknowledge acknowledges the incident.
func (x *incidentActions) Acknowledge(ctx context.Context, id int64) (string, error) {
	return x.change(ctx, id, "acknowledged", func(now time.Time) (bool, error) {
		inc, err := x.store.Get(ctx, id)
		switch {
		case err != nil:
			return false, err
		case inc.Status == escalation.StatusResolved:
			return false, escalation.ErrResolved
		case inc.Status == escalation.StatusAcked:
			return false, nil
		}
		return true, x.store.Ack(ctx, id, x.actor, now)
	})
}

// Take makes the configured user the incident's assignee.
func (x *incidentActions) Take(ctx context.Context, id int64) (string, error) {
	return x.change(ctx, id, "taken", func(now time.Time) (bool, error) { return x.store.Take(ctx, id, x.actor, now) })
}

// Resolve resolves the incident as reason, with note.
func (x *incidentActions) Resolve(ctx context.Context, id int64, reason, note string) (string, error) {
	r, ok := escalation.ParseResolution(reason)
	if !ok {
		return "", &mcpserver.ActionError{Code: "bad_request", Message: "reason must be fixed, expected, no_action_needed or false_positive"}
	}
	return x.change(ctx, id, "resolved", func(now time.Time) (bool, error) {
		return true, x.store.ResolveAs(ctx, id, r, note, x.actor, now)
	})
}

// actionError says why an incident could not be read or changed, in words and in the tools' codes.
func actionError(id int64, err error) error {
	switch {
	case errors.Is(err, escalation.ErrNotFound):
		return &mcpserver.ActionError{Code: "not_found", Message: fmt.Sprintf("there is no incident %d", id)}
	case errors.Is(err, escalation.ErrResolved):
		return &mcpserver.ActionError{Code: "bad_request", Message: fmt.Sprintf("incident %d is already resolved: nothing changed", id)}
	case errors.Is(err, escalation.ErrInvalid):
		return &mcpserver.ActionError{Code: "bad_request", Message: err.Error()}
	}
	return err
}
