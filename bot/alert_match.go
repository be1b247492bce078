package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/queries"
)

// The history searched for edr monitor's message: edr sets sent_at after it posted, and a batch of alerts goes out
// at one a second, so sent_at can trail its message by minutes.
const (
	alertSearchBefore = time.Hour
	alertSearchAfter  = 10 * time.Minute
	alertSearchPage   = 200
	alertSearchPages  = 5
)

// AlertMatch describes the Elementary alert message to look for, from the alerts_v2 row's data.
type AlertMatch struct {
	Kind      string   // "test", "model" or "source_freshness" (alerts_v2.type)
	Table     string   // tests: db.schema.table (compared case-insensitively)
	Column    string   // tests: the column, if any
	Test      string   // tests: test_short_name
	Name      string   // models: the name/alias in the header; sources: "source_name.identifier"
	UniqueIDs []string // ids a report link may name: elementary_unique_id, model_unique_id, test/model unique_id
}

// matchOf is what to look for of the alert edr monitor sent, as the mirror reads its alerts_v2 row.
func matchOf(e queries.ElementaryAlert) AlertMatch {
	return AlertMatch{Kind: e.Type, Table: e.Table, Column: e.Column, Test: e.Test, Name: e.Name, UniqueIDs: e.UniqueIDs}
}

// Matches reports whether a is the Elementary message for m. A report link naming one of m.UniqueIDs decides
// (a test's elementary_unique_id may extend its test unique_id with .column.sub_type); a link naming another id
// of the same family (another test, another model) rules the message out. Otherwise the kind must agree and the
// asset must match: tests by table, and by test short name and column when both sides have them; models and
// sources by name; a table group ("orders: 3 issues detected") by its model. Precision first: a wrong thread is
// worse than a second message.
func (m AlertMatch) Matches(a Alert) bool {
	if v, decided := m.matchLinks(a); decided {
		return v
	}
	switch m.Kind {
	case "test":
		switch a.Kind {
		case "test":
			return m.sameTable(a) && agree(m.Test, a.Test) && agree(m.Column, a.Column)
		case "schema_change":
			// Schema-change headers name no test: "Column Added on db.schema.table.column".
			return strings.HasPrefix(strings.ToLower(m.Test), "schema_change") && m.sameTable(a) && agree(m.Column, a.Column)
		case "group":
			return m.groupOfModel(a)
		}
	case "model":
		switch a.Kind {
		case "model", "snapshot":
			return m.Name != "" && strings.EqualFold(cmp.Or(a.Name, a.Subject), m.Name)
		case "group":
			return m.groupOfModel(a)
		}
	case "source_freshness":
		if a.Kind != "source" || m.Name == "" {
			return false
		}
		want := strings.ToLower(m.Name)
		for _, n := range []string{a.Name, a.Subject} {
			n = strings.ToLower(n)
			if n == want || strings.HasSuffix(n, "."+want) {
				return true
			}
		}
	}
	return false
}

// matchLinks decides on the ids the message's report links name, within the family of m's kind (a test's links
// for a test alert, a model's for a model alert): (true, true) when one is m's, (false, true) when the links name
// only other nodes of that family, (false, false) when they do not tell (or m has no id of its family). A test alert's model id therefore never
// links it to its model's own error message.
//
// Every link counts, not only the first: a group lists one alert per bullet, and m's may be any of them.
func (m AlertMatch) matchLinks(a Alert) (match, decided bool) {
	links := a.Links
	if len(links) == 0 {
		links = []string{a.UniqueID, a.TestRunsID}
	}
	fam := m.family()
	if !slices.ContainsFunc(m.UniqueIDs, func(id string) bool { return idFamily(id) == fam }) {
		return false, false // m has no id to compare the links with
	}
	sameFamily := false
	for _, link := range links {
		if link == "" || linkFamily(link) != fam {
			continue
		}
		sameFamily = true
		for _, id := range m.UniqueIDs {
			if idFamily(id) == fam && linkNames(link, id) {
				return true, true
			}
		}
	}
	return false, sameFamily
}

// family is the idFamily of the node m's alert is about.
func (m AlertMatch) family() string {
	switch m.Kind {
	case "test":
		return "test"
	case "source_freshness":
		return "source"
	}
	return "node"
}

// linkFamily is the idFamily of the node a report link names; a freshness link names
// <execution id>.<source unique_id>.
func linkFamily(link string) string {
	if f := idFamily(link); f != "" {
		return f
	}
	if strings.Contains(strings.ToLower(link), ".source.") {
		return "source"
	}
	return ""
}

// linkNames reports whether a report link's id names id: equal, a test's elementary_unique_id
// (test_unique_id.column.sub_type), or a freshness execution id ending in the source's unique_id.
func linkNames(link, id string) bool {
	l, i := strings.ToLower(link), strings.ToLower(strings.TrimSpace(id))
	if i == "" {
		return false
	}
	switch {
	case l == i:
		return true
	case idFamily(i) == "test":
		return strings.HasPrefix(l, i+".")
	case idFamily(i) == "source":
		return strings.HasSuffix(l, "."+i)
	}
	return false
}

// idFamily is the kind of node a unique_id names: "test", "node" (model, snapshot, seed) or "source"; "" for an id
// of another shape (an execution id).
func idFamily(id string) string {
	kind, _, ok := strings.Cut(strings.ToLower(id), ".")
	if !ok {
		return ""
	}
	switch kind {
	case "test":
		return "test"
	case "model", "snapshot", "seed":
		return "node"
	case "source":
		return "source"
	}
	return ""
}

func (m AlertMatch) sameTable(a Alert) bool {
	return m.Table != "" && strings.EqualFold(strings.TrimSpace(m.Table), a.Table)
}

// groupOfModel reports whether a table group's header names m's model: the name of a model id in m.UniqueIDs
// (unique_id without its first two parts, as edr builds it), a model's Name, or a test's table.
func (m AlertMatch) groupOfModel(a Alert) bool {
	if a.Kind != "group" || a.Name == "" {
		return false
	}
	var names []string
	for _, id := range m.UniqueIDs {
		if idFamily(id) == "node" {
			if parts := strings.SplitN(id, ".", 3); len(parts) == 3 {
				names = append(names, parts[2])
			}
		}
	}
	if len(names) == 0 {
		switch m.Kind {
		case "model":
			names = append(names, m.Name)
		case "test":
			if i := strings.LastIndexByte(m.Table, '.'); i >= 0 {
				names = append(names, m.Table[i+1:])
			}
		}
	}
	for _, n := range names {
		if n != "" && strings.EqualFold(n, a.Name) {
			return true
		}
	}
	return false
}

// agree reports whether two optional values agree: equal (case-insensitively) or one of them missing.
func agree(want, got string) bool {
	return want == "" || got == "" || strings.EqualFold(strings.TrimSpace(want), got)
}

// FindAlertMessage returns the ts of edr monitor's message for m in channel (ID or name), searching the history
// around sentAt; "" when there is none.
//
// It reads conversations.history from sentAt−1h to sentAt+10min (at most 5 pages of 200, newest first), keeps the
// top-level messages RecognizeAlert reads as Elementary alerts that m.Matches, and returns the one whose ts is
// closest to sentAt. channelID is the channel's ID whenever it could be resolved. Slack errors (not_in_channel,
// missing_scope, channel_not_found…) are returned wrapped, for the caller to log before it posts on its own.
func (b *Bot) FindAlertMessage(ctx context.Context, channel string, sentAt time.Time, m AlertMatch) (channelID, ts string, err error) {
	if sentAt.IsZero() {
		return "", "", errors.New("find elementary alert: no sent_at")
	}
	id, err := b.ChannelID(ctx, channel)
	if err != nil {
		return "", "", fmt.Errorf("find elementary alert: %w", err)
	}
	_, ownBotID := b.identity()
	params := &slack.GetConversationHistoryParameters{ChannelID: id, Inclusive: true, Limit: alertSearchPage,
		Oldest: slackTS(sentAt.Add(-alertSearchBefore)), Latest: slackTS(sentAt.Add(alertSearchAfter))}
	best, bestDist := "", time.Duration(0)
	for range alertSearchPages {
		var resp *slack.GetConversationHistoryResponse
		err := retryRateLimited(ctx, 2, time.Minute, b.log, "conversations.history", func(ctx context.Context) error {
			var err error
			resp, err = b.api.GetConversationHistoryContext(ctx, params)
			return err
		})
		if err != nil {
			return id, "", fmt.Errorf("find elementary alert in %s: conversations.history: %w", id, err)
		}
		for _, msg := range resp.Messages {
			at, ok := tsTime(msg.Timestamp)
			if !ok {
				continue
			}
			d := (at.Sub(sentAt)).Abs()
			if best != "" && at.Before(sentAt) && d > bestDist {
				return id, best, nil // newest first: every later message is farther from sentAt
			}
			if (ownBotID != "" && msg.BotID == ownBotID) || (msg.ThreadTimestamp != "" && msg.ThreadTimestamp != msg.Timestamp) {
				continue
			}
			a, ok := RecognizeAlert(alertMessageOf(msg))
			if !ok || !m.Matches(a) {
				continue
			}
			if best == "" || d < bestDist || (d == bestDist && at.Before(sentAt)) {
				best, bestDist = msg.Timestamp, d
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			break
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	return id, best, nil
}

// alertMessageOf turns a message as slack-go reads it into the text, blocks and attachments RecognizeAlert reads.
func alertMessageOf(msg slack.Message) AlertMessage {
	am := AlertMessage{Text: msg.Text}
	if len(msg.Blocks.BlockSet) > 0 {
		if raw, err := json.Marshal(msg.Blocks); err == nil {
			am.Blocks = raw
		}
	}
	if len(msg.Attachments) > 0 {
		if raw, err := json.Marshal(msg.Attachments); err == nil {
			am.Attachments = raw
		}
	}
	return am
}

// slackTS formats t as a Slack timestamp, "seconds.micros".
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// tsTime reads a Slack timestamp.
func tsTime(ts string) (time.Time, bool) {
	secText, fracText, _ := strings.Cut(ts, ".")
	sec, err := strconv.ParseInt(secText, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, false
	}
	var micros int64
	if fracText != "" {
		if len(fracText) > 6 {
			fracText = fracText[:6]
		}
		f, err := strconv.ParseInt(fracText, 10, 64)
		if err != nil || f < 0 {
			return time.Time{}, false
		}
		for range 6 - len(fracText) {
			f *= 10
		}
		micros = f
	}
	return time.Unix(sec, micros*1000), true
}
