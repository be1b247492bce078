package scheduler

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/statedb"
)

// TestEpisodesSurviveTheUpgrade writes heads-ups as version 16 kept them (exposure_notices, kinds unsafe and
// usable), migrates, and reads them as episodes: the closed one stays closed and the open one open, so that an
// upgrade repeats no heads-up.
func TestEpisodesSurviveTheUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	old := localdbtest.AtVersion(t, path, 16)
	if _, err := old.ExecContext(ctx, `INSERT INTO exposure_notices (exposure_id, episode, kind, claimed_at, claimed_by)
		VALUES ('exposure.shop.closed', 1, 'unsafe', 'x', 'h'), ('exposure.shop.closed', 1, 'usable', 'x', 'h'),
		('exposure.shop.open', 1, 'unsafe', 'x', 'h'), ('exposure.shop.open', 1, 'usable', 'x', 'h'),
		('exposure.shop.open', 2, 'unsafe', 'x', 'h')`); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := localdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := episodes{db: statedb.FromLocal(db), holder: "test", log: quiet()}
	for _, tc := range []struct {
		subject string
		episode int
		open    bool
	}{{"exposure.shop.closed", 1, false}, {"exposure.shop.open", 2, true}, {"health:finance", 0, false}} {
		episode, open, err := e.current(ctx, tc.subject)
		if err != nil {
			t.Fatal(err)
		}
		if episode != tc.episode || open != tc.open {
			t.Errorf("%s: episode %d open %v, want %d %v", tc.subject, episode, open, tc.episode, tc.open)
		}
	}
}
