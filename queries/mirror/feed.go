package mirror

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/source"
	"github.com/todai-dev/todai/queries/statedb"
)

// DefaultFeedKeep is how long the feed keeps an entry: a replica stopped for longer reads the warehouse itself
// when it comes back.
const DefaultFeedKeep = 24 * time.Hour

// DefaultFeedMaxRows bounds the rows one entry carries. A sync that read more (a first sync's backfill, a large
// dbt build read after a long stop) publishes an entry without rows, and each other replica reads the warehouse
// itself instead: a feed entry must stay a quick write and read of Todai's state, not a copy of the warehouse.
const DefaultFeedMaxRows = 250_000

// Feed carries what one replica's sync read from the warehouse to the other replicas' mirrors, through Todai's
// shared state (the mirror_feed table): the replica that runs a sync tick publishes every table it read — its
// columns, rows, fingerprint and watermark — and every other replica's Follower applies that to its own mirror, so
// that the warehouse is read once per sync however many replicas there are. Entries are numbered by the state and
// each names the entry before it, so that a follower sees when it missed one (pruned after FeedOptions.Keep).
type Feed struct {
	db      *statedb.DB
	keep    time.Duration
	maxRows int64
	now     func() time.Time
}

// FeedOptions tune a Feed. Zero values take the defaults.
type FeedOptions struct {
	// Keep is how long entries are kept (DefaultFeedKeep).
	Keep time.Duration
	// MaxRows bounds the rows of one entry (DefaultFeedMaxRows).
	MaxRows int64
	// Now is the clock (time.Now).
	Now func() time.Time
}

// NewFeed returns the feed kept in db, Todai's shared state.
func NewFeed(db *statedb.DB, opts FeedOptions) *Feed {
	if opts.Keep <= 0 {
		opts.Keep = DefaultFeedKeep
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultFeedMaxRows
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Feed{db: db, keep: opts.Keep, maxRows: opts.MaxRows, now: opts.Now}
}

// feedBatch is what one sync read: the body of an entry.
type feedBatch struct {
	Tables []feedTable
	// Failed is the publishing sync's failure (tables that failed are not among Tables); empty when it succeeded.
	Failed string
}

// feedTable is one table as a sync read it: enough for another mirror to hold what the reading mirror holds, and to
// tell whether it holds what the read started from.
type feedTable struct {
	Table string
	// Columns are the columns read, in the plan's order (the order of each row's values).
	Columns []string
	// Replace says the rows are the whole table (a definition table), not rows to add (a history table).
	Replace bool
	// Since is where a history table's read began (zero for a first read, which read the backfill window): a mirror
	// whose watermark is before it lacks rows the reading mirror held, and cannot follow from this entry.
	Since time.Time
	// Fingerprint and Watermark are the table's sync state after the read.
	Fingerprint string
	Watermark   time.Time
	// ReadAt is when the sync read it.
	ReadAt time.Time
	// WindowFrom, WindowBefore and WindowRows: for a table read by its insert time, the reading mirror's rows in the
	// window where late rows are looked for, after the read (zero WindowRows: not checked). A mirror that holds
	// fewer there after applying the entry lacks a late row that the reading mirror got elsewhere.
	WindowFrom, WindowBefore time.Time
	WindowRows               int64
	// Rows are the rows read, normalised to the mirror's representation.
	Rows []source.Row
}

// feedEntry is one row of mirror_feed.
type feedEntry struct {
	Seq, Prev int64
	// ReadAt is when the publishing sync began reading the warehouse.
	ReadAt time.Time
	Holder string
	// Tables and Rows count what the sync read.
	Tables int
	Rows   int64
	// Batch is the body once decoded; nil when the entry carries no rows (too many: a follower reads the warehouse
	// itself).
	Batch *feedBatch
	body  []byte // encoded, until decode
}

// carried says whether the entry carries the rows its sync read.
func (e *feedEntry) carried() bool { return e.body != nil || e.Batch != nil }

// feedMark names an entry as a mirror that applied it knows it: its number, and its sync's read time, by which the
// mirror tells the entry from another numbered alike in a feed made anew (a restored or new shared state).
type feedMark struct {
	Seq    int64
	ReadAt time.Time
}

// mark is the entry's feedMark.
func (e *feedEntry) mark() feedMark { return feedMark{Seq: e.Seq, ReadAt: e.ReadAt} }

// head returns the newest entry's mark (zero when the feed holds none).
func (f *Feed) head(ctx context.Context) (feedMark, error) {
	var m feedMark
	var readAt string
	switch err := f.db.Reader().QueryRowContext(ctx, `SELECT seq, read_at FROM mirror_feed
		WHERE seq = (SELECT max(seq) FROM mirror_feed)`).Scan(&m.Seq, &readAt); {
	case errors.Is(err, sql.ErrNoRows):
		return feedMark{}, nil
	case err != nil:
		return feedMark{}, fmt.Errorf("read the mirror feed's head: %w", err)
	}
	t, err := localdb.ParseTime(readAt)
	if err != nil {
		return feedMark{}, fmt.Errorf("read the mirror feed's head: %w", err)
	}
	m.ReadAt = t
	return m, nil
}

// holds says whether the feed agrees with a mirror at m: its numbers reach m, and the entry numbered m, when still
// kept, is the one the mirror applied.
func (f *Feed) holds(ctx context.Context, m feedMark) (bool, error) {
	var readAt sql.NullString
	var head int64
	if err := f.db.Reader().QueryRowContext(ctx, `SELECT (SELECT read_at FROM mirror_feed WHERE seq = ?),
		coalesce((SELECT max(seq) FROM mirror_feed), 0)`, m.Seq).Scan(&readAt, &head); err != nil {
		return false, fmt.Errorf("read the mirror feed: %w", err)
	}
	if head < m.Seq {
		return false, nil
	}
	return !readAt.Valid || readAt.String == localdb.FormatTime(m.ReadAt), nil
}

// publish appends an entry for a sync that began reading at readAt and read tables and rows, carried in body
// (encodeBatch's; nil when they are not carried), and prunes entries older than Keep. It returns the entry's number
// and the number of the one before it. The body is written first, without the state's writer lock (which every
// write of every replica takes: a large body must not hold them up); the entry is then numbered, one past the
// newest, in a short transaction under the lock, so that entries are numbered in the order they are linked.
func (f *Feed) publish(ctx context.Context, holder string, readAt time.Time, tables int, rows int64,
	body []byte) (seq, prev int64, err error) {
	var bodyArg any
	if body != nil {
		bodyArg = body
	}
	var id int64
	if err := f.db.Single().QueryRowContext(ctx, `INSERT INTO mirror_feed (read_at, published_at, holder, tables_read,
		rows_read, body) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, localdb.FormatTime(readAt), localdb.FormatTime(f.now()),
		holder, tables, rows, bodyArg).Scan(&id); err != nil {
		return 0, 0, fmt.Errorf("publish to the mirror feed: %w", err)
	}
	err = f.db.InTx(ctx, func(tx *statedb.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM mirror_feed`).Scan(&prev); err != nil {
			return err
		}
		seq = prev + 1
		now := f.now()
		if _, err := tx.ExecContext(ctx, `UPDATE mirror_feed SET seq = ?, prev = ?, published_at = ? WHERE id = ?`,
			seq, prev, localdb.FormatTime(now), id); err != nil {
			return err
		}
		// Entries older than Keep go, and so does a body whose process died before numbering it. The entry just
		// numbered stays, so the numbers never start again.
		_, err := tx.ExecContext(ctx, `DELETE FROM mirror_feed WHERE published_at < ?`,
			localdb.FormatTime(now.Add(-f.keep)))
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("publish to the mirror feed: %w", err)
	}
	return seq, prev, nil
}

// after returns up to n entries after seq, oldest first, their bodies not decoded yet (decode).
func (f *Feed) after(ctx context.Context, seq int64, n int) ([]feedEntry, error) {
	rows, err := f.db.Reader().QueryContext(ctx, `SELECT seq, prev, read_at, holder, tables_read, rows_read, body
		FROM mirror_feed WHERE seq > ? ORDER BY seq LIMIT ?`, seq, n)
	if err != nil {
		return nil, fmt.Errorf("read the mirror feed: %w", err)
	}
	defer rows.Close()
	var out []feedEntry
	for rows.Next() {
		var e feedEntry
		var readAt string
		if err := rows.Scan(&e.Seq, &e.Prev, &readAt, &e.Holder, &e.Tables, &e.Rows, &e.body); err != nil {
			return nil, fmt.Errorf("read the mirror feed: %w", err)
		}
		if e.ReadAt, err = localdb.ParseTime(readAt); err != nil {
			return nil, fmt.Errorf("read the mirror feed's entry %d: %w", e.Seq, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the mirror feed: %w", err)
	}
	return out, nil
}

// decode decodes the entry's body into Batch (nil when it carries no rows), dropping the encoded body.
func (e *feedEntry) decode() error {
	if e.body == nil {
		return nil
	}
	b, err := decodeBatch(e.body)
	if err != nil {
		return fmt.Errorf("read the mirror feed's entry %d: %w", e.Seq, err)
	}
	e.Batch, e.body = b, nil
	return nil
}

// encodeBatch writes a batch as gzipped gob: gob keeps each value's type (an integer stays an integer, a NULL a
// NULL), which the mirror's columns rely on.
func encodeBatch(b *feedBatch) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, fmt.Errorf("encode the feed's entry: %w", err)
	}
	if err := gob.NewEncoder(zw).Encode(b); err != nil {
		return nil, fmt.Errorf("encode the feed's entry: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode the feed's entry: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeBatch(body []byte) (*feedBatch, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	var b feedBatch
	if err := gob.NewDecoder(zr).Decode(&b); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return &b, nil
}

// position reads the mirror's position in the feed; known is false when it never followed it.
func position(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (m feedMark, known bool, err error) {
	var readAt sql.NullString
	switch err := q.QueryRowContext(ctx, `SELECT seq, read_at FROM feed_position WHERE id = 1`).Scan(&m.Seq,
		&readAt); {
	case errors.Is(err, sql.ErrNoRows):
		return feedMark{}, false, nil
	case err != nil:
		return feedMark{}, false, fmt.Errorf("read the mirror's feed position: %w", err)
	}
	if readAt.Valid {
		if m.ReadAt, err = localdb.ParseTime(readAt.String); err != nil {
			return feedMark{}, false, fmt.Errorf("read the mirror's feed position: %w", err)
		}
	}
	return m, true, nil
}

// setPosition records the mirror's position in the feed.
func setPosition(ctx context.Context, db execer, m feedMark, now time.Time) error {
	var readAt any
	if !m.ReadAt.IsZero() {
		readAt = localdb.FormatTime(m.ReadAt)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO feed_position (id, seq, read_at, at) VALUES (1, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, read_at = excluded.read_at, at = excluded.at`, m.Seq, readAt,
		localdb.FormatTime(now)); err != nil {
		return fmt.Errorf("record the mirror's feed position: %w", err)
	}
	return nil
}

// collector keeps what a publishing sync read, table by table, for its feed entry; a nil collector keeps nothing.
// Past max rows it keeps none (the entry then carries no rows) but goes on counting.
type collector struct {
	max     int64
	read    int // tables read
	rows    int64
	over    bool
	tables  []feedTable
	pending []source.Row // the rows of the table being read
}

// begin starts a table: rows kept for a table that failed are dropped here.
func (c *collector) begin() {
	if c != nil {
		c.pending = nil
	}
}

// keep keeps a batch of the table being read.
func (c *collector) keep(batch []source.Row) {
	if c == nil {
		return
	}
	c.rows += int64(len(batch))
	if c.over || c.rows > c.max {
		c.over, c.pending, c.tables = true, nil, nil
		return
	}
	c.pending = append(c.pending, batch...)
}

// end records the table just read, with its rows.
func (c *collector) end(t feedTable) {
	if c == nil {
		return
	}
	c.read++
	if !c.over {
		t.Rows = c.pending
		c.tables = append(c.tables, t)
	}
	c.pending = nil
}

// publish appends what this run read to the feed (in the state, before tx — the run's own transaction on the
// mirror — commits, so that a mirror never holds what it failed to publish) and, when this mirror held every entry
// before it, moves its position past it in tx.
func (s *Syncer) publish(ctx context.Context, tx *sql.Tx, rep Report, runErr error, c *collector) error {
	pos, known, err := position(ctx, tx)
	if err != nil {
		return err
	}
	var body []byte
	if !c.over {
		b := &feedBatch{Tables: c.tables}
		if runErr != nil {
			b.Failed = runErr.Error()
		}
		if body, err = encodeBatch(b); err != nil {
			// A value gob cannot carry: the other replicas read the warehouse themselves this once.
			s.opts.Logger.WarnContext(ctx, "the sync's rows cannot be carried by the mirror feed", "err", err)
		}
	}
	seq, prev, err := s.opts.Feed.publish(ctx, s.opts.Holder, rep.Started, c.read, c.rows, body)
	if err != nil {
		return err
	}
	s.opts.Logger.InfoContext(ctx, "sync published to the mirror feed", "entry", seq, "tables", c.read,
		"rows", c.rows, "carried", body != nil)
	if known && pos.Seq == prev {
		return setPosition(ctx, tx, feedMark{Seq: seq, ReadAt: rep.Started}, s.opts.Now())
	}
	return nil
}
