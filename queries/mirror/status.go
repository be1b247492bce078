package mirror

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
)

// StatusReport is what `todai sync --status` shows: the state of every Elementary table and the last run.
type StatusReport struct {
	// Tables has one entry per Elementary table, in elementary.Tables() order.
	Tables []TableStatus
	// LastRun is the newest sync run; nil when none ran yet.
	LastRun *RunStatus
	// DerivedDirty is true when the read model's derived tables still need a refresh (the last one failed).
	DerivedDirty bool
}

// TableStatus is one table's sync_state.
type TableStatus struct {
	Table string
	// Known is false when no sync has discovered the table yet.
	Known bool
	// Present tells whether the warehouse has the table.
	Present bool
	// Watermark is a history table's newest watermark value read; zero if none.
	Watermark time.Time
	// RowsRead is how many rows the last successful read read; RowsLocal how many rows the mirror holds.
	RowsRead  int64
	RowsLocal int64
	// LastSuccess is when the table was last read successfully; zero if never.
	LastSuccess time.Time
	// Duration is how long that read took.
	Duration time.Duration
	// LastError and LastErrorAt describe the table's last failure, cleared by the next success.
	LastError   string
	LastErrorAt time.Time
}

// RunStatus is one sync_runs row.
type RunStatus struct {
	ID              int64
	Started         time.Time
	Finished        time.Time // zero while running (or if the process died)
	OK              bool
	TablesRead      int
	RowsRead        int64
	MetadataQueries int64
	DataQueries     int64
	Error           string
	// FeedEntry is the mirror feed's entry the run applied (another replica's read of the warehouse); 0 when the
	// run read the warehouse itself.
	FeedEntry int64
}

// Status reads the sync state of the mirror.
func Status(ctx context.Context, db *localdb.DB) (StatusReport, error) {
	var rep StatusReport
	rows, err := db.Read.QueryContext(ctx, `SELECT table_name, present, COALESCE(watermark, ''), rows_read, rows_local,
		COALESCE(last_success_at, ''), COALESCE(last_duration_ms, 0), COALESCE(last_error, ''),
		COALESCE(last_error_at, '') FROM sync_state`)
	if err != nil {
		return rep, fmt.Errorf("read sync status: %w", err)
	}
	defer rows.Close()
	byName := map[string]TableStatus{}
	for rows.Next() {
		var ts TableStatus
		var wm, success, errAt string
		var ms int64
		if err := rows.Scan(&ts.Table, &ts.Present, &wm, &ts.RowsRead, &ts.RowsLocal, &success, &ms, &ts.LastError,
			&errAt); err != nil {
			return rep, fmt.Errorf("read sync status: %w", err)
		}
		ts.Known = true
		ts.Duration = time.Duration(ms) * time.Millisecond
		if wm != "" {
			ts.Watermark, _ = time.Parse(time.RFC3339Nano, wm)
		}
		ts.LastSuccess, _ = parseMirrorTime(success)
		ts.LastErrorAt, _ = parseMirrorTime(errAt)
		byName[ts.Table] = ts
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("read sync status: %w", err)
	}
	for _, t := range elementary.Tables() {
		ts, ok := byName[t.Name]
		if !ok {
			ts = TableStatus{Table: t.Name}
		}
		rep.Tables = append(rep.Tables, ts)
	}

	var run RunStatus
	var started, finished, msg sql.NullString
	err = db.Read.QueryRowContext(ctx, `SELECT id, started_at, finished_at, ok, tables_read, rows_read,
		metadata_queries, data_queries, error, COALESCE(feed_seq, 0) FROM sync_runs ORDER BY id DESC LIMIT 1`).Scan(
		&run.ID, &started, &finished, &run.OK, &run.TablesRead, &run.RowsRead, &run.MetadataQueries, &run.DataQueries,
		&msg, &run.FeedEntry)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return rep, fmt.Errorf("read last sync run: %w", err)
	default:
		run.Started, _ = parseMirrorTime(started.String)
		run.Finished, _ = parseMirrorTime(finished.String)
		run.Error = msg.String
		rep.LastRun = &run
	}

	err = db.Read.QueryRowContext(ctx, `SELECT dirty FROM sync_derived WHERE id = 1`).Scan(&rep.DerivedDirty)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return rep, fmt.Errorf("read derived state: %w", err)
	}
	return rep, nil
}

func parseMirrorTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return localdb.ParseTime(s)
}

// RunTotals sums the sync runs the state database keeps, for the metrics and the readiness check.
type RunTotals struct {
	// OK and Failed count the finished runs by outcome.
	OK, Failed int64
	// Durations are the finished runs' durations.
	Durations []time.Duration
	// MetadataQueries and DataQueries count the warehouse queries of every kept run; WarehouseTime is their time.
	MetadataQueries, DataQueries int64
	WarehouseTime                time.Duration
	// LastSuccess is when the newest successful run finished (zero when none did).
	LastSuccess time.Time
}

// Runs sums the kept sync runs.
func Runs(ctx context.Context, db *localdb.DB) (RunTotals, error) {
	var t RunTotals
	rows, err := db.Read.QueryContext(ctx, `SELECT ok, started_at, COALESCE(finished_at, ''), metadata_queries,
		data_queries, warehouse_ms FROM sync_runs`)
	if err != nil {
		return t, fmt.Errorf("sum sync runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ok bool
		var started, finished string
		var metadata, data int64
		var ms float64
		if err := rows.Scan(&ok, &started, &finished, &metadata, &data, &ms); err != nil {
			return t, fmt.Errorf("sum sync runs: %w", err)
		}
		t.MetadataQueries += metadata
		t.DataQueries += data
		t.WarehouseTime += time.Duration(ms * float64(time.Millisecond))
		if finished == "" {
			continue // still running
		}
		start, _ := parseMirrorTime(started)
		end, _ := parseMirrorTime(finished)
		if ok {
			t.OK++
			if end.After(t.LastSuccess) {
				t.LastSuccess = end
			}
		} else {
			t.Failed++
		}
		t.Durations = append(t.Durations, end.Sub(start))
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("sum sync runs: %w", err)
	}
	return t, nil
}

// LastRead is when the mirror's last sync that landed began reading the warehouse: the mirror holds what the
// warehouse held then (but for tables that failed in it, which keep an earlier read). Zero when no sync landed (it
// knows nothing of the warehouse).
func LastRead(ctx context.Context, db *localdb.DB) (time.Time, error) {
	var at sql.NullString
	if err := db.Read.QueryRowContext(ctx, `SELECT max(started_at) FROM sync_runs WHERE ok = 1 OR committed = 1`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("read sync runs: %w", err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	t, err := localdb.ParseTime(at.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("read sync runs: %w", err)
	}
	return t, nil
}
