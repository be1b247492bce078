package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/cmd/todai/ops"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/mirror"
)

func newServeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the Slack bot (Socket Mode) and sync the mirror in the background",
		Long: `Serve connects to Slack over Socket Mode with SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN (xoxb-…) and
answers /todai, mentions (also in threads under Elementary alerts) and direct messages from the local mirror. When a
warehouse is configured it syncs the mirror every sync.interval. It runs until SIGINT or SIGTERM, then finishes the
answers in flight. See docs/slack.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return a.serve(ctx)
		},
	}
}

// serve runs the bot and the background sync until ctx ends.
func (a *app) serve(ctx context.Context) error {
	sc := a.cfg.Slack
	if err := sc.CheckTokens(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	db, err := a.openState(ctx)
	if err != nil {
		return err
	}
	defer a.closeState(db)
	reader := a.reader(db)           // one read model: its catalog and diagnoses serve the bot, the escalation, the digests, MCP
	acts := a.newIncidentActions(db) // MCP's changes to incidents, announced by the bot once it exists
	opsHandler := a.newOps(db, reader, acts)
	endpoints := ops.Listen(a.cfg.HTTP.Addr, opsHandler, a.logger)
	defer endpoints.Close()
	a.slackHTTP, a.questions = opsHandler.SlackClient(), opsHandler.Questions()
	b := a.newBot(db, reader)
	opsHandler.WatchConnection(b.Connected)
	acts.announceWith(b, a.logger)
	sched, err := a.newScheduler(db, a.newWatchers(db, reader, b), b)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	schedCtx, stopSched := context.WithCancel(ctx)
	schedDone := make(chan error, 1)
	go func() { schedDone <- sched.Run(schedCtx) }()
	if a.cfg.State.URL != "" && a.cfg.Warehouse.URL != "" {
		// A replica sharing the state connects to Slack once its mirror can answer: Slack hands envelopes to any
		// open connection, and the other replicas answer meanwhile.
		waitForFirstSync(ctx, db, a.logger)
	}
	err = b.Run(ctx)
	stopSched()
	if serr := <-schedDone; serr != nil {
		a.logger.Error("serve: scheduler stop", "err", serr)
	}
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// waitForFirstSync returns once the mirror holds a successful sync, or ctx has ended.
func waitForFirstSync(ctx context.Context, db *localdb.DB, l *slog.Logger) {
	for logged := false; ; logged = true {
		if at, err := mirror.LastRead(ctx, db); err == nil && !at.IsZero() {
			return
		}
		if !logged {
			l.Info("serve: connecting to Slack after the mirror's first sync; the other replicas answer meanwhile")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func logSync(l *slog.Logger, rep mirror.Report, err error, ctx context.Context) {
	switch {
	case err != nil && errors.Is(ctx.Err(), context.Canceled):
		l.Info("serve: sync stopped by shutdown")
	case err != nil:
		l.Error("serve: sync failed; answers carry a warning until the next good sync", "err", err)
	default:
		l.Info("serve: synced", "tables", rep.TablesRead, "rows", rep.RowsRead,
			"took", rep.Finished.Sub(rep.Started).Round(time.Millisecond))
	}
}
