package main

import (
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/cmd/todai/redact"
	"github.com/todai-dev/todai/queries/localdb"
)

// syncedState syncs the demo warehouse into a new state file and opens it.
func syncedState(t *testing.T) *localdb.DB {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state.db")
	if code, out, errOut := cli(t, "--warehouse", "sqlite://"+demoWarehouse(t), "--state", state, "sync"); code != 0 {
		t.Fatalf("sync: %s %s", out, errOut)
	}
	db := localdbtest.Open(t, state)
	return db
}

func TestStartOps(t *testing.T) {
	db := syncedState(t)
	for _, tt := range []struct {
		addr   string
		listen bool
	}{{"127.0.0.1:0", true}, {"off", false}, {"256.0.0.1:1", false}} {
		t.Run(tt.addr, func(t *testing.T) {
			a := &app{cfg: config.Default(), now: time.Now, logger: redact.NewLogger(io.Discard, 0, "text", nil)}
			a.cfg.HTTP.Addr = tt.addr
			s, err := a.startOps(db)
			if err != nil {
				t.Fatal(err)
			}
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
