// Package mirror copies Elementary's tables from a warehouse source into Todai's local SQLite mirror, incrementally:
// a table whose fingerprint did not change is not read at all; definition tables (dbt artifacts) are replaced whole
// when they changed; history tables are read by watermark (with an overlap for late rows) and deduplicated on their
// natural key. A sync writes in one transaction: every table it read, their sync_state rows, the derived tables they
// imply and the sync_runs row become visible to readers together, so that an answer never mixes two syncs. Each
// table is written under its own savepoint, so a table that fails is left with its watermark as it was while the
// others land.
package mirror

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/source"
)

// Source is what the sync needs from a warehouse: a subset of source.Source.
type Source interface {
	// Kind names the warehouse ("sqlite", "postgres", "snowflake").
	Kind() string
	// Discover lists the Elementary tables present and their columns.
	Discover(ctx context.Context) (source.Catalog, error)
	// Fingerprints returns a cheap change marker per present table.
	Fingerprints(ctx context.Context) (map[string]source.Fingerprint, error)
	// Scan streams the requested rows to fn; fn may keep each Row.
	Scan(ctx context.Context, req source.ScanRequest, fn func(source.Row) error) error
	// Counts reports the queries sent so far.
	Counts() source.Counts
}

// Deriver rebuilds the read model's derived tables (nodes, lineage edges …) from the mirror. Refresh runs in the
// sync's write transaction after the mirror tables were written; changed names the tables that changed (every
// definition table when a previous Refresh failed).
type Deriver interface {
	Refresh(ctx context.Context, tx *sql.Tx, changed map[string]bool) error
}

// Options tune a Syncer. Zero values take the defaults.
type Options struct {
	// BackfillDays is how far back the first sync of a history table reads (default 30).
	BackfillDays int
	// RetentionDays is how long history rows stay in the mirror, by created_at (default 90; a row is pruned once it
	// is that old whatever its writer's zone).
	RetentionDays int
	// Overlap is how far before the watermark an incremental read starts, to catch late rows (default 2h).
	Overlap time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives one line per table read and one per run (default slog.Default()).
	Logger *slog.Logger
	// Deriver, when set, is refreshed after a sync that changed anything.
	Deriver Deriver
	// Feed, when set, receives what each sync read, for the other replicas' mirrors (see Feed); Holder names this
	// replica in it.
	Feed   *Feed
	Holder string
}

func (o Options) withDefaults() Options {
	if o.BackfillDays <= 0 {
		o.BackfillDays = 30
	}
	if o.RetentionDays <= 0 {
		o.RetentionDays = 90
	}
	if o.Overlap <= 0 {
		o.Overlap = 2 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// retentionCutoff is the created_at before which history rows are pruned at now. created_at is in each writer's
// session zone: only what is older than retention whatever that zone is pruned.
func (o Options) retentionCutoff(now time.Time) time.Time {
	return now.AddDate(0, 0, -o.RetentionDays).Add(-elementary.MaxZoneBehindUTC)
}

// Syncer syncs one source into one mirror. Its methods are safe for concurrent use; runs are serialised.
type Syncer struct {
	db   *localdb.DB
	src  Source
	opts Options

	mu    sync.Mutex
	plans map[string]*plan // nil until discovered; reset after a failed run
	// incomplete lists, per table, the required columns the warehouse lacks (such tables have no plan).
	incomplete map[string][]string
	// leftOut names the optional tables that lack required columns: skipped without failing the sync.
	leftOut map[string]bool
	// fingerprinted names the tables that had a fingerprint at the previous run.
	fingerprinted map[string]bool
}

// New returns a Syncer copying src into db.
func New(db *localdb.DB, src Source, opts Options) *Syncer {
	return &Syncer{db: db, src: src, opts: opts.withDefaults()}
}

// Report tells what one Sync did.
type Report struct {
	// RunID is the sync_runs row of this run.
	RunID    int64
	Started  time.Time
	Finished time.Time
	// Tables has one entry per Elementary table, in elementary.Tables() order.
	Tables []TableReport
	// TablesRead counts the tables whose rows were read (their fingerprint changed).
	TablesRead int
	// RowsRead counts the rows read from the warehouse.
	RowsRead int64
	// MetadataQueries and DataQueries are the queries the source sent during the run, and WarehouseTime the time
	// spent in them.
	MetadataQueries int64
	DataQueries     int64
	WarehouseTime   time.Duration
	// Derived tells whether the Deriver was refreshed.
	Derived bool
	// Committed tells whether the run's transaction committed: every table without an Err landed.
	Committed bool
}

// TableReport tells what one Sync did with one table.
type TableReport struct {
	Table string
	// Present is false when the warehouse lacks the table (it is then skipped).
	Present bool
	// Read is true when the table changed and its rows were read.
	Read bool
	// RowsRead counts rows read; RowsLocal the rows in the mirror table afterwards (when read or pruned).
	RowsRead  int64
	RowsLocal int64
	// Pruned counts history rows deleted by retention.
	Pruned int64
	// Watermark is the history table's watermark after the run.
	Watermark time.Time
	Duration  time.Duration
	// Err is the table's failure, if any.
	Err error
}

// tableState is a table's sync_state row as the run starts.
type tableState struct {
	fingerprint string
	watermark   time.Time
	rowsLocal   int64
	// lastSuccess is when the table was last read (by this mirror's sync, or the one whose feed entry it applied).
	lastSuccess time.Time
}

// Sync runs one sync. It returns an error naming the tables that failed; the others were synced. A run that could
// not discover or fingerprint the warehouse fails whole.
func (s *Syncer) Sync(ctx context.Context) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	log := s.opts.Logger
	rep := Report{Started: s.opts.Now()}
	counts0 := s.src.Counts()
	id, err := s.startRun(ctx, rep.Started)
	if err != nil {
		return rep, err
	}
	rep.RunID = id
	restore := s.growCache(ctx)
	finish := func(runErr error) {
		counts := s.src.Counts()
		rep.MetadataQueries = counts.Metadata - counts0.Metadata
		rep.DataQueries = counts.Data - counts0.Data
		rep.WarehouseTime = counts.Elapsed - counts0.Elapsed
		rep.Finished = s.opts.Now()
	}
	recorded, runErr := s.run(ctx, &rep, finish)
	rep.Committed = recorded
	restore()
	if runErr != nil {
		// Rediscover on the next run: the warehouse may have changed under us.
		s.plans = nil
	}
	if !recorded {
		// The run failed before its transaction committed (or the commit failed): record that on its own.
		finish(runErr)
		if err := finishRun(context.WithoutCancel(ctx), s.db.Write, rep, runErr, false); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	attrs := []any{"source", s.src.Kind(), "run", rep.RunID, "tables_read", rep.TablesRead, "rows", rep.RowsRead,
		"metadata_queries", rep.MetadataQueries, "data_queries", rep.DataQueries, "derived", rep.Derived,
		"duration", rep.Finished.Sub(rep.Started)}
	if runErr != nil {
		log.ErrorContext(ctx, "sync failed", append(attrs, "err", runErr)...)
	} else {
		log.InfoContext(ctx, "sync done", attrs...)
	}
	return rep, runErr
}

// run reads the changed tables and writes them, the derived tables and the run's sync_runs row (finish fills rep's
// totals first) in one transaction. recorded says whether that transaction committed the run's row.
func (s *Syncer) run(ctx context.Context, rep *Report, finish func(error)) (recorded bool, err error) {
	if s.plans == nil {
		if err := s.discover(ctx); err != nil {
			return false, err
		}
	}
	fps, err := s.src.Fingerprints(ctx)
	if err != nil {
		return false, fmt.Errorf("fingerprint %s warehouse: %w", s.src.Kind(), err)
	}
	changedTables := s.tablesChanged(fps)
	s.fingerprinted = map[string]bool{}
	for name := range fps {
		s.fingerprinted[name] = true
	}
	if changedTables {
		// A table appeared (alerts_v2 after edr's first run, a package upgrade) or vanished (a `create or replace`
		// that dropped its grant): discover again, so it is synced, or left out, from this run on.
		s.opts.Logger.InfoContext(ctx, "elementary tables changed; discovering them again")
		if err := s.discover(ctx); err != nil {
			return false, err
		}
	}
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sync: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var c *collector
	if s.opts.Feed != nil {
		c = &collector{max: s.opts.Feed.maxRows}
	}
	runErr := s.copyAll(ctx, tx, fps, rep, c)
	finish(runErr)
	if c != nil && ctx.Err() == nil {
		if err := s.publish(ctx, tx, *rep, runErr, c); err != nil {
			return false, errors.Join(runErr, err)
		}
	}
	if err := finishRun(ctx, tx, *rep, runErr, true); err != nil {
		return false, errors.Join(runErr, err)
	}
	if err := tx.Commit(); err != nil {
		return false, errors.Join(runErr, fmt.Errorf("sync: commit: %w", err))
	}
	return true, runErr
}

// copyAll reads every changed table into tx, each under its own savepoint (a table that fails is rolled back alone
// and its failure recorded), keeping what it read in c (nil: kept nowhere), prunes the others, and refreshes the
// derived tables.
func (s *Syncer) copyAll(ctx context.Context, tx *sql.Tx, fps map[string]source.Fingerprint, rep *Report,
	c *collector) error {
	states, err := loadStates(ctx, tx)
	if err != nil {
		return err
	}
	now := s.opts.Now()
	cutoff := s.opts.retentionCutoff(now)
	changed := map[string]bool{}
	var failed []string
	var errs []error
	fail := func(tr *TableReport, err error) {
		tr.Err = err
		failed = append(failed, tr.Table)
		errs = append(errs, err)
		if rerr := recordFailure(context.WithoutCancel(ctx), tx, tr.Table, now, err); rerr != nil {
			errs = append(errs, rerr)
		}
	}
	for _, t := range elementary.Tables() {
		tr := TableReport{Table: t.Name}
		p := s.plans[t.Name]
		st := states[t.Name]
		if missing := s.incomplete[t.Name]; p == nil && len(missing) > 0 {
			// The table exists but lacks columns Todai cannot do without: that table fails, the others sync.
			tr.Present = true
			fail(&tr, fmt.Errorf("table %s lacks required column(s) %s (Elementary package too old or not Elementary's table?)",
				t.Name, strings.Join(missing, ", ")))
			rep.Tables = append(rep.Tables, tr)
			continue
		}
		if p == nil {
			rep.Tables = append(rep.Tables, tr)
			if !t.Optional {
				s.opts.Logger.WarnContext(ctx, "elementary table missing from warehouse; skipped", "table", t.Name)
			}
			continue
		}
		tr.Present = true
		tr.Watermark = st.watermark
		tr.RowsLocal = st.rowsLocal
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		fp, hasFP := fps[t.Name]
		read := !hasFP || string(fp) != st.fingerprint || st.fingerprint == ""
		if read || t.Kind == elementary.History {
			err := savepoint(ctx, tx, "mirror_table", func() error {
				if read {
					tr.Read = true
					return s.copyTable(ctx, tx, p, st, fp, now, cutoff, &tr, c)
				}
				return prune(ctx, tx, p, cutoff, &tr)
			})
			switch {
			case err != nil:
				fail(&tr, err)
			case read:
				changed[t.Name] = true
				rep.TablesRead++
				rep.RowsRead += tr.RowsRead
			}
		}
		rep.Tables = append(rep.Tables, tr)
	}
	derived, err := s.derive(ctx, tx, changed, now)
	rep.Derived = derived
	if err != nil {
		errs = append(errs, err)
	}
	if len(failed) > 0 {
		return fmt.Errorf("sync failed for %s: %w", strings.Join(failed, ", "), errors.Join(errs...))
	}
	return errors.Join(errs...)
}

// savepoint runs f under a savepoint of tx: what f wrote is kept when it succeeds and rolled back alone when it
// fails, the transaction going on either way.
func savepoint(ctx context.Context, tx *sql.Tx, name string, f func() error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := f(); err != nil {
		// The rollback runs even when ctx ended, so that the transaction is left as it was before f.
		bg := context.WithoutCancel(ctx)
		if _, rerr := tx.ExecContext(bg, "ROLLBACK TO "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		if _, rerr := tx.ExecContext(bg, "RELEASE "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("release savepoint: %w", rerr))
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// discover reads the warehouse catalog, builds the plans and records presence and columns in sync_state. A
// table's stored fingerprint is cleared when its columns changed, so it is read again with the new columns.
func (s *Syncer) discover(ctx context.Context) error {
	cat, err := s.src.Discover(ctx)
	incomplete := map[string][]string{}
	var schemaErr *source.SchemaError
	switch {
	case errors.As(err, &schemaErr) && !schemaErr.NoTables:
		// Missing optional pieces are normal across Elementary versions: sync what is there, fail the tables
		// that lack required columns one by one.
		for _, m := range schemaErr.Missing {
			incomplete[m.Table] = append(incomplete[m.Table], m.Column)
		}
	case err != nil:
		return fmt.Errorf("discover %s warehouse: %w", s.src.Kind(), err)
	}
	leftOut := map[string]bool{}
	for name, missing := range incomplete {
		if t, ok := elementary.Lookup(name); ok && t.Optional {
			// An optional table of an old install (an early dbt_columns was a view without unique_id) is left
			// out like a missing one; it must not fail every sync.
			s.opts.Logger.WarnContext(ctx, "optional elementary table lacks required columns; skipped",
				"table", name, "missing", strings.Join(missing, ", "))
			delete(incomplete, name)
			leftOut[name] = true
		}
	}
	s.incomplete, s.leftOut = incomplete, leftOut
	plans := map[string]*plan{}
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record discovery: %w", err)
	}
	defer tx.Rollback()
	for _, t := range elementary.Tables() {
		present := cat[t.Name]
		var cols any
		if present != nil {
			p := newPlan(t, present)
			plans[t.Name] = p
			b, err := json.Marshal(p.cols)
			if err != nil {
				return fmt.Errorf("record discovery of %s: %w", t.Name, err)
			}
			cols = string(b)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_state (table_name, present, columns) VALUES (?, ?, ?)
			ON CONFLICT(table_name) DO UPDATE SET present = excluded.present,
				fingerprint = CASE WHEN sync_state.columns IS excluded.columns THEN sync_state.fingerprint END,
				columns = excluded.columns`, t.Name, present != nil, cols)
		if err != nil {
			return fmt.Errorf("record discovery of %s: %w", t.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record discovery: %w", err)
	}
	s.plans = plans
	return nil
}

// tablesChanged reports whether the fingerprinted tables differ from the discovered ones: a table with a fingerprint
// but no plan (and not left out as incomplete), or a planned table that lost the fingerprint it had.
func (s *Syncer) tablesChanged(fps map[string]source.Fingerprint) bool {
	for name := range fps {
		if _, known := elementary.Lookup(name); !known {
			continue
		}
		if _, planned := s.plans[name]; !planned {
			if _, incomplete := s.incomplete[name]; !incomplete && !s.leftOut[name] {
				return true
			}
		}
	}
	for name := range s.plans {
		if _, ok := fps[name]; !ok && s.fingerprinted[name] {
			return true // it had a fingerprint at the previous sync (a view never has one on PostgreSQL)
		}
	}
	return false
}

func loadStates(ctx context.Context, tx *sql.Tx) (map[string]tableState, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT table_name, COALESCE(fingerprint, ''), COALESCE(watermark, ''), rows_local,
			COALESCE(last_success_at, '') FROM sync_state`)
	if err != nil {
		return nil, fmt.Errorf("read sync state: %w", err)
	}
	defer rows.Close()
	out := map[string]tableState{}
	for rows.Next() {
		var name, wm, success string
		var st tableState
		if err := rows.Scan(&name, &st.fingerprint, &wm, &st.rowsLocal, &success); err != nil {
			return nil, fmt.Errorf("read sync state: %w", err)
		}
		if success != "" {
			t, err := localdb.ParseTime(success)
			if err != nil {
				return nil, fmt.Errorf("read sync state of %s: last read %q: %w", name, success, err)
			}
			st.lastSuccess = t
		}
		if wm != "" {
			t, err := time.Parse(time.RFC3339Nano, wm)
			if err != nil {
				return nil, fmt.Errorf("read sync state of %s: watermark %q: %w", name, wm, err)
			}
			st.watermark = t
		}
		out[name] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sync state: %w", err)
	}
	return out, nil
}

// recordFailure notes a table's failure in its sync_state row.
func recordFailure(ctx context.Context, tx *sql.Tx, table string, now time.Time, cause error) error {
	at := localdb.FormatTime(now)
	_, err := tx.ExecContext(ctx, `UPDATE sync_state SET last_error = ?, last_error_at = ?, last_attempt_at = ?
		WHERE table_name = ?`, cause.Error(), at, at, table)
	if err != nil {
		return fmt.Errorf("record failure of %s: %w", table, err)
	}
	return nil
}

// derive refreshes the Deriver in tx, under its own savepoint, when anything changed or a previous refresh failed,
// and clears the "derived is dirty" flag; a refresh that fails is rolled back alone and leaves the flag set.
func (s *Syncer) derive(ctx context.Context, tx *sql.Tx, changed map[string]bool, now time.Time) (bool, error) {
	if s.opts.Deriver == nil {
		return false, nil
	}
	var dirty bool
	if err := tx.QueryRowContext(ctx, `SELECT dirty FROM sync_derived WHERE id = 1`).Scan(&dirty); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("read derived state: %w", err)
	}
	if !dirty && len(changed) == 0 {
		return false, nil
	}
	if dirty {
		for _, t := range elementary.Tables() {
			if t.Kind == elementary.Definition {
				changed[t.Name] = true
			}
		}
	}
	err := savepoint(ctx, tx, "derived_tables", func() error {
		if err := s.opts.Deriver.Refresh(ctx, tx, changed); err != nil {
			return fmt.Errorf("refresh derived tables: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_derived (id, dirty, refreshed_at) VALUES (1, 0, ?)
			ON CONFLICT(id) DO UPDATE SET dirty = 0, refreshed_at = excluded.refreshed_at, last_error = NULL,
			last_error_at = NULL`, localdb.FormatTime(now)); err != nil {
			return fmt.Errorf("refresh derived tables: %w", err)
		}
		return nil
	})
	if err != nil {
		at := localdb.FormatTime(now)
		_, rerr := tx.ExecContext(context.WithoutCancel(ctx), `INSERT INTO sync_derived (id, dirty, last_error, last_error_at)
			VALUES (1, 1, ?, ?) ON CONFLICT(id) DO UPDATE SET dirty = 1, last_error = excluded.last_error,
			last_error_at = excluded.last_error_at`, err.Error(), at)
		return false, errors.Join(err, rerr)
	}
	s.opts.Logger.InfoContext(ctx, "derived tables refreshed", "changed", sortedKeys(changed))
	return true, nil
}

func (s *Syncer) startRun(ctx context.Context, started time.Time) (int64, error) {
	res, err := s.db.Write.ExecContext(ctx, `INSERT INTO sync_runs (started_at) VALUES (?)`, localdb.FormatTime(started))
	if err != nil {
		return 0, fmt.Errorf("record sync start: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("record sync start: %w", err)
	}
	return id, nil
}

// execer is a connection pool or a transaction: where finishRun writes.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// finishRun records how a run ended in its sync_runs row; inTx says it is written in the run's own transaction,
// which holds what the run read (committed: the tables that did not fail landed).
func finishRun(ctx context.Context, db execer, rep Report, runErr error, inTx bool) error {
	var msg any
	if runErr != nil {
		msg = runErr.Error()
	}
	_, err := db.ExecContext(ctx, `UPDATE sync_runs SET finished_at = ?, ok = ?, committed = ?, tables_read = ?,
		rows_read = ?, metadata_queries = ?, data_queries = ?, warehouse_ms = ?, error = ? WHERE id = ?`,
		localdb.FormatTime(rep.Finished), runErr == nil, inTx, rep.TablesRead, rep.RowsRead, rep.MetadataQueries,
		rep.DataQueries, rep.WarehouseTime.Milliseconds(), msg, rep.RunID)
	if err != nil {
		return fmt.Errorf("record sync end: %w", err)
	}
	return nil
}

// syncCacheKiB is the page cache the writer connection gets during a sync. A first sync writes millions of rows
// into several indexes in one transaction per table; with SQLite's default 2 MB cache every index insert re-reads
// pages from the WAL and the sync runs ten times slower.
const syncCacheKiB = 64 * 1024

// growCache enlarges the writer connection's page cache for the run and returns the function that restores it.
// The writer pool holds a single connection, so both pragmas reach the same one.
func (s *Syncer) growCache(ctx context.Context) func() {
	var prev int64
	if err := s.db.Write.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&prev); err != nil {
		s.opts.Logger.WarnContext(ctx, "read cache size", "err", err)
		return func() {}
	}
	if _, err := s.db.Write.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", syncCacheKiB)); err != nil {
		s.opts.Logger.WarnContext(ctx, "grow cache", "err", err)
		return func() {}
	}
	return func() {
		if _, err := s.db.Write.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = %d", prev)); err != nil {
			s.opts.Logger.WarnContext(ctx, "restore cache size", "err", err)
		}
	}
}

// sortedKeys lists m's keys in order, for logs and messages.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
