package main

import (
	"context"
	"net/http"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/cmd/todai/ops"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/mcpserver"
	"github.com/todai-dev/todai/queries/localdb"
)

// newOps builds the /healthz, /readyz and /metrics handler of `todai serve` over the state file: readiness follows
// the last sync (unless no warehouse is configured) and a ping of Slack.
// With mcp.http on, the same port serves the MCP tools at /mcp over reader (and acts, with mcp.allow_actions).
func (a *app) newOps(db *localdb.DB, reader mcpserver.Reader, acts *incidentActions) *ops.Handler {
	maxAge := a.cfg.HTTP.ReadyMaxSyncAge.Duration
	if a.cfg.Warehouse.URL == "" {
		maxAge = 0
	}
	routes := map[string]http.Handler{}
	if a.cfg.MCP.HTTP {
		server := mcpserver.New(reader, mcpserver.Options{Version: version, Now: a.now, Zone: a.cfg.Location(),
			Lang: handlers.Lang(a.cfg.Locale), Actions: mcpActions(acts)})
		routes["/mcp"] = mcpserver.HTTPHandler(server, mcpserver.HTTPOptions{Token: a.cfg.MCP.Token, Logger: a.logger})
	}
	return ops.New(ops.Options{DB: db, State: a.stateOf(db), MaxSyncAge: maxAge, Now: a.now, Logger: a.logger, Version: version, Commit: commit,
		SlackProbe: func(ctx context.Context, c *http.Client) error {
			return bot.Ping(ctx, bot.Config{BotToken: a.cfg.Slack.BotToken, APIURL: a.cfg.Slack.APIURL}, c)
		}, Routes: routes})
}
