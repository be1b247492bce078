package main

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/mcpserver"
	"github.com/todai-dev/todai/queries/localdb"
)

// newMCPCmd is `todai mcp`: Todai's answers as tools for AI assistants, over stdio.
func newMCPCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "mcp",
		Short: "Serve Todai's answers to AI assistants (Claude, Cursor …) as MCP tools over stdio",
		Long: `Serve every answer Todai gives as a read-only MCP tool over stdin/stdout, the transport Claude Desktop, Claude
Code and Cursor start. Tools answer from the local mirror, as todai ask does; with a warehouse configured the mirror is
synced in the background at sync.interval, never per call. Logs go to stderr. See docs/mcp.md.`,
		Args: cobra.NoArgs,
		RunE: a.onState(func(cmd *cobra.Command, _ []string, db *localdb.DB) error {
			ctx, stop := context.WithCancel(cmd.Context())
			var syncing sync.WaitGroup
			defer syncing.Wait() // the state file closes after the sync stopped
			defer stop()
			syncing.Go(func() { a.syncEvery(ctx, db, a.cfg.Sync.Interval.Duration) })
			reader := a.reader(db)
			acts := a.newIncidentActions(db)
			if acts != nil && a.cfg.Slack.BotToken != "" {
				acts.announceWith(a.newBot(db, reader), a.logger)
			}
			server := mcpserver.New(reader, mcpserver.Options{Version: version, Now: a.now, Zone: a.cfg.Location(),
				Lang: handlers.Lang(a.cfg.Locale), Actions: mcpActions(acts)})
			err := server.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(os.Stdin), Writer: nopWriteCloser{a.stdout}})
			if errors.Is(err, context.Canceled) || errors.Is(err, mcp.ErrConnectionClosed) || errors.Is(err, io.EOF) {
				return nil // the client went away
			}
			return err
		}),
	}
}

// syncEvery syncs the mirror now and then every interval until ctx ends, when a warehouse is configured; failures
// are logged (answers then come from the last good sync, and say how old it is).
func (a *app) syncEvery(ctx context.Context, db *localdb.DB, interval time.Duration) {
	if a.cfg.Warehouse.URL == "" || interval <= 0 {
		return
	}
	for {
		if err := a.syncOnce(ctx, db); err != nil && ctx.Err() == nil {
			a.logger.Warn("mcp: background sync failed; answering from the last good sync", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// nopWriteCloser is a writer the transport may close without closing it.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
