package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/statedb"
)

// SeenTTL is how long a delivery key is remembered: Slack's last retry comes about five minutes after the first.
const SeenTTL = time.Hour

// state is the bot's own state (SQLite migrations 4 and 21, PostgreSQL 2 and 4): the journal of deliveries (each
// envelope answered once, by another process if the one that took it died) and what Todai's messages are about.
type state struct {
	db *statedb.DB
}

// answerClaimTTL is how long the claim on an envelope's answer lasts unrenewed; the process holding it renews all its
// claims every third of that, so an envelope whose process died is answered by another within about this.
const answerClaimTTL = 30 * time.Second

// orphanWindow is how old an unanswered envelope may be and still be answered by another process: a slash command's
// response_url lasts 30 minutes, and an answer much later than the question helps nobody.
const orphanWindow = 10 * time.Minute

// envelope is what the journal keeps of an envelope until it is answered: Socket Mode's request type and payload,
// from which another process can answer it.
type envelope struct {
	Type    string
	Payload []byte
}

// claimAnswer records key with its envelope and reports whether this holder is to answer it: a new key, or one whose
// answer was claimed by a process that stopped renewing the claim (it died) and is still unanswered.
func (s state) claimAnswer(ctx context.Context, key string, env envelope, holder string, now time.Time) (bool, error) {
	var got string
	err := s.db.Single().QueryRowContext(ctx, `INSERT INTO bot_seen (key, seen_at, envelope_type, payload, holder, expires_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6)
		ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE bot_seen.answered_at IS NULL AND bot_seen.payload IS NOT NULL AND bot_seen.expires_at <= ?2
		RETURNING holder`, key, localdb.FormatTime(now), env.Type, string(env.Payload), holder,
		localdb.FormatTime(now.Add(answerClaimTTL))).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", key, err)
	}
	return got == holder, nil
}

// renewAnswers extends every claim holder holds on an answer not yet given: those being answered and those waiting
// in the queue behind them.
func (s state) renewAnswers(ctx context.Context, holder string, now time.Time) error {
	if _, err := s.db.Single().ExecContext(ctx, `UPDATE bot_seen SET expires_at = ?
		WHERE holder = ? AND answered_at IS NULL AND payload IS NOT NULL`,
		localdb.FormatTime(now.Add(answerClaimTTL)), holder); err != nil {
		return fmt.Errorf("renew this process's deliveries: %w", err)
	}
	return nil
}

// answered marks key answered, if holder still holds its claim, and forgets its payload (the asker's words are not
// kept longer than needed).
func (s state) answered(ctx context.Context, key, holder string, now time.Time) error {
	if _, err := s.db.Single().ExecContext(ctx, `UPDATE bot_seen SET answered_at = COALESCE(answered_at, ?),
		payload = NULL WHERE key = ? AND holder = ?`, localdb.FormatTime(now), key, holder); err != nil {
		return fmt.Errorf("mark delivery %s answered: %w", key, err)
	}
	return nil
}

// release gives back holder's claim on key's answer, unanswered: the next look for orphans takes it.
func (s state) release(ctx context.Context, key, holder string, now time.Time) error {
	if _, err := s.db.Single().ExecContext(ctx, `UPDATE bot_seen SET expires_at = ?
		WHERE key = ? AND holder = ? AND answered_at IS NULL`, localdb.FormatTime(now), key, holder); err != nil {
		return fmt.Errorf("release delivery %s: %w", key, err)
	}
	return nil
}

// shared says whether several processes share this state (PostgreSQL) rather than one process owning a file.
func (s state) shared() bool { return s.db.Dialect() == statedb.Postgres }

// errNotOurs is answeredTx's refusal: another process holds the envelope's claim now (this one was presumed dead,
// and the other answers it), so this one must not apply the answer's effect.
var errNotOurs = errors.New("another process took this envelope over")

// answeredTx marks key answered inside tx, the transaction of the answer's effect (a click's), as long as holder
// still holds its claim; otherwise it returns errNotOurs and the effect is not applied. Once the mark commits with
// the effect, no other process takes the envelope over, so the effect is applied once. A key not in the journal
// (it could not be written) lets the effect go on.
func (s state) answeredTx(ctx context.Context, tx *statedb.Tx, key, holder string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE bot_seen SET answered_at = COALESCE(answered_at, ?), payload = NULL
		WHERE key = ? AND holder = ?`, localdb.FormatTime(now), key, holder)
	if err != nil {
		return fmt.Errorf("mark delivery %s answered: %w", key, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bot_seen WHERE key = ?`, key).Scan(&n); err != nil {
		return fmt.Errorf("read delivery %s: %w", key, err)
	}
	if n > 0 {
		return errNotOurs
	}
	return nil
}

// orphan is an envelope acked by a process that died before answering it.
type orphan struct {
	Key string
	envelope
}

// orphans returns up to limit unanswered envelopes younger than orphanWindow whose claim expired, oldest first.
func (s state) orphans(ctx context.Context, now time.Time, limit int) ([]orphan, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT key, envelope_type, payload FROM bot_seen
		WHERE answered_at IS NULL AND payload IS NOT NULL AND expires_at <= ? AND seen_at >= ?
		ORDER BY seen_at LIMIT ?`, localdb.FormatTime(now), localdb.FormatTime(now.Add(-orphanWindow)), limit)
	if err != nil {
		return nil, fmt.Errorf("read unanswered deliveries: %w", err)
	}
	defer rows.Close()
	var out []orphan
	for rows.Next() {
		var o orphan
		var payload string
		if err := rows.Scan(&o.Key, &o.Type, &payload); err != nil {
			return nil, fmt.Errorf("read unanswered deliveries: %w", err)
		}
		o.Payload = []byte(payload)
		out = append(out, o)
	}
	return out, rows.Err()
}

// prune forgets delivery keys older than SeenTTL.
func (s state) prune(ctx context.Context, now time.Time) error {
	if _, err := s.db.Writer().ExecContext(ctx, `DELETE FROM bot_seen WHERE seen_at < ?`,
		localdb.FormatTime(now.Add(-SeenTTL))); err != nil {
		return fmt.Errorf("prune delivery keys: %w", err)
	}
	return nil
}

// messageTopic is what one of Todai's posted messages answered.
type messageTopic struct {
	Intent string
	Node   string
	Lang   string
}

// remember stores what the message at channel/ts is about.
func (s state) remember(ctx context.Context, channel, ts string, t messageTopic, now time.Time) error {
	if _, err := s.db.Writer().ExecContext(ctx,
		`INSERT INTO bot_messages (channel, ts, intent, node, lang, posted_at) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (channel, ts) DO UPDATE SET intent = excluded.intent, node = excluded.node, lang = excluded.lang`,
		channel, ts, t.Intent, t.Node, t.Lang, localdb.FormatTime(now)); err != nil {
		return fmt.Errorf("remember message %s/%s: %w", channel, ts, err)
	}
	return nil
}

// topic returns what Todai's message at channel/ts was about; ok is false when it is not one of Todai's.
func (s state) topic(ctx context.Context, channel, ts string) (messageTopic, bool, error) {
	var t messageTopic
	err := s.db.Reader().QueryRowContext(ctx, `SELECT intent, node, lang FROM bot_messages WHERE channel = ? AND ts = ?`,
		channel, ts).Scan(&t.Intent, &t.Node, &t.Lang)
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("look up message %s/%s: %w", channel, ts, err)
	}
	return t, true, nil
}
