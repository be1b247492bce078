package ops

import (
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// TestListen: the endpoints are served on a free address and stop on Close; "off" and an address that cannot be
// bound serve nothing and close cleanly (the bot runs on without its endpoints).
func TestListen(t *testing.T) {
	h := New(Options{DB: syncedState(t), Now: time.Now, Logger: slog.New(slog.DiscardHandler)})
	for _, tt := range []struct {
		addr   string
		listen bool
	}{{"127.0.0.1:0", true}, {"off", false}, {"256.0.0.1:1", false}} {
		t.Run(tt.addr, func(t *testing.T) {
			s := Listen(tt.addr, h, slog.New(slog.DiscardHandler))
			if (s.Addr() != "") != tt.listen {
				t.Fatalf("Addr() = %q", s.Addr())
			}
			if tt.listen {
				resp, err := http.Get("http://" + s.Addr() + "/healthz")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("/healthz = %d", resp.StatusCode)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if tt.listen {
				if _, err := http.Get("http://" + s.Addr() + "/healthz"); err == nil {
					t.Error("still listening after Close")
				}
			}
		})
	}
}
