package slacktest

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
)

// History and list limits, as Slack documents them.
const (
	historyDefaultLimit = 100
	historyMaxLimit     = 999
	listDefaultLimit    = 100
	listMaxLimit        = 1000
)

// isMemberLocked reports whether the bot is in c: always when c lists no members. The caller holds s.mu.
func (s *Slack) isMemberLocked(c *Channel) bool {
	return len(c.Members) == 0 || slices.Contains(c.Members, s.cfg.botUserID)
}

// historyCursor encodes where the next page starts the way Slack's cursors look: base64 of "next_ts:<ts>".
func historyCursor(ts string) string {
	return base64.StdEncoding.EncodeToString([]byte("next_ts:" + ts))
}

func parseHistoryCursor(c string) (string, bool) {
	raw, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	ts, ok := strings.CutPrefix(string(raw), "next_ts:")
	if !ok || !validTS(ts) {
		return "", false
	}
	return ts, true
}

// validTS reports whether s is a Slack timestamp, "seconds[.micros]".
func validTS(s string) bool {
	sec, frac, _ := strings.Cut(s, ".")
	if _, err := strconv.ParseUint(sec, 10, 64); err != nil {
		return false
	}
	if frac == "" {
		return true
	}
	_, err := strconv.ParseUint(frac, 10, 64)
	return err == nil
}

// conversationsHistory serves conversations.history: the channel's top-level messages (and broadcast thread
// replies), newest first, between oldest and latest (exclusive unless inclusive is true), limit per page (default
// 100, at most 999), paged with response_metadata.next_cursor and has_more.
func (s *Slack) conversationsHistory(req apiRequest) apiResult {
	channel := req.param("channel")
	oldest, latest := req.param("oldest"), req.param("latest")
	if (oldest != "" && !validTS(oldest)) || (latest != "" && !validTS(latest)) {
		return fail("invalid_ts_oldest")
	}
	limit := historyDefaultLimit
	if v := req.param("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fail("invalid_limit")
		}
		if n > 0 {
			limit = min(n, historyMaxLimit)
		}
	}
	from := "" // the newest ts the page may start at, from the cursor
	if c := req.param("cursor"); c != "" {
		ts, ok := parseHistoryCursor(c)
		if !ok {
			return fail("invalid_cursor")
		}
		from = ts
	}
	inclusive := req.boolParam("inclusive")

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	if c == nil && (s.history[channel] == nil || s.channelIDLocked(channel) != channel) {
		return fail("channel_not_found") // unknown, or a channel's name: conversations.history wants its ID
	}
	if c != nil && !s.isMemberLocked(c) {
		return fail("not_in_channel")
	}
	var msgs []Message
	for _, m := range s.history[channel] {
		if m.ThreadTS != "" && m.ThreadTS != m.TS && m.Subtype != "thread_broadcast" {
			continue // a thread reply: only conversations.replies returns it
		}
		if oldest != "" {
			if d := compareTS(m.TS, oldest); d < 0 || (d == 0 && !inclusive) {
				continue
			}
		}
		if latest != "" {
			if d := compareTS(m.TS, latest); d > 0 || (d == 0 && !inclusive) {
				continue
			}
		}
		if from != "" && compareTS(m.TS, from) > 0 {
			continue
		}
		msgs = append(msgs, m)
	}
	slices.SortStableFunc(msgs, func(a, b Message) int { return compareTS(b.TS, a.TS) })
	next := ""
	if len(msgs) > limit {
		next = historyCursor(msgs[limit].TS)
		msgs = msgs[:limit]
	}
	replies := map[string]int{}
	for _, m := range s.history[channel] {
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			replies[m.ThreadTS]++
		}
	}
	out := make([]any, 0, len(msgs))
	for _, m := range msgs {
		j := messageJSON(m, true)
		if n := replies[m.TS]; n > 0 {
			j["thread_ts"], j["reply_count"] = m.TS, n
		}
		out = append(out, j)
	}
	body := map[string]any{"messages": out, "has_more": next != "", "pin_count": 0,
		"response_metadata": map[string]any{"next_cursor": next}}
	if latest != "" {
		body["latest"] = latest
	}
	return ok(body)
}

// conversationsList serves conversations.list: types (public_channel by default, private_channel, mpim, im),
// exclude_archived, limit (default 100, at most 1000) and cursor paging, in ID order. Like Slack, private
// channels the bot is not in are not listed.
func (s *Slack) conversationsList(req apiRequest) apiResult {
	types := map[string]bool{}
	for t := range strings.SplitSeq(req.param("types"), ",") {
		switch t = strings.TrimSpace(t); t {
		case "":
		case "public_channel", "private_channel", "mpim", "im":
			types[t] = true
		default:
			return fail("invalid_types")
		}
	}
	if len(types) == 0 {
		types["public_channel"] = true
	}
	limit := listDefaultLimit
	if n := limitParam(req); n > 0 {
		limit = min(n, listMaxLimit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.channels))
	for id := range s.channels {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var chans []map[string]any
	for _, id := range ids {
		c := s.channels[id]
		member := s.isMemberLocked(c)
		typ := "public_channel"
		switch {
		case c.IsIM:
			typ = "im"
		case c.IsPrivate:
			typ = "private_channel"
		}
		if !types[typ] || (c.IsArchived && req.boolParam("exclude_archived")) || (typ == "private_channel" && !member) {
			continue
		}
		j := map[string]any{"id": c.ID, "is_im": c.IsIM, "is_archived": c.IsArchived,
			"is_private": c.IsPrivate || c.IsIM, "is_member": member}
		if !c.IsIM {
			j["name"], j["name_normalized"] = c.Name, c.Name
			j["is_channel"], j["is_group"] = !c.IsPrivate, c.IsPrivate
			j["num_members"] = len(c.Members)
		}
		chans = append(chans, j)
	}
	start := 0
	if cur := req.param("cursor"); cur != "" {
		raw, err := base64.StdEncoding.DecodeString(cur)
		id, found := strings.CutPrefix(string(raw), "next_id:")
		if err != nil || !found {
			return fail("invalid_cursor")
		}
		start = slices.IndexFunc(chans, func(j map[string]any) bool { return j["id"].(string) >= id })
		if start < 0 {
			start = len(chans)
		}
	}
	end := min(start+limit, len(chans))
	next := ""
	if end < len(chans) {
		next = base64.StdEncoding.EncodeToString([]byte("next_id:" + chans[end]["id"].(string)))
	}
	out := make([]any, 0, end-start)
	for _, j := range chans[start:end] {
		out = append(out, j)
	}
	return ok(map[string]any{"channels": out, "response_metadata": map[string]any{"next_cursor": next}})
}
