package scheduler

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"

	"github.com/todai-dev/todai/migrations"
	"github.com/todai-dev/todai/queries/localdb"
)

// TestEpisodesSurviveTheUpgrade writes heads-ups as version 16 kept them (exposure_notices, kinds unsafe and
// usable), migrates, and reads them as episodes: the closed one stays closed and the open one open, so that an
// upgrade repeats no heads-up.
func TestEpisodesSurviveTheUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	old, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, old, migrations.FS())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
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
	e := episodes{db: db, holder: "test", log: quiet()}
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
