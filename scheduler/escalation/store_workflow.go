package escalation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/statedb"
)

// ErrInvalid is returned for a change that cannot be made as asked: an unknown priority or resolution, a note over
// MaxNoteLength, nobody to assign.
var ErrInvalid = errors.New("invalid change")

// Take makes actor the incident's assignee (taking it over from another) and acknowledges it when it is open:
// escalation stops. It reports whether anything changed (taking an incident one holds changes nothing); a resolved
// incident returns ErrResolved.
func (s *Store) Take(ctx context.Context, id int64, actor string, now time.Time) (bool, error) {
	return s.assign(ctx, id, actor, actor, "taken", now)
}

// Assign gives the incident to assignee (a Slack user ID), for actor, and acknowledges it when it is open. It reports
// whether anything changed; a resolved incident returns ErrResolved.
func (s *Store) Assign(ctx context.Context, id int64, assignee, actor string, now time.Time) (bool, error) {
	return s.assign(ctx, id, assignee, actor, "assigned", now)
}

func (s *Store) assign(ctx context.Context, id int64, assignee, actor, event string, now time.Time) (bool, error) {
	changed := false
	err := s.inTx(ctx, fmt.Sprintf("%s incident %d", event, id), func(tx *statedb.Tx) error {
		if assignee == "" {
			return fmt.Errorf("nobody to assign: %w", ErrInvalid)
		}
		inc, err := getIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		if inc.Status == StatusResolved {
			return ErrResolved
		}
		if inc.Assignee == assignee {
			return nil
		}
		at := localdb.FormatTime(now)
		// The status is checked again in the write: it holds even without the writer's lock.
		res, err := tx.ExecContext(ctx, `UPDATE incidents SET assignee = ?,
			acked_by = CASE status WHEN 'open' THEN ? ELSE acked_by END,
			acked_at = CASE status WHEN 'open' THEN ? ELSE acked_at END, status = 'acked'
			WHERE id = ? AND status <> 'resolved'`, assignee, actor, at, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, ErrResolved)
		}
		changed = true
		detail := ""
		if event == "assigned" {
			detail = assignee
		}
		return addEvent(ctx, tx, id, now, event, actor, nil, nil, detail)
	})
	return changed, err
}

// SetPriority sets the incident's severity, for actor. It reports whether anything changed (setting the priority it
// has changes nothing); an unknown priority returns ErrInvalid, a resolved incident ErrResolved.
func (s *Store) SetPriority(ctx context.Context, id int64, p Priority, actor string, now time.Time) (bool, error) {
	changed := false
	err := s.inTx(ctx, fmt.Sprintf("set the severity of incident %d", id), func(tx *statedb.Tx) error {
		parsed, ok := ParsePriority(string(p))
		if !ok {
			return fmt.Errorf("severity %q: %w", p, ErrInvalid)
		}
		p = parsed
		inc, err := getIncident(ctx, tx, id)
		if err != nil {
			return err
		}
		if inc.Status == StatusResolved {
			return ErrResolved
		}
		if inc.Priority == p {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET priority = ?, priority_by = ? WHERE id = ?`,
			string(p), actor, id); err != nil {
			return err
		}
		changed = true
		detail := string(p)
		if inc.Priority != "" {
			detail += " (was " + string(inc.Priority) + ")"
		}
		return addEvent(ctx, tx, id, now, "severity", actor, nil, nil, detail)
	})
	return changed, err
}

// ResolveAs resolves the incident as a person judged it — fixed, expected, no action needed or false positive — with
// an optional note, for actor. The person's resolution holds for the failure it was given for: the same failure still
// in the mirror does not open it again. The resolution is announced by whoever resolves it (the bot, in the thread),
// not by the sweep. A resolved incident returns ErrResolved; an unknown resolution or a note over MaxNoteLength
// ErrInvalid.
func (s *Store) ResolveAs(ctx context.Context, id int64, r Resolution, note, actor string, now time.Time) error {
	return s.inTx(ctx, fmt.Sprintf("resolve incident %d", id), func(tx *statedb.Tx) error {
		parsed, ok := ParseResolution(string(r))
		if !ok {
			return fmt.Errorf("resolution %q: %w", r, ErrInvalid)
		}
		r = parsed
		if utf8.RuneCountInString(note) > MaxNoteLength {
			return fmt.Errorf("a note of %d characters, over %d: %w", utf8.RuneCountInString(note), MaxNoteLength, ErrInvalid)
		}
		res, err := tx.ExecContext(ctx, `UPDATE incidents SET status = 'resolved', resolved_at = ?, resolved_by = ?,
			resolution = ?, resolution_note = ?, resolve_announced = 1 WHERE id = ? AND status <> 'resolved'`,
			localdb.FormatTime(now), actor, string(r), note, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := getIncident(ctx, tx, id); err != nil {
				return err
			}
			return ErrResolved
		}
		detail := string(r)
		if note != "" {
			detail += ": " + note
		}
		return addEvent(ctx, tx, id, now, "resolved", actor, nil, nil, detail)
	})
}

// History says how the incidents of each test or node among ids (an incident's test, else its node) ended since:
// how many people resolved as false positives and as expected, since when, and which fixed incident its unresolved
// incident reopens. Ids without any are absent. It is the read model's ReaderOptions.IncidentHistory.
func (s *Store) History(ctx context.Context, ids []string, since time.Time) (map[string]queries.IncidentHistory, error) {
	out := map[string]queries.IncidentHistory{}
	if len(ids) == 0 {
		return out, nil
	}
	wanted := slices.Compact(slices.Sorted(slices.Values(ids)))
	args := make([]any, 0, len(wanted)+1) // the wanted ids, then since
	for _, id := range wanted {
		args = append(args, id)
	}
	args = append(args, localdb.FormatTime(since))
	// Through the writer, as OpenOn: the read model calls it inside a snapshot that holds one of the readers.
	rows, err := s.db.Writer().QueryContext(ctx, `WITH wanted(id) AS (VALUES `+
		statedb.Rows(len(wanted))+`),
		ended AS (SELECT coalesce(nullif(test_id, ''), node_id) AS subject, resolution, resolved_at FROM incidents
			WHERE status = 'resolved' AND resolved_at >= ? AND resolution IN ('false_positive', 'expected')),
		dismissed AS (SELECT subject, sum(CASE WHEN resolution = 'false_positive' THEN 1 ELSE 0 END) AS fp,
			sum(CASE WHEN resolution = 'expected' THEN 1 ELSE 0 END) AS ex,
			min(resolved_at) AS first FROM ended WHERE subject IN (SELECT id FROM wanted) GROUP BY subject),
		reopening AS (SELECT coalesce(nullif(test_id, ''), node_id) AS subject, max(reopens) AS reopens FROM incidents
			WHERE status <> 'resolved' AND reopens <> 0 AND coalesce(nullif(test_id, ''), node_id) IN (SELECT id FROM wanted)
			GROUP BY subject)
		SELECT w.id, coalesce(d.fp, 0), coalesce(d.ex, 0), coalesce(d.first, ''), coalesce(o.reopens, 0)
		FROM wanted w LEFT JOIN dismissed d ON d.subject = w.id LEFT JOIN reopening o ON o.subject = w.id
		WHERE d.subject IS NOT NULL OR o.subject IS NOT NULL`, args...)
	if err != nil {
		return nil, fmt.Errorf("incident history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			h     queries.IncidentHistory
			first string
		)
		if err := rows.Scan(&h.UniqueID, &h.FalsePositive, &h.Expected, &first, &h.Reopens); err != nil {
			return nil, fmt.Errorf("incident history: %w", err)
		}
		if first != "" {
			if h.Since, err = localdb.ParseTime(first); err != nil {
				return nil, fmt.Errorf("incident history of %s: %w", h.UniqueID, err)
			}
		}
		out[h.UniqueID] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident history: %w", err)
	}
	return out, nil
}

// List returns the unresolved incidents of team (every team's for "", compared without case) and, with
// resolvedSince set, those resolved since then, by id.
func (s *Store) List(ctx context.Context, team string, resolvedSince time.Time) ([]Incident, error) {
	cond, args := `status <> 'resolved'`, []any{}
	if !resolvedSince.IsZero() {
		cond, args = `(status <> 'resolved' OR resolved_at >= ?)`, append(args, localdb.FormatTime(resolvedSince))
	}
	if team != "" {
		cond, args = cond+` AND lower(team) = lower(?)`, append(args, team)
	}
	incs, err := s.where(ctx, cond, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return incs, nil
}
