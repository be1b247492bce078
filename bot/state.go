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

// state is the bot's own state (SQLite migration 00004_bot.sql, PostgreSQL 00002): delivery dedupe and what Todai's
// messages are about.
type state struct {
	db *statedb.DB
}

// firstSeen records key and reports whether it is new. Keys older than SeenTTL are pruned on the way.
func (s state) firstSeen(ctx context.Context, key string, now time.Time) (bool, error) {
	res, err := s.db.Writer().ExecContext(ctx,
		`INSERT INTO bot_seen (key, seen_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
		key, localdb.FormatTime(now))
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", key, err)
	}
	return n == 1, nil
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
