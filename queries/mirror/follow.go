package mirror

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
)

// followBatch is how many entries CatchUp reads from the feed at a time.
const followBatch = 8

// readBackoff is how long a Follower waits, after reading the warehouse itself failed, before it tries again.
const readBackoff = time.Minute

// Follower keeps one replica's mirror up to date from the Feed instead of the warehouse. Its methods are safe for
// concurrent use; catch-ups are serialised.
type Follower struct {
	s    *Syncer // its options, and the derived tables' refresh; it has no source
	feed *Feed

	mu        sync.Mutex
	readAfter time.Time // after a failed read of the warehouse: no other before then
}

// NewFollower returns the follower of feed into db; opts are the mirror's (retention, the derived tables, clock,
// logger), as its Syncer has them.
func NewFollower(db *localdb.DB, feed *Feed, opts Options) *Follower {
	return &Follower{s: &Syncer{db: db, opts: opts.withDefaults()}, feed: feed}
}

// FollowReport tells what one CatchUp did.
type FollowReport struct {
	// Applied counts the entries applied, and Rows their rows.
	Applied int
	Rows    int64
	// Position is the last entry the mirror holds afterwards.
	Position int64
	// Read is the sync that read the warehouse because the feed could not bring the mirror up to date (nil when it
	// could), and Why says why.
	Read *Report
	Why  string
}

// errMoved says the mirror's position moved while an entry was being applied (this replica's own sync published):
// the catch-up starts again from the new position.
var errMoved = errors.New("the mirror's feed position moved")

// lacking says an entry cannot be applied to this mirror: it was read from rows this mirror lacks, or by a Todai
// that mirrors other columns.
type lacking struct{ why string }

func (l lacking) Error() string { return l.why }

// CatchUp applies the entries published since the mirror's position, each in one transaction of the mirror (rows,
// sync state, derived tables, a sync_runs row naming the entry, the new position). When the feed cannot bring the
// mirror up to date — the mirror never followed it, entries after its position were pruned (a long stop), the feed
// no longer holds the entry at its position (a shared state restored or made anew), an entry carries no rows (a
// sync that read too many), or an entry was read from rows this mirror lacks (its read began past this mirror's
// watermark, or the reading mirror held more rows where late rows are looked for) — it reads the
// warehouse itself through read, a sync that does not publish, then follows the feed from where the feed stood
// before that read: entries published meanwhile are applied again, which changes nothing (history rows are
// deduplicated on their key, and a definition table is replaced only by a read no older than its own). It reads the
// warehouse at most once per call, and not again within a minute of a failed read; a read that committed with
// tables failed is followed from as any other, and its failure returned.
func (f *Follower) CatchUp(ctx context.Context, read func(ctx context.Context) (Report, error)) (FollowReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rep FollowReport
	var readErr error // a read of the warehouse that committed with tables failed
	pos, known, err := position(ctx, f.s.db.Read)
	if err != nil {
		return rep, err
	}
	readInstead := func(why string) error {
		if rep.Read != nil {
			return fmt.Errorf("the mirror feed cannot bring this mirror up to date (%s) right after it read the warehouse", why)
		}
		if now := f.s.opts.Now(); now.Before(f.readAfter) {
			return fmt.Errorf("the mirror feed cannot bring this mirror up to date (%s); reading the warehouse failed, "+
				"next try after %s", why, f.readAfter.Format(time.RFC3339))
		}
		f.s.opts.Logger.InfoContext(ctx, "reading the warehouse: the mirror feed cannot bring this mirror up to date",
			"why", why)
		head, err := f.feed.head(ctx)
		if err != nil {
			return err
		}
		r, err := read(ctx)
		rep.Read, rep.Why = &r, why
		if err != nil && !r.Committed {
			f.readAfter = f.s.opts.Now().Add(readBackoff)
			return fmt.Errorf("read the warehouse (%s): %w", why, err)
		}
		// Tables that failed kept their watermarks, from which a later entry's read must then have begun: the
		// mirror follows the feed from here, and the failure is reported.
		readErr = err
		if err := setPosition(ctx, f.s.db.Write, head, f.s.opts.Now()); err != nil {
			return err
		}
		pos = head
		return nil
	}
	switch {
	case !known:
		if err := readInstead("this mirror has not followed the feed yet"); err != nil {
			return rep, err
		}
	default:
		holds, err := f.feed.holds(ctx, pos)
		if err != nil {
			return rep, err
		}
		if !holds {
			if err := readInstead(fmt.Sprintf("the feed no longer holds entry %d as this mirror applied it (the shared "+
				"state was restored or made anew)", pos.Seq)); err != nil {
				return rep, err
			}
		}
	}
	for {
		entries, err := f.feed.after(ctx, pos.Seq, followBatch)
		if err != nil {
			return rep, err
		}
		if len(entries) == 0 {
			rep.Position = pos.Seq
			if readErr != nil {
				return rep, fmt.Errorf("read the warehouse (%s): %w", rep.Why, readErr)
			}
			return rep, nil
		}
		for _, e := range entries {
			var why string
			switch {
			case e.Prev != pos.Seq:
				why = fmt.Sprintf("entries after %d are no longer in the feed", pos.Seq)
			case !e.carried():
				why = fmt.Sprintf("entry %d carries none of the %d rows its sync read", e.Seq, e.Rows)
			default:
				var l lacking
				switch err := f.apply(ctx, &e, pos); {
				case errors.Is(err, errMoved):
					if pos, _, err = position(ctx, f.s.db.Read); err != nil {
						return rep, err
					}
				case errors.As(err, &l):
					why = l.why
				case err != nil:
					return rep, err
				default:
					pos = e.mark()
					rep.Applied++
					rep.Rows += e.Rows
				}
			}
			if why != "" {
				if err := readInstead(why); err != nil {
					return rep, err
				}
			}
			if pos.Seq != e.Seq {
				break // read again from the new position
			}
		}
	}
}

// apply writes entry e to the mirror in one transaction, when the mirror's position is still from.
func (f *Follower) apply(ctx context.Context, e *feedEntry, from feedMark) error {
	s := f.s
	started := time.Now()
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apply the feed's entry %d: %w", e.Seq, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := e.decode(); err != nil {
		return err
	}
	defer func() { e.Batch = nil }() // one entry's rows in memory at a time
	if pos, known, err := position(ctx, tx); err != nil {
		return err
	} else if !known || pos != from {
		return errMoved
	}
	states, err := loadStates(ctx, tx)
	if err != nil {
		return err
	}
	now := s.opts.Now()
	cutoff := s.opts.retentionCutoff(now)
	changed := map[string]bool{}
	for _, ft := range e.Batch.Tables {
		applied, err := applyTable(ctx, tx, e.Seq, ft, states[ft.Table], cutoff)
		if err != nil {
			return err
		}
		if applied {
			changed[ft.Table] = true
		}
	}
	for _, t := range elementary.Tables() {
		if t.Kind == elementary.History && !changed[t.Name] {
			var tr TableReport
			if err := prune(ctx, tx, &plan{table: t}, cutoff, &tr); err != nil {
				return err
			}
		}
	}
	if _, err := s.derive(ctx, tx, changed, now); err != nil {
		// Recorded in sync_derived (the next catch-up refreshes them again), as a sync records it.
		s.opts.Logger.ErrorContext(ctx, "derived tables not refreshed", "entry", e.Seq, "err", err)
	}
	var failed any
	if e.Batch.Failed != "" {
		failed = "the sync of " + e.Holder + ", applied from the mirror feed: " + e.Batch.Failed
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_runs (started_at, finished_at, ok, committed, tables_read,
		rows_read, feed_seq, error) VALUES (?, ?, ?, 1, ?, ?, ?, ?)`, localdb.FormatTime(e.ReadAt), localdb.FormatTime(s.opts.Now()),
		e.Batch.Failed == "", e.Tables, e.Rows, e.Seq, failed); err != nil {
		return fmt.Errorf("apply the feed's entry %d: record the run: %w", e.Seq, err)
	}
	if err := setPosition(ctx, tx, e.mark(), now); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("apply the feed's entry %d: commit: %w", e.Seq, err)
	}
	s.opts.Logger.InfoContext(ctx, "mirror feed entry applied", "entry", e.Seq, "holder", e.Holder,
		"tables", len(e.Batch.Tables), "rows", e.Rows, "read_at", e.ReadAt, "duration", time.Since(started))
	return nil
}

// applyTable writes one table of entry seq, as the sync that read it wrote it to its own mirror, and its sync
// state; applied is false when the mirror's copy of a definition table is newer than the entry's.
func applyTable(ctx context.Context, tx *sql.Tx, seq int64, ft feedTable, st tableState,
	cutoff time.Time) (applied bool, err error) {
	t, ok := elementary.Lookup(ft.Table)
	if !ok {
		return false, lacking{fmt.Sprintf("entry %d holds table %s, which this Todai does not mirror (the replicas "+
			"run different versions)", seq, ft.Table)}
	}
	present := map[string]bool{}
	for _, c := range ft.Columns {
		present[c] = true
	}
	p := newPlan(t, present)
	if !slices.Equal(p.cols, ft.Columns) || len(p.missing) > 0 {
		return false, lacking{fmt.Sprintf("entry %d holds other columns of %s than this Todai mirrors (the replicas "+
			"run different versions)", seq, t.Name)}
	}
	if t.Kind == elementary.History && !ft.Since.IsZero() && st.watermark.Add(time.Microsecond).Before(ft.Since) {
		return false, lacking{fmt.Sprintf("entry %d read %s from %s, and this mirror holds it only up to %s", seq,
			t.Name, localdb.FormatTime(ft.Since), localdb.FormatTime(st.watermark))}
	}
	if ft.Replace && st.lastSuccess.After(ft.ReadAt) {
		return false, nil // this mirror read the table later than the entry's sync did
	}
	fail := func(err error) (bool, error) {
		return false, fmt.Errorf("apply the feed's entry %d: %s: %w", seq, t.Name, err)
	}
	if ft.Replace {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.Name); err != nil {
			return fail(err)
		}
	}
	rebuild, err := suspendIndexes(ctx, tx, t.Name)
	if err != nil {
		return fail(err)
	}
	w, err := newWriter(ctx, tx, p)
	if err != nil {
		return fail(err)
	}
	err = errors.Join(w.write(ctx, ft.Rows), w.flush(ctx), w.close(), rebuild())
	if err != nil {
		return fail(err)
	}
	if t.Kind == elementary.History {
		if _, err := deleteOlder(ctx, tx, t.Name, cutoff); err != nil {
			return fail(err)
		}
	}
	if ft.WindowRows > 0 {
		n, err := countWindow(ctx, tx, t, ft.WindowFrom, ft.WindowBefore)
		if err != nil {
			return fail(err)
		}
		if n < ft.WindowRows {
			return false, lacking{fmt.Sprintf("entry %d's mirror held %d rows of %s between %s and %s, and this "+
				"mirror %d", seq, ft.WindowRows, t.Name, localdb.FormatTime(ft.WindowFrom),
				localdb.FormatTime(ft.WindowBefore), n)}
		}
	}
	var rowsLocal int64
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t.Name).Scan(&rowsLocal); err != nil {
		return fail(err)
	}
	wm := st.watermark
	if ft.Watermark.After(wm) {
		wm = ft.Watermark
	}
	if err := recordRead(ctx, tx, tableRead{table: t, fingerprint: ft.Fingerprint, watermark: wm,
		rowsRead: int64(len(ft.Rows)), rowsLocal: rowsLocal, at: ft.ReadAt, columns: p.cols}); err != nil {
		return fail(err)
	}
	return true, nil
}
