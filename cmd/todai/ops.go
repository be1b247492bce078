package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/cmd/todai/ops"
	"github.com/todai-dev/todai/queries/localdb"
)

// opsServer is the running ops listener of `todai serve`.
type opsServer struct {
	*ops.Handler
	srv  *http.Server
	addr string
	done chan error
}

// startOps starts the /healthz, /readyz and /metrics listener on http.addr ("off": none; the handler still counts
// Slack calls). When the address cannot be bound it logs an error and serves without the endpoints, so that a busy
// port never keeps the bot down. Close stops it.
func (a *app) startOps(db *localdb.DB) (*opsServer, error) {
	maxAge := a.cfg.HTTP.ReadyMaxSyncAge.Duration
	if a.cfg.Warehouse.URL == "" {
		maxAge = 0
	}
	h := ops.New(ops.Options{DB: db, MaxSyncAge: maxAge, Now: a.now, Logger: a.logger, Version: version, Commit: commit,
		SlackProbe: func(ctx context.Context, c *http.Client) error {
			return bot.Ping(ctx, bot.Config{BotToken: a.cfg.Slack.BotToken, APIURL: a.cfg.Slack.APIURL}, c)
		}})
	s := &opsServer{Handler: h, done: make(chan error, 1)}
	if strings.EqualFold(a.cfg.HTTP.Addr, "off") {
		close(s.done)
		return s, nil
	}
	ln, err := net.Listen("tcp", a.cfg.HTTP.Addr)
	if err != nil {
		// The bot matters more than its endpoints: serve on without them, loudly (probes will say so).
		a.logger.Error("serve: cannot listen on http.addr: /healthz, /readyz and /metrics are off",
			"addr", a.cfg.HTTP.Addr, "err", err)
		close(s.done)
		return s, nil
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn)}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
		close(s.done)
	}()
	a.logger.Info("serve: health and metrics endpoints", "addr", s.addr)
	return s, nil
}

// Addr is the address the listener is bound to ("" when off).
func (s *opsServer) Addr() string { return s.addr }

// Close stops the listener, letting scrapes in flight finish for up to 5 s.
func (s *opsServer) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; serr != nil {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("serve: stop http endpoints: %w", err)
	}
	return nil
}
