package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Server is the running listener of the ops endpoints.
type Server struct {
	srv  *http.Server
	addr string
	done chan error
}

// Listen serves h on addr ("off": nowhere). When the address cannot be bound it logs an error and returns a
// Server that serves nothing, so that a busy port never keeps the bot down (the probes will say so). Close stops it.
func Listen(addr string, h http.Handler, logger *slog.Logger) *Server {
	s := &Server{done: make(chan error, 1)}
	if strings.EqualFold(addr, "off") {
		close(s.done)
		return s
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Error("serve: cannot listen on http.addr: /healthz, /readyz and /metrics are off", "addr", addr, "err", err)
		close(s.done)
		return s
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
		close(s.done)
	}()
	logger.Info("serve: health and metrics endpoints", "addr", s.addr)
	return s
}

// Addr is the address the listener is bound to ("" when off).
func (s *Server) Addr() string { return s.addr }

// Close stops the listener, letting scrapes in flight finish for up to 5 s.
func (s *Server) Close() error {
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
