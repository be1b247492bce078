package escalation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/statedb"
)

// ErrNotFound is returned for an incident or silence that does not exist.
var ErrNotFound = errors.New("not found")

// ErrResolved is returned when acknowledging or snoozing an incident that is already resolved.
var ErrResolved = errors.New("incident already resolved")

// Event is one transition of an incident's timeline.
type Event struct {
	At     time.Time
	Event  string // opened, notified, acked, snoozed, silenced, unsilenced, inhibited, uninhibited, grouped, ungrouped, split, resolved, resolve_announced
	Actor  string
	Level  int
	Loop   int
	Detail string
}

// Store keeps incidents, their timelines, silences and sends in the state database: the local SQLite file of one
// replica (migration 00006 and after) or a PostgreSQL schema (migrations/postgres). Writes, and the reads that must
// see them, go through its writer; the sweep reads through its read pool.
type Store struct {
	db *statedb.DB
}

// NewStore returns a store over the local SQLite state db.
func NewStore(db *localdb.DB) *Store { return &Store{db: statedb.FromLocal(db)} }

// NewStateStore returns a store over a state database, SQLite or PostgreSQL.
func NewStateStore(db *statedb.DB) *Store { return &Store{db: db} }

const incidentCols = `id, key, team, kind, node_id, test_id, severity, status, invocation_id, summary, owners, tags,
	opened_at, notified_level, notified_loop, notified_at, acked_by, acked_at, resolved_at, resolve_announced,
	silenced_by, inhibited_by, elementary_alert_id, channel, ts, thread_ts, detected_at, parent_id, split, assignee,
	priority, priority_by, resolved_by, resolution, resolution_note, cleared_by, reopens`

type scanner interface{ Scan(dest ...any) error }

func scanIncident(r scanner) (Incident, error) {
	var (
		inc                                Incident
		kind, status, owners, tags, opened string
		priority, resolution               string
		notifiedAt, ackedAt, resolvedAt    sql.NullString
		detectedAt                         sql.NullString
		announced, split                   int
	)
	err := r.Scan(&inc.ID, &inc.Key, &inc.Team, &kind, &inc.NodeID, &inc.TestID, &inc.Severity, &status,
		&inc.InvocationID, &inc.Summary, &owners, &tags, &opened, &inc.LastNotified.Level, &inc.LastNotified.Loop,
		&notifiedAt, &inc.AckedBy, &ackedAt, &resolvedAt, &announced, &inc.SilencedBy, &inc.InhibitedBy,
		&inc.ElementaryAlertID, &inc.Message.Channel, &inc.Message.TS, &inc.Message.ThreadTS, &detectedAt, &inc.ParentID,
		&split, &inc.Assignee, &priority, &inc.PriorityBy, &inc.ResolvedBy, &resolution, &inc.ResolutionNote,
		&inc.ClearedBy, &inc.Reopens)
	if err != nil {
		return Incident{}, err
	}
	inc.Kind, inc.Status, inc.ResolveAnnounced, inc.Split = Kind(kind), Status(status), announced != 0, split != 0
	inc.Priority, inc.Resolution = Priority(priority), Resolution(resolution)
	if err := json.Unmarshal([]byte(owners), &inc.Owners); err != nil {
		return Incident{}, fmt.Errorf("incident %d owners: %w", inc.ID, err)
	}
	if err := json.Unmarshal([]byte(tags), &inc.Tags); err != nil {
		return Incident{}, fmt.Errorf("incident %d tags: %w", inc.ID, err)
	}
	for _, f := range []struct {
		s   sql.NullString
		dst *time.Time
	}{{sql.NullString{String: opened, Valid: true}, &inc.OpenedAt}, {notifiedAt, &inc.LastNotified.At}, {ackedAt, &inc.AckedAt}, {resolvedAt, &inc.ResolvedAt}, {detectedAt, &inc.DetectedAt}} {
		if !f.s.Valid || f.s.String == "" {
			continue
		}
		t, err := localdb.ParseTime(f.s.String)
		if err != nil {
			return Incident{}, fmt.Errorf("incident %d: %w", inc.ID, err)
		}
		*f.dst = t
	}
	return inc, nil
}

// nullTime is t in the mirror's layout, or NULL when it is zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return localdb.FormatTime(t)
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// inTx runs f in one write transaction.
func (s *Store) inTx(ctx context.Context, what string, f func(*statedb.Tx) error) error {
	if err := s.db.InTx(ctx, f); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func addEvent(ctx context.Context, tx *statedb.Tx, id int64, at time.Time, event, actor string, level, loop any, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO incident_events (incident_id, at, event, actor, level, loop, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, localdb.FormatTime(at), event, actor, level, loop, detail)
	if err != nil {
		return fmt.Errorf("record %s event: %w", event, err)
	}
	return nil
}

func getIncident(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id int64) (Incident, error) {
	inc, err := scanIncident(q.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("read incident %d: %w", id, err)
	}
	return inc, nil
}

// Get returns one incident.
func (s *Store) Get(ctx context.Context, id int64) (Incident, error) {
	return getIncident(ctx, s.db.Writer(), id)
}

// ByMessage returns the incidents whose Slack message is channel/ts (a grouped first notice holds several), by ID.
func (s *Store) ByMessage(ctx context.Context, channel, ts string) ([]Incident, error) {
	incs, err := s.where(ctx, `channel = ? AND ts = ?`, channel, ts)
	if err != nil {
		return nil, fmt.Errorf("incidents of message %s/%s: %w", channel, ts, err)
	}
	return incs, nil
}

// ByParent returns the incidents grouped under the incident id (its blast radius), by id.
func (s *Store) ByParent(ctx context.Context, id int64) ([]Incident, error) {
	incs, err := s.where(ctx, `parent_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("incidents grouped under %d: %w", id, err)
	}
	return incs, nil
}

// OpenOn lists the unresolved incidents on the given nodes (their own, or of their tests), as the read model's
// "safe" names them: queries.ReaderOptions.OpenIncidents.
func (s *Store) OpenOn(ctx context.Context, nodeIDs []string) ([]queries.OpenIncident, error) {
	if len(nodeIDs) == 0 {
		return []queries.OpenIncident{}, nil
	}
	args := make([]any, len(nodeIDs))
	for i, id := range nodeIDs {
		args[i] = id
	}
	incs, err := s.where(ctx, `status <> 'resolved' AND node_id IN (`+statedb.In(len(nodeIDs))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("open incidents: %w", err)
	}
	out := make([]queries.OpenIncident, len(incs))
	for i, inc := range incs {
		out[i] = queries.OpenIncident{ID: inc.ID, NodeID: inc.NodeID, TestID: inc.TestID, OpenedAt: inc.OpenedAt}
	}
	return out, nil
}

// where reads the incidents matching the condition, by id, through the writer (so that a message is rendered with
// what was just written).
func (s *Store) where(ctx context.Context, cond string, args ...any) ([]Incident, error) {
	rows, err := s.db.Writer().QueryContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE `+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, rows.Err()
}

// Open opens inc (its ID, Status and notice fields are ignored) at inc.OpenedAt, unless an unresolved incident with
// the same key exists; it returns the incident stored and whether it was opened now.
func (s *Store) Open(ctx context.Context, inc Incident) (Incident, bool, error) {
	var out Incident
	opened := false
	err := s.inTx(ctx, "open incident "+inc.Key, func(tx *statedb.Tx) error {
		var err error
		out, opened, err = openTx(ctx, tx, inc)
		return err
	})
	return out, opened, err
}

func openTx(ctx context.Context, tx *statedb.Tx, inc Incident) (Incident, bool, error) {
	if inc.Key == "" || inc.NodeID == "" {
		return Incident{}, false, errors.New("incident without key or node")
	}
	switch inc.Kind {
	case KindTest, KindModel, KindFreshness:
	default:
		return Incident{}, false, fmt.Errorf("unknown incident kind %q", inc.Kind)
	}
	if inc.Severity == "" {
		inc.Severity = SeverityError
	}
	if inc.OpenedAt.IsZero() {
		return Incident{}, false, errors.New("incident without opening time")
	}
	ended, err := lastEndedTx(ctx, tx, inc.Key)
	if err != nil {
		return Incident{}, false, err
	}
	if ended.holds(inc) {
		return Incident{}, false, nil // a person resolved this very failure: it stays resolved
	}
	inc.Reopens = ended.reopened(inc.OpenedAt)
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO incidents (key, team, kind, node_id, test_id, severity, status,
		invocation_id, summary, owners, tags, opened_at, elementary_alert_id, detected_at, reopens)
		VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) WHERE status <> 'resolved' DO NOTHING RETURNING id`,
		inc.Key, inc.Team, string(inc.Kind), inc.NodeID, inc.TestID, inc.Severity, inc.InvocationID, inc.Summary,
		jsonList(inc.Owners), jsonList(inc.Tags), localdb.FormatTime(inc.OpenedAt), inc.ElementaryAlertID,
		nullTime(inc.DetectedAt), inc.Reopens).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) { // its key is open already
		got, err := scanIncident(tx.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents
			WHERE key = ? AND status <> 'resolved'`, inc.Key))
		return got, false, err
	}
	if err != nil {
		return Incident{}, false, err
	}
	if err := addEvent(ctx, tx, id, inc.OpenedAt, "opened", "todai", nil, nil, inc.Summary); err != nil {
		return Incident{}, false, err
	}
	if inc.ElementaryAlertID != "" {
		if err := addEvent(ctx, tx, id, inc.OpenedAt, "elementary_alert", "edr monitor", nil, nil, inc.ElementaryAlertID); err != nil {
			return Incident{}, false, err
		}
	}
	if inc.Reopens != 0 {
		if err := addEvent(ctx, tx, id, inc.OpenedAt, "reopened", "todai", nil, nil,
			"incident "+strconv.FormatInt(inc.Reopens, 10)+" was resolved as fixed "+localdb.FormatTime(ended.ResolvedAt)); err != nil {
			return Incident{}, false, err
		}
	}
	got, err := getIncident(ctx, tx, id)
	return got, true, err
}

// Ack acknowledges an open incident for actor: escalation stops. Acknowledging an acknowledged incident changes
// nothing; a resolved one returns ErrResolved.
func (s *Store) Ack(ctx context.Context, id int64, actor string, now time.Time) error {
	return s.inTx(ctx, fmt.Sprintf("acknowledge incident %d", id), func(tx *statedb.Tx) error {
		inc, err := getIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		switch inc.Status {
		case StatusResolved:
			return ErrResolved
		case StatusAcked:
			return nil
		}
		// The status is checked again in the write: it holds even without the writer's lock.
		res, err := tx.ExecContext(ctx, `UPDATE incidents SET status = 'acked', acked_by = ?, acked_at = ?
			WHERE id = ? AND status = 'open'`, actor, localdb.FormatTime(now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // acknowledged or resolved meanwhile: nothing to do
		}
		return addEvent(ctx, tx, id, now, "acked", actor, nil, nil, "")
	})
}

// Split takes an incident out of its root cause's incident for good (the Split button: the grouping was wrong): it
// is never grouped again and gets notices of its own from the next sweep.
func (s *Store) Split(ctx context.Context, id int64, actor string, now time.Time) error {
	return s.inTx(ctx, fmt.Sprintf("split incident %d", id), func(tx *statedb.Tx) error {
		inc, err := getIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		if inc.Status == StatusResolved {
			return ErrResolved
		}
		if inc.Split {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET split = 1, parent_id = 0 WHERE id = ?`, id); err != nil {
			return err
		}
		return addEvent(ctx, tx, id, now, "split", actor, nil, nil, "from incident "+strconv.FormatInt(inc.ParentID, 10))
	})
}

// Snooze silences one incident (by its key) for d from now, for actor: a silence that expires.
func (s *Store) Snooze(ctx context.Context, id int64, d time.Duration, actor string, now time.Time) (Silence, error) {
	var sil Silence
	err := s.inTx(ctx, fmt.Sprintf("snooze incident %d", id), func(tx *statedb.Tx) error {
		if d <= 0 {
			return fmt.Errorf("snooze of %s", d)
		}
		inc, err := getIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		if inc.Status == StatusResolved {
			return ErrResolved
		}
		sil = Silence{Matchers: []Matcher{{Field: "key", Value: inc.Key}}, StartsAt: now, EndsAt: now.Add(d),
			CreatedBy: actor, Comment: "snoozed for " + d.String()}
		if sil.ID, err = insertSilence(ctx, tx, sil, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET silenced_by = ? WHERE id = ?`, sil.ID, id); err != nil {
			return err
		}
		return addEvent(ctx, tx, id, now, "snoozed", actor, nil, nil, "until "+localdb.FormatTime(sil.EndsAt))
	})
	return sil, err
}

func insertSilence(ctx context.Context, tx *statedb.Tx, sil Silence, now time.Time) (int64, error) {
	if len(sil.Matchers) == 0 {
		return 0, errors.New("silence without matchers")
	}
	for _, m := range sil.Matchers {
		switch strings.ToLower(m.Field) {
		case "node", "test", "tag", "owner", "team", "key":
		default:
			return 0, fmt.Errorf("silence matcher on unknown field %q", m.Field)
		}
	}
	if !sil.EndsAt.After(sil.StartsAt) {
		return 0, fmt.Errorf("silence ends (%s) before it starts (%s)", sil.EndsAt, sil.StartsAt)
	}
	ms, err := json.Marshal(sil.Matchers)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, string(ms), localdb.FormatTime(sil.StartsAt), localdb.FormatTime(sil.EndsAt),
		sil.CreatedBy, sil.Comment, localdb.FormatTime(now)).Scan(&id)
	return id, err
}

// Silence stores a new silence (its ID is assigned) and returns it.
func (s *Store) Silence(ctx context.Context, sil Silence, now time.Time) (Silence, error) {
	err := s.inTx(ctx, "create silence", func(tx *statedb.Tx) error {
		var err error
		sil.ID, err = insertSilence(ctx, tx, sil, now)
		return err
	})
	return sil, err
}

// ExpireSilence ends a silence now (it stays stored, expired). Expiring an expired silence changes nothing.
func (s *Store) ExpireSilence(ctx context.Context, id int64, actor string, now time.Time) error {
	return s.inTx(ctx, fmt.Sprintf("expire silence %d", id), func(tx *statedb.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE silences SET ends_at = `+s.db.Greatest()+`(starts_at, ?), expired_by = ?
			WHERE id = ? AND ends_at > ?`, localdb.FormatTime(now), actor, id, localdb.FormatTime(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM silences WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("silence %d: %w", id, ErrNotFound)
		} else if err != nil {
			return err
		}
		return nil
	})
}

// ActiveSilences returns the silences in force at now or starting later (not yet expired), oldest first.
func (s *Store) ActiveSilences(ctx context.Context, now time.Time) ([]Silence, error) {
	return s.silences(ctx, s.db.Reader(), `WHERE ends_at > ?`, localdb.FormatTime(now))
}

// SendsByLevel counts the escalation messages sent, by level (0 is the resolution notice), for the metrics.
func (s *Store) SendsByLevel(ctx context.Context) (map[int]int64, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT level, COUNT(*) FROM sends GROUP BY level`)
	if err != nil {
		return nil, fmt.Errorf("count sends: %w", err)
	}
	defer rows.Close()
	out := map[int]int64{}
	for rows.Next() {
		var level int
		var n int64
		if err := rows.Scan(&level, &n); err != nil {
			return nil, fmt.Errorf("count sends: %w", err)
		}
		out[level] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count sends: %w", err)
	}
	return out, nil
}

// Silences returns every silence, expired ones too, oldest first.
func (s *Store) Silences(ctx context.Context) ([]Silence, error) {
	return s.silences(ctx, s.db.Reader(), "")
}

func (s *Store) silences(ctx context.Context, db statedb.Querier, where string, args ...any) ([]Silence, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, matchers, starts_at, ends_at, created_by, comment FROM silences `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	defer rows.Close()
	var out []Silence
	for rows.Next() {
		var (
			sil            Silence
			ms, start, end string
		)
		if err := rows.Scan(&sil.ID, &ms, &start, &end, &sil.CreatedBy, &sil.Comment); err != nil {
			return nil, fmt.Errorf("read silences: %w", err)
		}
		if err := json.Unmarshal([]byte(ms), &sil.Matchers); err != nil {
			return nil, fmt.Errorf("silence %d matchers: %w", sil.ID, err)
		}
		if sil.StartsAt, err = localdb.ParseTime(start); err != nil {
			return nil, fmt.Errorf("silence %d: %w", sil.ID, err)
		}
		if sil.EndsAt, err = localdb.ParseTime(end); err != nil {
			return nil, fmt.Errorf("silence %d: %w", sil.ID, err)
		}
		out = append(out, sil)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	return out, nil
}

// Resolve resolves an unresolved incident whose problem cleared (the test passes again, the model ran) in the dbt
// invocation clearedBy ("" when unknown); resolving a resolved incident changes nothing.
func (s *Store) Resolve(ctx context.Context, id int64, clearedBy string, now time.Time) error {
	return s.inTx(ctx, fmt.Sprintf("resolve incident %d", id), func(tx *statedb.Tx) error {
		return clearTx(ctx, tx, id, clearedBy, now)
	})
}

// clearTx resolves an unresolved incident as cleared by Todai, by the run of invocation clearedBy.
func clearTx(ctx context.Context, tx *statedb.Tx, id int64, clearedBy string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE incidents SET status = 'resolved', resolved_at = ?, resolved_by = 'todai',
		resolution = 'cleared', cleared_by = ? WHERE id = ? AND status <> 'resolved'`, localdb.FormatTime(now), clearedBy, id)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return err
	}
	detail := "no longer failing in the mirror"
	if clearedBy != "" {
		detail = "cleared by invocation " + clearedBy
	}
	return addEvent(ctx, tx, id, now, "resolved", "todai", nil, nil, detail)
}

// lastEndedTx is the latest resolved incident of key (zero when none).
func lastEndedTx(ctx context.Context, tx *statedb.Tx, key string) (Ended, error) {
	var (
		e                      Ended
		resolution, resolvedAt string
	)
	err := tx.QueryRowContext(ctx, `SELECT id, resolution, coalesce(resolved_at, ''), invocation_id FROM incidents
		WHERE key = ? AND status = 'resolved' ORDER BY id DESC LIMIT 1`, key).Scan(&e.ID, &resolution, &resolvedAt, &e.InvocationID)
	if errors.Is(err, sql.ErrNoRows) {
		return Ended{}, nil
	}
	if err != nil {
		return Ended{}, fmt.Errorf("latest end of %s: %w", key, err)
	}
	e.Resolution = Resolution(resolution)
	if resolvedAt != "" {
		if e.ResolvedAt, err = localdb.ParseTime(resolvedAt); err != nil {
			return Ended{}, fmt.Errorf("latest end of %s: %w", key, err)
		}
	}
	return e, nil
}

// ClaimSends claims sends before they go out, in one transaction, and returns those it claimed: a key already
// claimed (by this process or an earlier one) is not, and records nothing. A claimed notice also becomes the
// incident's last notice (level ResolveLevel marks the resolution announced). Claim, then send, then record the
// message: a crash between claim and send loses that one notice rather than ever sending it twice.
func (s *Store) ClaimSends(ctx context.Context, keys []SendKey, now time.Time) (map[SendKey]bool, error) {
	claimed := map[SendKey]bool{}
	what := fmt.Sprintf("record %d sends", len(keys))
	if len(keys) == 1 {
		what = fmt.Sprintf("record send %d/%d/%d", keys[0].Incident, keys[0].Level, keys[0].Loop)
	}
	err := s.inTx(ctx, what, func(tx *statedb.Tx) error {
		for _, key := range keys {
			ok, err := recordSendTx(ctx, tx, key, now)
			if err != nil {
				return err
			}
			if ok {
				claimed[key] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

func recordSendTx(ctx context.Context, tx *statedb.Tx, key SendKey, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO sends (incident_id, level, loop, sent_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, key.Incident, key.Level, key.Loop, localdb.FormatTime(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	if key.Level == ResolveLevel {
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET resolve_announced = 1 WHERE id = ?`, key.Incident); err != nil {
			return false, err
		}
		return true, addEvent(ctx, tx, key.Incident, now, "resolve_announced", "todai", nil, nil, "")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET notified_level = ?, notified_loop = ?, notified_at = ?
		WHERE id = ? AND (notified_loop < ? OR (notified_loop = ? AND notified_level < ?))`,
		key.Level, key.Loop, localdb.FormatTime(now), key.Incident, key.Loop, key.Loop, key.Level); err != nil {
		return false, err
	}
	return true, addEvent(ctx, tx, key.Incident, now, "notified", "todai", key.Level, key.Loop, "")
}

// UnclaimSend gives back the claim of a notice Slack refused, so that the next sweep tries it again, and puts the
// incident's last notice back to prev; the timeline records the failure. After MaxSendAttempts failures of the same
// notice the claim stays and the timeline says the notice was given up.
func (s *Store) UnclaimSend(ctx context.Context, key SendKey, prev Step, now time.Time, reason string) error {
	return s.inTx(ctx, fmt.Sprintf("give back send %d/%d/%d", key.Incident, key.Level, key.Loop), func(tx *statedb.Tx) error {
		var failures int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM incident_events
			WHERE incident_id = ? AND event = 'notify_failed' AND level = ? AND loop = ?`,
			key.Incident, key.Level, key.Loop).Scan(&failures); err != nil {
			return err
		}
		if failures+1 >= MaxSendAttempts {
			return addEvent(ctx, tx, key.Incident, now, "notify_abandoned", "todai", key.Level, key.Loop, reason)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sends WHERE incident_id = ? AND level = ? AND loop = ?`,
			key.Incident, key.Level, key.Loop); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET notified_level = ?, notified_loop = ?, notified_at = ?
			WHERE id = ? AND notified_level = ? AND notified_loop = ?`,
			prev.Level, prev.Loop, nullTime(prev.At), key.Incident, key.Level, key.Loop); err != nil {
			return err
		}
		return addEvent(ctx, tx, key.Incident, now, "notify_failed", "todai", key.Level, key.Loop, reason)
	})
}

// SetMessages records msg as the message of every send in keys, in one transaction: a grouped first message and
// all the incidents it carries.
func (s *Store) SetMessages(ctx context.Context, keys []SendKey, msg MessageRef) error {
	return s.inTx(ctx, fmt.Sprintf("record message of incident %d", keys[0].Incident), func(tx *statedb.Tx) error {
		for _, key := range keys {
			if _, err := tx.ExecContext(ctx, `UPDATE sends SET channel = ?, ts = ? WHERE incident_id = ? AND level = ? AND loop = ?`,
				msg.Channel, msg.TS, key.Incident, key.Level, key.Loop); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET channel = ?, ts = ?, thread_ts = ? WHERE id = ? AND ts = ''`,
				msg.Channel, msg.TS, msg.ThreadTS, key.Incident); err != nil {
				return err
			}
		}
		return nil
	})
}

// Apply records a marking action of Decide (MarkSilenced, ClearSilence, MarkInhibited, ClearInhibition, MarkGrouped,
// ClearGrouping) on the
// incident, with its timeline event. Other actions are sends: claim them with ClaimSends.
func (s *Store) Apply(ctx context.Context, id int64, act Action, now time.Time) error {
	return s.inTx(ctx, fmt.Sprintf("apply %T to incident %d", act, id), func(tx *statedb.Tx) error {
		var (
			query, event, detail string
			arg                  any
		)
		switch a := act.(type) {
		case MarkSilenced:
			query, arg, event, detail = `UPDATE incidents SET silenced_by = ? WHERE id = ?`, a.SilenceID, "silenced", "silence "+strconv.FormatInt(a.SilenceID, 10)
		case ClearSilence:
			query, arg, event = `UPDATE incidents SET silenced_by = ? WHERE id = ?`, 0, "unsilenced"
		case MarkInhibited:
			query, arg, event, detail = `UPDATE incidents SET inhibited_by = ? WHERE id = ?`, a.Cause.Node, "inhibited", "probably caused by "+a.Cause.Node
		case ClearInhibition:
			query, arg, event = `UPDATE incidents SET inhibited_by = ? WHERE id = ?`, "", "uninhibited"
		case MarkGrouped:
			query, arg, event, detail = `UPDATE incidents SET parent_id = ? WHERE id = ?`, a.Root, "grouped", "caused by incident "+strconv.FormatInt(a.Root, 10)
		case ClearGrouping:
			query, arg, event = `UPDATE incidents SET parent_id = ? WHERE id = ?`, 0, "ungrouped"
		default:
			return fmt.Errorf("%T is not a marking action", act)
		}
		res, err := tx.ExecContext(ctx, query, arg, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("incident %d: %w", id, ErrNotFound)
		}
		return addEvent(ctx, tx, id, now, event, "todai", nil, nil, detail)
	})
}

// LinkElementaryAlert records that edr monitor alerted on an unresolved incident (alerts_v2 alert alertID), unless
// one is recorded already; the timeline says so.
func (s *Store) LinkElementaryAlert(ctx context.Context, id int64, alertID string, now time.Time) error {
	return s.inTx(ctx, fmt.Sprintf("link incident %d to edr monitor's alert", id), func(tx *statedb.Tx) error {
		return linkAlertTx(ctx, tx, id, alertID, now)
	})
}

func linkAlertTx(ctx context.Context, tx *statedb.Tx, id int64, alertID string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE incidents SET elementary_alert_id = ?
		WHERE id = ? AND elementary_alert_id = '' AND status <> 'resolved'`, alertID, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return addEvent(ctx, tx, id, now, "elementary_alert", "edr monitor", nil, nil, alertID)
}

// Timeline returns an incident's transitions, oldest first.
func (s *Store) Timeline(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT at, event, actor, coalesce(level, 0), coalesce(loop, 0), detail
		FROM incident_events WHERE incident_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("timeline of incident %d: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			e  Event
			at string
		)
		if err := rows.Scan(&at, &e.Event, &e.Actor, &e.Level, &e.Loop, &e.Detail); err != nil {
			return nil, fmt.Errorf("timeline of incident %d: %w", id, err)
		}
		if e.At, err = localdb.ParseTime(at); err != nil {
			return nil, fmt.Errorf("timeline of incident %d: %w", id, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("timeline of incident %d: %w", id, err)
	}
	return out, nil
}

// Pending returns the incidents a sweep must look at: every unresolved one, and the resolved ones whose resolution
// was not yet announced though a notice went out or their root's message lists them. Ordered by id.
func (s *Store) Pending(ctx context.Context) ([]Incident, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+incidentCols+` FROM incidents
		WHERE status IN ('open', 'acked')
			OR (status = 'resolved' AND resolve_announced = 0 AND (notified_level > 0 OR parent_id != 0))
		ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read pending incidents: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("read pending incidents: %w", err)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pending incidents: %w", err)
	}
	return out, nil
}

// SentKeys returns the sends recorded for the pending incidents.
func (s *Store) SentKeys(ctx context.Context) (map[SendKey]bool, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT s.incident_id, s.level, s.loop FROM sends s
		JOIN incidents i ON i.id = s.incident_id
		WHERE i.status IN ('open', 'acked') OR i.resolve_announced = 0`)
	if err != nil {
		return nil, fmt.Errorf("read sends: %w", err)
	}
	defer rows.Close()
	out := map[SendKey]bool{}
	for rows.Next() {
		var k SendKey
		if err := rows.Scan(&k.Incident, &k.Level, &k.Loop); err != nil {
			return nil, fmt.Errorf("read sends: %w", err)
		}
		out[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read sends: %w", err)
	}
	return out, nil
}

// Decision is what Decide said for one incident.
type Decision struct {
	Incident Incident
	Actions  []Action
}
