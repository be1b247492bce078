package scheduler

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/statedb"
)

// Defaults of the digest slots.
const (
	// DefaultGrace is how long after its time a slot missed while Todai was down is still posted (late, once).
	DefaultGrace = 6 * time.Hour
	// DefaultLateAfter is how long after its time a digest counts as late (its message then says so).
	DefaultLateAfter = 15 * time.Minute
	// DefaultClaimTimeout is how long a claimed slot may stay unposted before it is taken for its one retry.
	DefaultClaimTimeout = 2 * time.Minute
	// maxAttempts is how many posts of one slot are tried: the first and one retry.
	maxAttempts = 2
	// slotKeyLayout names a slot by its wall-clock time in the team's zone.
	slotKeyLayout = "2006-01-02T15:04"
)

// DigestRequest is one digest to post.
type DigestRequest struct {
	// Team is the team's name as configured.
	Team string
	// Slot is the scheduled time, in the team's zone.
	Slot time.Time
	// Previous is the team's previous posted slot (zero when none): "new since the previous digest" starts there.
	Previous time.Time
	// Late says the slot was missed (Todai was down) and is posted after its time: the message should say so.
	Late bool
}

// PostFunc builds and posts a team's digest and says where it went.
type PostFunc func(ctx context.Context, req DigestRequest) (channel, ts string, err error)

// TeamSchedule is when a team gets its digest.
type TeamSchedule struct {
	// Name is the team's name.
	Name string
	// Spec is a five-field cron spec or a descriptor ("0 9 * * 1-5", "@daily"); a CRON_TZ= prefix wins over
	// Timezone.
	Spec string
	// Timezone is an IANA zone name ("Asia/Tokyo"); UTC when empty.
	Timezone string
}

// parser reads five-field specs and descriptors, with an optional CRON_TZ= prefix.
func parser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// ParseSpec parses a cron spec in the IANA zone tz (UTC when empty; a CRON_TZ= prefix in spec wins). It is what
// config check uses to validate the teams' digest schedules.
func ParseSpec(spec, tz string) (cron.Schedule, *time.Location, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, nil, fmt.Errorf("time zone %q: %w", tz, err)
		}
		loc = l
	}
	sched, err := parser().Parse(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("cron spec %q: %w", spec, err)
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		if len(spec) >= 8 && (spec[:8] == "CRON_TZ=" || spec[:3] == "TZ=") {
			loc = ss.Location
		} else {
			ss.Location = loc
		}
	}
	return sched, loc, nil
}

// teamEntry is a parsed TeamSchedule.
type teamEntry struct {
	TeamSchedule
	sched cron.Schedule
	loc   *time.Location
}

// digests posts the teams' digests exactly once per slot.
type digests struct {
	db           *statedb.DB
	holder       string
	grace        time.Duration
	lateAfter    time.Duration
	claimTimeout time.Duration
	post         PostFunc
	logger       *slog.Logger
	now          func() time.Time
}

// since returns when the scheduler first looked after team (recording now when it never did): slots before it
// were never missed, Todai was not there yet.
func (d *digests) since(ctx context.Context, team string, now time.Time) (time.Time, error) {
	key := "digest_since:" + team
	if _, err := d.db.Writer().ExecContext(ctx, `INSERT INTO scheduler_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
		key, localdb.FormatTime(now)); err != nil {
		return time.Time{}, fmt.Errorf("digest history of %s: %w", team, err)
	}
	var v string
	if err := d.db.Writer().QueryRowContext(ctx, `SELECT value FROM scheduler_state WHERE key = ?`, key).
		Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("digest history of %s: %w", team, err)
	}
	return localdb.ParseTime(v)
}

// dueSlot returns the team's newest slot in (max(since, now−grace), now], if any.
func (d *digests) dueSlot(t teamEntry, since, now time.Time) (time.Time, bool) {
	from := now.Add(-d.grace)
	if since.After(from) {
		from = since
	}
	var last time.Time
	for i := 0; i < 100000; i++ {
		next := t.sched.Next(from)
		if next.IsZero() || next.After(now) {
			break
		}
		last, from = next, next
	}
	return last.In(t.loc), !last.IsZero()
}

// claim takes a slot for posting: inserts its row (the claim) or, when a claimed slot was never posted and its
// claim is older than the claim timeout, takes it for its one retry. It reports whether the caller may post.
func (d *digests) claim(ctx context.Context, team, key string, slot, now time.Time, late bool) (bool, error) {
	tx, err := d.db.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("claim digest %s %s: %w", team, key, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	nowText := localdb.FormatTime(now)
	res, err := tx.ExecContext(ctx, `INSERT INTO digest_slots (team, slot_key, slot_time, claimed_at, claimed_by,
		attempts, late) VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (team, slot_key) DO NOTHING`,
		team, key, localdb.FormatTime(slot), nowText, d.holder, boolInt(late))
	if err != nil {
		return false, fmt.Errorf("claim digest %s %s: %w", team, key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim digest %s %s: %w", team, key, err)
	}
	if n == 0 {
		res, err = tx.ExecContext(ctx, `UPDATE digest_slots SET attempts = attempts + 1, claimed_at = ?, claimed_by = ?
			WHERE team = ? AND slot_key = ? AND posted_at IS NULL AND attempts < ? AND claimed_at <= ?`,
			nowText, d.holder, team, key, maxAttempts, localdb.FormatTime(now.Add(-d.claimTimeout)))
		if err != nil {
			return false, fmt.Errorf("retry digest %s %s: %w", team, key, err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return false, fmt.Errorf("retry digest %s %s: %w", team, key, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("claim digest %s %s: %w", team, key, err)
	}
	return n == 1, nil
}

// boolInt is a flag as the state's INTEGER columns hold it.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// previous returns the team's newest posted slot before slot (zero when none).
func (d *digests) previous(ctx context.Context, team string, slot time.Time) (time.Time, error) {
	var v sql.NullString
	if err := d.db.Writer().QueryRowContext(ctx, `SELECT max(slot_time) FROM digest_slots
		WHERE team = ? AND posted_at IS NOT NULL AND slot_time < ?`, team, localdb.FormatTime(slot)).
		Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("previous digest of %s: %w", team, err)
	}
	if !v.Valid {
		return time.Time{}, nil
	}
	return localdb.ParseTime(v.String)
}

// reconcile posts the team's due slot, if any and not yet posted: on time from the cron entry or the minute tick,
// late after a downtime within the grace period, or as the one retry of a claim that never got posted.
func (d *digests) reconcile(ctx context.Context, t teamEntry, now time.Time) error {
	since, err := d.since(ctx, t.Name, now)
	if err != nil {
		return err
	}
	slot, ok := d.dueSlot(t, since, now)
	if !ok {
		return nil
	}
	key := slot.Format(slotKeyLayout)
	late := now.Sub(slot) > d.lateAfter
	claimed, err := d.claim(ctx, t.Name, key, slot, now, late)
	if err != nil {
		return err
	}
	if !claimed {
		d.logger.Debug("scheduler: digest slot already taken", "team", t.Name, "slot", key)
		return nil
	}
	prev, err := d.previous(ctx, t.Name, slot)
	if err != nil {
		return err
	}
	if !prev.IsZero() {
		prev = prev.In(t.loc)
	}
	channel, ts, postErr := d.post(ctx, DigestRequest{Team: t.Name, Slot: slot, Previous: prev, Late: late})
	// The outcome is recorded even when ctx ended meanwhile: a posted digest must be marked.
	wctx := context.WithoutCancel(ctx)
	if postErr != nil {
		if _, err := d.db.Writer().ExecContext(wctx, `UPDATE digest_slots SET last_error = ? WHERE team = ? AND slot_key = ?`,
			postErr.Error(), t.Name, key); err != nil {
			d.logger.Error("scheduler: record digest failure", "team", t.Name, "slot", key, "err", err)
		}
		return fmt.Errorf("post digest %s %s: %w", t.Name, key, postErr)
	}
	if _, err := d.db.Writer().ExecContext(wctx, `UPDATE digest_slots SET posted_at = ?, channel = ?, ts = ?,
		last_error = NULL WHERE team = ? AND slot_key = ?`, localdb.FormatTime(d.now()), channel, ts, t.Name,
		key); err != nil {
		return fmt.Errorf("mark digest %s %s posted: %w", t.Name, key, err)
	}
	d.logger.Info("scheduler: digest posted", "team", t.Name, "slot", key, "late", late, "channel", channel)
	return nil
}

// SlotRecord is one row of digest_slots.
type SlotRecord struct {
	Team     string
	Key      string // wall-clock time in the team's zone
	Slot     time.Time
	Attempts int
	Late     bool
	Posted   bool
	Channel  string
	TS       string
}

// Slots lists the recorded digest slots of a team, oldest first.
func Slots(ctx context.Context, db *statedb.DB, team string) ([]SlotRecord, error) {
	rows, err := db.Reader().QueryContext(ctx, `SELECT team, slot_key, slot_time, attempts, late, posted_at IS NOT NULL,
		coalesce(channel, ''), coalesce(ts, '') FROM digest_slots WHERE team = ? ORDER BY slot_time`, team)
	if err != nil {
		return nil, fmt.Errorf("digest slots of %s: %w", team, err)
	}
	defer rows.Close()
	var out []SlotRecord
	for rows.Next() {
		var r SlotRecord
		var slot string
		if err := rows.Scan(&r.Team, &r.Key, &slot, &r.Attempts, &r.Late, &r.Posted, &r.Channel, &r.TS); err != nil {
			return nil, fmt.Errorf("digest slots of %s: %w", team, err)
		}
		if r.Slot, err = localdb.ParseTime(slot); err != nil {
			return nil, fmt.Errorf("digest slots of %s: %w", team, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digest slots of %s: %w", team, err)
	}
	return out, nil
}

var errNoPost = errors.New("scheduler: no digest poster configured")

// DigestTotals counts one team's digest slots: posted, and not posted with a failed last attempt.
type DigestTotals struct {
	Team   string
	Posted int64
	Failed int64
}

// Digests counts the recorded digest slots per team, for the metrics.
func Digests(ctx context.Context, db *statedb.DB) ([]DigestTotals, error) {
	rows, err := db.Reader().QueryContext(ctx, `SELECT team, SUM(CASE WHEN posted_at IS NOT NULL THEN 1 ELSE 0 END),
		SUM(CASE WHEN posted_at IS NULL AND last_error IS NOT NULL THEN 1 ELSE 0 END) FROM digest_slots
		GROUP BY team ORDER BY team`)
	if err != nil {
		return nil, fmt.Errorf("count digests: %w", err)
	}
	defer rows.Close()
	var out []DigestTotals
	for rows.Next() {
		var d DigestTotals
		if err := rows.Scan(&d.Team, &d.Posted, &d.Failed); err != nil {
			return nil, fmt.Errorf("count digests: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count digests: %w", err)
	}
	return out, nil
}
