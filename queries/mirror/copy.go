package mirror

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/source"
)

// batchRows is how many rows the reader hands the writer at a time.
const batchRows = 1024

// copyTable reads one changed table and writes it to the mirror in the sync's transaction together with its
// sync_state row. Reading and writing overlap: the source's Scan (and the normalisation) runs in a goroutine that
// hands batches of rows to the writer.
func (s *Syncer) copyTable(ctx context.Context, tx *sql.Tx, p *plan, st tableState, fp source.Fingerprint, now,
	cutoff time.Time, tr *TableReport, c *collector) error {
	t := p.table
	c.begin()
	if len(p.missing) > 0 {
		return fmt.Errorf("table %s lacks required column(s) %s (Elementary package too old or not Elementary's table?)",
			t.Name, strings.Join(p.missing, ", "))
	}
	start := time.Now()
	req := source.ScanRequest{Table: t.Name, Columns: p.cols}
	var window struct{ from, before time.Time } // where late rows were looked for (zero: nowhere)
	if t.Kind == elementary.History {
		req.SinceColumn = t.Watermark
		switch {
		case st.watermark.IsZero():
			// The first read: the backfill window, widened by how far behind UTC a writer's clock can be.
			req.Since = now.AddDate(0, 0, -s.opts.BackfillDays).Add(-elementary.MaxZoneBehindUTC)
		case t.Watermark == "created_at" && s.opts.Overlap > 0:
			// Append-only log whose created_at is in each writer's session zone: read what is new since the
			// watermark, and re-read from the earliest row the mirror lacks in the window before it — rows inserted
			// late (a long transaction) or by a writer whose clock is behind the one that set the watermark (up to
			// elementary.MaxZoneSkew). Checking the window's keys is one narrow query instead of re-reading every column of
			// every recent row — after a large dbt build, the next syncs would otherwise read the whole build again.
			// The key window includes the watermark itself (rows stamped with the same time may have committed
			// after the last read); the new rows are those after it.
			next := st.watermark.Add(time.Microsecond)
			from := st.watermark.Add(-s.opts.Overlap - elementary.MaxZoneSkew)
			req.Since = next
			window.from, window.before = from, next
			short, err := s.windowShort(ctx, tx, p, from, next)
			if err != nil {
				return fmt.Errorf("sync %s: %w", t.Name, err)
			}
			if short {
				earliest, late, err := s.lateRows(ctx, tx, p, from, next)
				if err != nil {
					return fmt.Errorf("sync %s: %w", t.Name, err)
				}
				if late {
					req.Since = earliest
				}
			}
		default:
			req.Since = st.watermark.Add(-s.opts.Overlap)
		}
	}
	if t.Kind == elementary.Definition {
		// Replace the contents: rows gone from the warehouse go, the rest is re-inserted (readers keep seeing the
		// old contents until commit).
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.Name); err != nil {
			return fmt.Errorf("sync %s: clear: %w", t.Name, err)
		}
	}
	rebuild, err := suspendIndexes(ctx, tx, t.Name)
	if err != nil {
		return fmt.Errorf("sync %s: %w", t.Name, err)
	}

	rows, maxWM, err := s.stream(ctx, tx, p, req, c)
	if err != nil {
		return fmt.Errorf("sync %s: %w", t.Name, err)
	}
	if err := rebuild(); err != nil {
		return fmt.Errorf("sync %s: %w", t.Name, err)
	}
	tr.RowsRead = rows
	wm := st.watermark
	if maxWM.After(wm) {
		wm = maxWM
	}
	if t.Kind == elementary.History {
		n, err := deleteOlder(ctx, tx, t.Name, cutoff)
		if err != nil {
			return fmt.Errorf("sync %s: %w", t.Name, err)
		}
		tr.Pruned = n
	}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t.Name).Scan(&tr.RowsLocal); err != nil {
		return fmt.Errorf("sync %s: count: %w", t.Name, err)
	}
	tr.Duration = time.Since(start)
	if err := recordRead(ctx, tx, tableRead{table: t, fingerprint: string(fp), watermark: wm, rowsRead: tr.RowsRead,
		rowsLocal: tr.RowsLocal, at: now, duration: tr.Duration}); err != nil {
		return fmt.Errorf("sync %s: %w", t.Name, err)
	}
	tr.Watermark = wm
	tr.Duration = time.Since(start)
	if c != nil {
		ft := feedTable{Table: t.Name, Columns: p.cols, Replace: t.Kind == elementary.Definition,
			Fingerprint: string(fp), Watermark: wm, ReadAt: now}
		if t.Kind == elementary.History && !st.watermark.IsZero() {
			ft.Since = req.Since
		}
		if !window.from.IsZero() {
			n, err := countWindow(ctx, tx, t, window.from, window.before)
			if err != nil {
				return fmt.Errorf("sync %s: %w", t.Name, err)
			}
			ft.WindowFrom, ft.WindowBefore, ft.WindowRows = window.from, window.before, n
		}
		c.end(ft)
	}
	s.opts.Logger.InfoContext(ctx, "table synced", "table", t.Name, "rows", tr.RowsRead, "rows_local", tr.RowsLocal,
		"pruned", tr.Pruned, "since", req.Since, "duration", tr.Duration)
	return nil
}

// tableRead is a table's sync state after a read: this mirror's own, or another's applied from the feed.
type tableRead struct {
	table       elementary.Table
	fingerprint string
	watermark   time.Time
	rowsRead    int64
	rowsLocal   int64
	at          time.Time
	// duration is how long the read took; zero keeps the last one recorded (a read applied from the feed).
	duration time.Duration
	// columns, when set, are recorded as a discovery records them (a mirror that applies another's read may never
	// have discovered the table itself); nil keeps those recorded.
	columns []string
}

// recordRead writes a table's sync_state after a read, and marks the derived tables dirty when it is a definition
// table.
func recordRead(ctx context.Context, tx *sql.Tx, r tableRead) error {
	var wm, fp, ms, cols any
	if !r.watermark.IsZero() {
		wm = r.watermark.UTC().Format(time.RFC3339Nano)
	}
	if r.fingerprint != "" {
		fp = r.fingerprint
	}
	if r.duration > 0 {
		ms = r.duration.Milliseconds()
	}
	if r.columns != nil {
		b, err := json.Marshal(r.columns)
		if err != nil {
			return fmt.Errorf("record state: %w", err)
		}
		cols = string(b)
	}
	at := localdb.FormatTime(r.at)
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state (table_name, present, columns, fingerprint, watermark,
		rows_read, rows_local, last_attempt_at, last_success_at, last_duration_ms) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(table_name) DO UPDATE SET present = 1, columns = COALESCE(excluded.columns, sync_state.columns),
			fingerprint = excluded.fingerprint, watermark = excluded.watermark, rows_read = excluded.rows_read,
			rows_local = excluded.rows_local, last_attempt_at = excluded.last_attempt_at,
			last_success_at = excluded.last_success_at,
			last_duration_ms = COALESCE(excluded.last_duration_ms, sync_state.last_duration_ms),
			last_error = NULL, last_error_at = NULL`,
		r.table.Name, cols, fp, wm, r.rowsRead, r.rowsLocal, at, at, ms); err != nil {
		return fmt.Errorf("record state: %w", err)
	}
	if r.table.Kind == elementary.Definition {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_derived (id, dirty) VALUES (1, 1)
			ON CONFLICT(id) DO UPDATE SET dirty = 1`); err != nil {
			return fmt.Errorf("mark derived tables dirty: %w", err)
		}
	}
	return nil
}

// stream runs the source's Scan in a goroutine and writes the batches it hands over with prepared multi-row
// INSERTs, keeping them in c for the feed. It returns the rows read and the largest watermark value among them.
func (s *Syncer) stream(ctx context.Context, tx *sql.Tx, p *plan, req source.ScanRequest, c *collector) (int64, time.Time, error) {
	scanCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []source.Row, 4)
	scanDone := make(chan scanResult, 1)
	go func() {
		var res scanResult
		batch := make([]source.Row, 0, batchRows)
		res.err = s.src.Scan(scanCtx, req, func(r source.Row) error {
			if len(r) != len(p.cols) {
				return fmt.Errorf("source returned %d values for %d columns", len(r), len(p.cols))
			}
			if wm := p.normalise(r); wm.After(res.maxWM) {
				res.maxWM = wm
			}
			res.rows++
			batch = append(batch, r)
			if len(batch) == batchRows {
				select {
				case batches <- batch:
				case <-scanCtx.Done():
					return scanCtx.Err()
				}
				batch = make([]source.Row, 0, batchRows)
			}
			return nil
		})
		if res.err == nil && len(batch) > 0 {
			select {
			case batches <- batch:
			case <-scanCtx.Done():
				res.err = scanCtx.Err()
			}
		}
		close(batches)
		scanDone <- res
	}()

	w, err := newWriter(ctx, tx, p)
	if err == nil {
		for batch := range batches {
			c.keep(batch)
			if err = w.write(ctx, batch); err != nil {
				break
			}
		}
		err = errors.Join(err, w.flush(ctx), w.close())
	}
	if err != nil {
		cancel()
		for range batches { //nolint:revive // drain so the reader can finish
		}
	}
	res := <-scanDone
	if err != nil {
		return res.rows, time.Time{}, fmt.Errorf("write: %w", err)
	}
	if res.err != nil {
		return res.rows, time.Time{}, fmt.Errorf("read from %s warehouse: %w", s.src.Kind(), res.err)
	}
	return res.rows, res.maxWM, nil
}

type scanResult struct {
	rows  int64
	maxWM time.Time
	err   error
}

// writer buffers rows into the arguments of one prepared multi-row INSERT.
type writer struct {
	tx   *sql.Tx
	p    *plan
	stmt *sql.Stmt
	args []any
	n    int // rows buffered in args
}

func newWriter(ctx context.Context, tx *sql.Tx, p *plan) (*writer, error) {
	stmt, err := tx.PrepareContext(ctx, p.insertSQL(p.rowsPerInsert))
	if err != nil {
		return nil, fmt.Errorf("prepare insert: %w", err)
	}
	return &writer{tx: tx, p: p, stmt: stmt, args: make([]any, p.rowsPerInsert*len(p.cols))}, nil
}

func (w *writer) write(ctx context.Context, rows []source.Row) error {
	nc := len(w.p.cols)
	for _, r := range rows {
		copy(w.args[w.n*nc:], r)
		w.n++
		if w.n == w.p.rowsPerInsert {
			if _, err := w.stmt.ExecContext(ctx, w.args...); err != nil {
				return fmt.Errorf("insert: %w", err)
			}
			w.n = 0
		}
	}
	return nil
}

func (w *writer) flush(ctx context.Context) error {
	if w.n == 0 {
		return nil
	}
	nc := len(w.p.cols)
	if _, err := w.tx.ExecContext(ctx, w.p.insertSQL(w.n), w.args[:w.n*nc]...); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	w.n = 0
	return nil
}

func (w *writer) close() error {
	if err := w.stmt.Close(); err != nil {
		return fmt.Errorf("close insert: %w", err)
	}
	return nil
}

// deleteOlder prunes a history table's rows created before cutoff (created_at is indexed).
func deleteOlder(ctx context.Context, tx *sql.Tx, table string, cutoff time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE created_at < ?", localdb.FormatTime(cutoff))
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	return n, nil
}

// prune applies retention to a history table that was not read this run.
func prune(ctx context.Context, tx *sql.Tx, p *plan, cutoff time.Time, tr *TableReport) error {
	n, err := deleteOlder(ctx, tx, p.table.Name, cutoff)
	if err != nil {
		return fmt.Errorf("prune %s: %w", p.table.Name, err)
	}
	if n == 0 {
		return nil
	}
	tr.Pruned = n
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+p.table.Name).Scan(&tr.RowsLocal); err != nil {
		return fmt.Errorf("prune %s: count: %w", p.table.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sync_state SET rows_local = ? WHERE table_name = ?`, tr.RowsLocal,
		p.table.Name); err != nil {
		return fmt.Errorf("prune %s: %w", p.table.Name, err)
	}
	return nil
}

// suspendIndexes speeds up filling an empty table: when the table holds no rows, it drops the table's secondary
// indexes (those the migrations created; the primary key that deduplicates stays) and returns a function that
// creates them again from their own SQL, which sorts once instead of updating every index row by row. Both run in
// the caller's transaction, so a failed copy rolls the indexes back with the rows, and the schema after the copy is
// exactly the migrations' schema. For a table that is not empty it does nothing.
func suspendIndexes(ctx context.Context, tx *sql.Tx, table string) (rebuild func() error, err error) {
	noop := func() error { return nil }
	var any int
	switch err := tx.QueryRowContext(ctx, "SELECT 1 FROM "+table+" LIMIT 1").Scan(&any); {
	case err == nil:
		return noop, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("check empty: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema
		WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`, table)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	type index struct{ name, sql string }
	var indexes []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.sql); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list indexes: %w", err)
		}
		indexes = append(indexes, ix)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+strings.ReplaceAll(ix.name, `"`, `""`)+`"`); err != nil {
			return nil, fmt.Errorf("suspend index %s: %w", ix.name, err)
		}
	}
	return func() error {
		for _, ix := range indexes {
			if _, err := tx.ExecContext(ctx, ix.sql); err != nil {
				return fmt.Errorf("rebuild index %s: %w", ix.name, err)
			}
		}
		return nil
	}, nil
}

// countWindow counts the mirror's rows of a table whose watermark falls in [from, before).
func countWindow(ctx context.Context, tx *sql.Tx, t elementary.Table, from, before time.Time) (int64, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t.Name+" WHERE "+t.Watermark+" >= ? AND "+
		t.Watermark+" < ?", localdb.FormatTime(from), localdb.FormatTime(before)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the window: %w", err)
	}
	return n, nil
}

// windowShort reports whether the mirror holds fewer rows in the window [from, before) than the warehouse holds
// distinct keys there: two counts — the warehouse's one aggregate over the window — instead of every key. (A row
// the warehouse deleted in the window while another arrived late would hide that one; Elementary does not delete
// recent rows.)
func (s *Syncer) windowShort(ctx context.Context, tx *sql.Tx, p *plan, from, before time.Time) (bool, error) {
	t := p.table
	var remote int64
	local, err := countWindow(ctx, tx, t, from, before)
	if err != nil {
		return false, err
	}
	err = s.src.Scan(ctx, source.ScanRequest{Table: t.Name, Columns: t.Key, SinceColumn: t.Watermark,
		Since: from, Before: before, CountDistinct: true}, func(r source.Row) error {
		n, ok := r[0].(int64)
		if !ok {
			return fmt.Errorf("count of %s is %T", t.Name, r[0])
		}
		remote = n
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("count the window: %w", err)
	}
	return local < remote, nil
}

// lateRows reports whether the warehouse holds rows in the window [from, before) whose keys the mirror lacks, and
// the earliest watermark value among them: rows inserted after the last read with an earlier insert time (a long
// transaction committing late, or a writer whose session zone is behind another's).
func (s *Syncer) lateRows(ctx context.Context, tx *sql.Tx, p *plan, from, before time.Time) (time.Time, bool, error) {
	t := p.table
	exists, err := tx.PrepareContext(ctx, "SELECT 1 FROM "+t.Name+" WHERE "+strings.Join(t.Key, " = ? AND ")+" = ?")
	if err != nil {
		return time.Time{}, false, fmt.Errorf("check late rows: %w", err)
	}
	defer exists.Close()
	var earliest time.Time
	late := false
	nk := len(t.Key)
	err = s.src.Scan(ctx, source.ScanRequest{Table: t.Name, Columns: append(slices.Clone(t.Key), t.Watermark),
		SinceColumn: t.Watermark, Since: from, Before: before}, func(r source.Row) error {
		for _, k := range r[:nk] {
			if k == nil {
				return nil // a NULL key cannot be deduplicated anyway
			}
		}
		var one int
		switch err := exists.QueryRowContext(ctx, r[:nk]...).Scan(&one); {
		case errors.Is(err, sql.ErrNoRows):
			_, at := normTime(r[nk])
			if at.IsZero() {
				at = from
			}
			if !late || at.Before(earliest) {
				earliest = at
			}
			late = true
		case err != nil:
			return err
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("check late rows: %w", err)
	}
	return earliest, late, nil
}
