package localdb

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
)

func TestOpenAppliesMigrationsAndPragmas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.Write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk, busy int
	if err := db.Read.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v", fk, err)
	}
	if err := db.Read.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil || busy < 5000 {
		t.Errorf("busy_timeout = %d, %v", busy, err)
	}
	if _, err := db.Read.ExecContext(ctx, "INSERT INTO sync_runs (started_at) VALUES ('x')"); err == nil {
		t.Error("the read pool must refuse writes")
	}
	// Opening again is a no-op migration.
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	db2.Close()
}

// TestMirrorMatchesSpec keeps migrations/00001_mirror.sql and queries/elementary in step: every mirrored table has
// exactly the spec's columns, keyed by its natural key.
func TestMirrorMatchesSpec(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tb := range elementary.Tables() {
		rows, err := db.Read.QueryContext(ctx, "SELECT name, pk FROM pragma_table_info(?)", tb.Name)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		pk := make([]string, len(tb.Key))
		for rows.Next() {
			var name string
			var pkAt int // the column's place in the primary key, from 1; 0 when not in it
			if err := rows.Scan(&name, &pkAt); err != nil {
				t.Fatal(err)
			}
			got[name] = true
			if pkAt > len(pk) {
				pk = append(pk, make([]string, pkAt-len(pk))...)
			}
			if pkAt > 0 {
				pk[pkAt-1] = name
			}
		}
		rows.Close()
		for _, c := range tb.Mirrored() {
			if !got[c.Name] {
				t.Errorf("%s: mirror lacks column %s", tb.Name, c.Name)
			}
			delete(got, c.Name)
		}
		for extra := range got {
			t.Errorf("%s: mirror has column %s that the spec does not list", tb.Name, extra)
		}
		if !slices.Equal(pk, tb.Key) {
			t.Errorf("%s: primary key %q, want %q", tb.Name, pk, tb.Key)
		}
	}
}

func TestTimeLayoutSorts(t *testing.T) {
	a := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	b := a.Add(time.Microsecond)
	if !(FormatTime(a) < FormatTime(b)) {
		t.Errorf("%s should sort before %s", FormatTime(a), FormatTime(b))
	}
	tz := time.FixedZone("JST", 9*3600)
	if got := FormatTime(time.Date(2026, 1, 2, 12, 0, 0, 0, tz)); got != "2026-01-02T03:00:00.000000Z" {
		t.Errorf("FormatTime in JST = %s", got)
	}
	back, err := ParseTime(FormatTime(a))
	if err != nil || !back.Equal(a.Truncate(time.Microsecond)) {
		t.Errorf("round trip: %v %v", back, err)
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Error("ParseTime must refuse junk")
	}
}

func TestNewDatabasePageSize(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var size int
	var mode string
	if err := db.Read.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil || size != PageSize {
		t.Errorf("page_size = %d, %v; want %d", size, err, PageSize)
	}
	if err := db.Write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
}
