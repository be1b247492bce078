package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds request bodies the fake reads.
const maxBody = 4 << 20

// apiRequest is a parsed Web API request.
type apiRequest struct {
	method string
	token  string
	form   url.Values
	json   json.RawMessage
}

func (r apiRequest) param(name string) string {
	if r.form != nil {
		return r.form.Get(name)
	}
	if len(r.json) == 0 {
		return ""
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.json, &m); err != nil {
		return ""
	}
	raw, ok := m[name]
	if !ok {
		return ""
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return str
	}
	return string(raw)
}

func (r apiRequest) boolParam(name string) bool {
	b, _ := strconv.ParseBool(r.param(name))
	return b
}

// apiResult is what a method handler answers: a JSON object without "ok" (added here) or a Slack error.
type apiResult struct {
	body map[string]any
	err  string
}

func ok(body map[string]any) apiResult {
	if body == nil {
		body = map[string]any{}
	}
	return apiResult{body: body}
}

func fail(slackErr string) apiResult { return apiResult{err: slackErr} }

func parseRequest(r *http.Request, method string) (apiRequest, error) {
	req := apiRequest{method: method}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return req, fmt.Errorf("reading body: %w", err)
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype == "application/json" {
		if len(bytes.TrimSpace(body)) > 0 {
			if !json.Valid(body) {
				return req, fmt.Errorf("invalid JSON body")
			}
			req.json = json.RawMessage(bytes.TrimSpace(body))
		}
		req.form = nil
	} else {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return req, fmt.Errorf("parsing form: %w", err)
		}
		for k, v := range r.URL.Query() {
			form[k] = append(form[k], v...)
		}
		req.form = form
	}
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		req.token = strings.TrimPrefix(a, "Bearer ")
	} else if req.form != nil {
		req.token = req.form.Get("token")
	}
	return req, nil
}

func (s *Slack) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	req, err := parseRequest(r, method)
	if err != nil {
		s.record(Call{Method: method, Time: time.Now(), Status: http.StatusBadRequest, Error: "invalid_request"})
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	call := Call{Method: method, Token: req.token, Form: req.form, JSON: req.json, Time: time.Now()}

	if f, injected := s.takeFailure(method); injected {
		s.answerFailure(w, call, f)
		return
	}
	if e := s.checkAuth(method, req.token); e != "" {
		call.Status, call.Error = http.StatusOK, e
		s.record(call)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": e})
		return
	}

	res := s.dispatch(req)
	call.Status, call.Error = http.StatusOK, res.err
	s.record(call)
	if res.err != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": res.err})
		return
	}
	res.body["ok"] = true
	writeJSON(w, http.StatusOK, res.body)
}

func (s *Slack) takeFailure(method string) (failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.failures[method]
	if len(q) == 0 {
		return failure{}, false
	}
	s.failures[method] = q[1:]
	return q[0], true
}

func (s *Slack) answerFailure(w http.ResponseWriter, call Call, f failure) {
	call.Status = f.status
	if f.status == http.StatusTooManyRequests {
		secs := int64(math.Ceil(f.retryAfter.Seconds()))
		call.Error = "ratelimited"
		s.record(call)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	if f.status != http.StatusOK {
		call.Error = http.StatusText(f.status)
		s.record(call)
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	call.Error = f.slackErr
	s.record(call)
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": f.slackErr})
}

// checkAuth returns the Slack error for a token that may not call method, or "".
func (s *Slack) checkAuth(method, token string) string {
	s.mu.Lock()
	revoked := s.revoked
	s.mu.Unlock()
	switch {
	case token == "":
		return "not_authed"
	case revoked:
		return "invalid_auth"
	case token != s.cfg.botToken && token != s.cfg.appToken:
		return "invalid_auth"
	case method == "auth.test":
		return ""
	case method == "apps.connections.open" && token != s.cfg.appToken:
		return "not_allowed_token_type"
	case method != "apps.connections.open" && token == s.cfg.appToken:
		return "not_allowed_token_type"
	}
	return ""
}

func (s *Slack) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	s.notifyLocked()
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Slack) dispatch(req apiRequest) apiResult {
	switch req.method {
	case "apps.connections.open":
		return s.appsConnectionsOpen()
	case "auth.test":
		return s.authTest(req)
	case "chat.postMessage":
		return s.chatPostMessage(req)
	case "chat.postEphemeral":
		return s.chatPostEphemeral(req)
	case "chat.update":
		return s.chatUpdate(req)
	case "conversations.replies":
		return s.conversationsReplies(req)
	case "conversations.info":
		return s.conversationsInfo(req)
	case "conversations.members":
		return s.conversationsMembers(req)
	case "conversations.history":
		return s.conversationsHistory(req)
	case "conversations.list":
		return s.conversationsList(req)
	case "users.info":
		return s.usersInfo(req)
	case "users.lookupByEmail":
		return s.usersLookupByEmail(req)
	case "users.list":
		return s.usersList(req)
	case "usergroups.list":
		return s.usergroupsList(req)
	case "usergroups.users.list":
		return s.usergroupsUsersList(req)
	case "views.publish":
		return s.viewsPublish(req)
	case "views.open":
		return s.viewsOpen(req)
	case "files.getUploadURLExternal":
		return s.filesGetUploadURLExternal(req)
	case "files.completeUploadExternal":
		return s.filesCompleteUploadExternal(req)
	}
	return fail("unknown_method")
}

func (s *Slack) appsConnectionsOpen() apiResult {
	s.mu.Lock()
	ticket := strconv.Itoa(s.nextIDLocked())
	s.tickets[ticket] = true
	s.mu.Unlock()
	return ok(map[string]any{"url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link/?ticket=" + ticket})
}

func (s *Slack) authTest(req apiRequest) apiResult {
	body := map[string]any{
		"url":     "https://slacktest.slack.com/",
		"team":    "Slacktest",
		"team_id": s.cfg.teamID,
	}
	if req.token == s.cfg.botToken {
		body["user"] = "todai"
		body["user_id"] = s.cfg.botUserID
		body["bot_id"] = s.cfg.botID
	} else {
		body["app_id"] = s.cfg.appID
	}
	return ok(body)
}

func rawOrNil(v string) json.RawMessage {
	if v == "" || !json.Valid([]byte(v)) {
		return nil
	}
	return json.RawMessage(v)
}

func (s *Slack) chatPostMessage(req apiRequest) apiResult {
	channel := req.param("channel")
	if channel == "" {
		return fail("channel_not_found")
	}
	text, blocks, atts := req.param("text"), rawOrNil(req.param("blocks")), rawOrNil(req.param("attachments"))
	if text == "" && blocks == nil && atts == nil {
		return fail("no_text")
	}
	if req.param("blocks") != "" && (blocks == nil || !validBlocks(blocks)) {
		return fail("invalid_blocks")
	}
	s.mu.Lock()
	channel = s.channelIDLocked(channel) // Slack accepts a channel's name here and answers with its ID
	m := Message{TS: s.nextTSLocked(), ThreadTS: req.param("thread_ts"), Text: text, Blocks: blocks,
		Attachments: atts, BotID: s.cfg.botID, User: s.cfg.botUserID}
	if m.ThreadTS != "" && req.boolParam("reply_broadcast") {
		m.Subtype = "thread_broadcast"
	}
	s.history[channel] = append(s.history[channel], m)
	s.posts = append(s.posts, Post{Method: req.method, Channel: channel, TS: m.TS, ThreadTS: m.ThreadTS, Text: text,
		Blocks: blocks, Attachments: atts, ReplyBroadcast: req.boolParam("reply_broadcast"), Time: time.Now()})
	s.mu.Unlock()
	return ok(map[string]any{"channel": channel, "ts": m.TS, "message": messageJSON(m, true)})
}

func (s *Slack) chatPostEphemeral(req apiRequest) apiResult {
	channel, user := req.param("channel"), req.param("user")
	if channel == "" {
		return fail("channel_not_found")
	}
	if user == "" {
		return fail("user_not_found")
	}
	text, blocks, atts := req.param("text"), rawOrNil(req.param("blocks")), rawOrNil(req.param("attachments"))
	if text == "" && blocks == nil && atts == nil {
		return fail("no_text")
	}
	s.mu.Lock()
	ts := s.nextTSLocked()
	s.posts = append(s.posts, Post{Method: req.method, Channel: channel, User: user, TS: ts, ThreadTS: req.param("thread_ts"),
		Text: text, Blocks: blocks, Attachments: atts, Time: time.Now()})
	s.mu.Unlock()
	return ok(map[string]any{"message_ts": ts})
}

func (s *Slack) chatUpdate(req apiRequest) apiResult {
	channel, ts := req.param("channel"), req.param("ts")
	if channel == "" {
		return fail("channel_not_found")
	}
	text, blocks, atts := req.param("text"), rawOrNil(req.param("blocks")), rawOrNil(req.param("attachments"))
	if !validBlocks(blocks) {
		return fail("invalid_blocks")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.channelIDLocked(channel) != channel {
		return fail("channel_not_found") // like Slack, chat.update wants the channel's ID, not its name
	}
	msgs := s.history[channel]
	i := slices.IndexFunc(msgs, func(m Message) bool { return m.TS == ts })
	if i < 0 {
		return fail("message_not_found")
	}
	if msgs[i].BotID != s.cfg.botID {
		return fail("cant_update_message")
	}
	msgs[i].Text, msgs[i].Blocks, msgs[i].Attachments = text, blocks, atts
	s.posts = append(s.posts, Post{Method: req.method, Channel: channel, TS: ts, ThreadTS: msgs[i].ThreadTS, Text: text,
		Blocks: blocks, Attachments: atts, Time: time.Now()})
	return ok(map[string]any{"channel": channel, "ts": ts, "text": text, "message": messageJSON(msgs[i], true)})
}

func messageJSON(m Message, withType bool) map[string]any {
	out := map[string]any{"ts": m.TS, "text": m.Text}
	if withType {
		out["type"] = "message"
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.User != "" {
		out["user"] = m.User
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
	}
	if m.Subtype != "" {
		out["subtype"] = m.Subtype
	}
	if m.Username != "" {
		out["username"] = m.Username
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if len(m.Attachments) > 0 {
		out["attachments"] = m.Attachments
	}
	return out
}

// page slices items by a numeric cursor and limit, returning the next cursor ("" at the end).
func page[T any](items []T, cursor string, limit int) ([]T, string) {
	start, _ := strconv.Atoi(cursor)
	if start < 0 || start > len(items) {
		start = len(items)
	}
	end := len(items)
	if limit > 0 && start+limit < end {
		end = start + limit
	}
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
}

func limitParam(req apiRequest) int {
	n, _ := strconv.Atoi(req.param("limit"))
	return n
}

func (s *Slack) conversationsReplies(req apiRequest) apiResult {
	channel, ts := req.param("channel"), req.param("ts")
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs := s.history[channel]
	if msgs == nil && s.channels[channel] == nil {
		return fail("channel_not_found")
	}
	pi := slices.IndexFunc(msgs, func(m Message) bool { return m.TS == ts })
	if pi < 0 {
		return fail("thread_not_found")
	}
	parent := msgs[pi]
	root := ts
	if parent.ThreadTS != "" && parent.ThreadTS != parent.TS {
		// Asking with a reply's ts returns just that reply, as Slack does.
		return ok(map[string]any{"messages": []any{messageJSON(parent, true)}, "has_more": false,
			"response_metadata": map[string]any{"next_cursor": ""}})
	}
	thread := []Message{parent}
	var replies []Message
	for _, m := range msgs {
		if m.ThreadTS == root && m.TS != root {
			replies = append(replies, m)
		}
	}
	slices.SortStableFunc(replies, func(a, b Message) int { return compareTS(a.TS, b.TS) })
	thread = append(thread, replies...)
	items, next := page(thread, req.param("cursor"), limitParam(req))
	out := make([]any, 0, len(items))
	for _, m := range items {
		j := messageJSON(m, true)
		if m.TS == root && len(replies) > 0 {
			j["thread_ts"] = root
			j["reply_count"] = len(replies)
		}
		out = append(out, j)
	}
	return ok(map[string]any{"messages": out, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}})
}

// compareTS orders Slack timestamps "seconds.micros" numerically.
func compareTS(a, b string) int {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	ai, _ := strconv.ParseInt(as, 10, 64)
	bi, _ := strconv.ParseInt(bs, 10, 64)
	if ai != bi {
		if ai < bi {
			return -1
		}
		return 1
	}
	return strings.Compare(af, bf)
}

func (s *Slack) conversationsInfo(req apiRequest) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[req.param("channel")]
	if c == nil {
		return fail("channel_not_found")
	}
	ch := map[string]any{
		"id": c.ID, "name": c.Name, "is_channel": !c.IsIM && !c.IsPrivate, "is_group": c.IsPrivate,
		"is_im": c.IsIM, "is_private": c.IsPrivate || c.IsIM, "is_member": true, "num_members": len(c.Members),
	}
	if c.Locale != "" && req.boolParam("include_locale") {
		ch["locale"] = c.Locale
	}
	return ok(map[string]any{"channel": ch})
}

func (s *Slack) conversationsMembers(req apiRequest) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[req.param("channel")]
	if c == nil {
		return fail("channel_not_found")
	}
	items, next := page(c.Members, req.param("cursor"), limitParam(req))
	return ok(map[string]any{"members": slices.Clone(items), "response_metadata": map[string]any{"next_cursor": next}})
}

func (s *Slack) userJSON(u User, withLocale bool) map[string]any {
	out := map[string]any{
		"id": u.ID, "team_id": s.cfg.teamID, "name": u.Name, "real_name": u.RealName, "deleted": u.Deleted,
		"is_bot": u.IsBot, "tz": u.TZ,
		"profile": map[string]any{"display_name": u.DisplayName, "real_name": u.RealName, "email": u.Email},
	}
	if withLocale && u.Locale != "" {
		out["locale"] = u.Locale
	}
	return out
}

func (s *Slack) usersInfo(req apiRequest) apiResult {
	id := req.param("user")
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.users, func(u User) bool { return u.ID == id })
	if i < 0 {
		return fail("user_not_found")
	}
	return ok(map[string]any{"user": s.userJSON(s.users[i], req.boolParam("include_locale"))})
}

func (s *Slack) usersLookupByEmail(req apiRequest) apiResult {
	email := strings.TrimSpace(req.param("email"))
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.users, func(u User) bool {
		return email != "" && !u.Deleted && strings.EqualFold(u.Email, email)
	})
	if i < 0 {
		return fail("users_not_found")
	}
	return ok(map[string]any{"user": s.userJSON(s.users[i], false)})
}

func (s *Slack) usersList(req apiRequest) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	items, next := page(s.users, req.param("cursor"), limitParam(req))
	members := make([]any, 0, len(items))
	for _, u := range items {
		members = append(members, s.userJSON(u, req.boolParam("include_locale")))
	}
	return ok(map[string]any{"members": members, "response_metadata": map[string]any{"next_cursor": next}})
}

func (s *Slack) usergroupsList(req apiRequest) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]any, 0, len(s.groups))
	for _, g := range s.groups {
		if g.Disabled && !req.boolParam("include_disabled") {
			continue
		}
		j := map[string]any{"id": g.ID, "team_id": s.cfg.teamID, "is_usergroup": true, "name": g.Name,
			"handle": g.Handle, "user_count": len(g.Users), "date_delete": 0}
		if g.Disabled {
			j["date_delete"] = 1
		}
		if req.boolParam("include_users") {
			j["users"] = slices.Clone(g.Users)
		}
		out = append(out, j)
	}
	return ok(map[string]any{"usergroups": out})
}

func (s *Slack) usergroupsUsersList(req apiRequest) apiResult {
	id := req.param("usergroup")
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.groups, func(g UserGroup) bool { return g.ID == id })
	if i < 0 {
		return fail("no_such_subteam")
	}
	return ok(map[string]any{"users": slices.Clone(s.groups[i].Users)})
}

func (s *Slack) viewsPublish(req apiRequest) apiResult {
	var body struct {
		UserID string         `json:"user_id"`
		View   map[string]any `json:"view"`
	}
	if len(req.json) > 0 {
		if err := json.Unmarshal(req.json, &body); err != nil {
			return fail("invalid_arguments")
		}
	} else if req.form != nil {
		body.UserID = req.form.Get("user_id")
		_ = json.Unmarshal([]byte(req.form.Get("view")), &body.View)
	}
	if body.UserID == "" {
		return fail("user_not_found")
	}
	if body.View == nil || body.View["type"] != "home" {
		return fail("invalid_arguments")
	}
	if bl, ok := body.View["blocks"].([]any); ok && len(bl) > 100 {
		return fail("invalid_blocks")
	}
	s.mu.Lock()
	id := fmt.Sprintf("V%06d", s.nextIDLocked())
	body.View["id"], body.View["team_id"], body.View["app_id"] = id, s.cfg.teamID, s.cfg.appID
	b, err := json.Marshal(body.View)
	if err == nil {
		s.homeViews[body.UserID] = b
		s.notifyLocked()
	}
	s.mu.Unlock()
	if err != nil {
		return fail("internal_error")
	}
	return ok(map[string]any{"view": json.RawMessage(b)})
}

// serveResponseURL records a post to a response_url. slack-go posts JSON there.
func (s *Slack) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	call := Call{Method: "response_url", JSON: body, Time: time.Now()}
	if err != nil || !json.Valid(body) {
		call.Status, call.Error = http.StatusBadRequest, "invalid_payload"
		s.record(call)
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if f, injected := s.takeFailure("response_url"); injected {
		s.answerFailure(w, call, f)
		return
	}
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		Attachments     json.RawMessage `json:"attachments"`
		ThreadTS        string          `json:"thread_ts"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		call.Status, call.Error = http.StatusBadRequest, "invalid_payload"
		s.record(call)
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if string(msg.Blocks) == "null" {
		msg.Blocks = nil
	}
	if string(msg.Attachments) == "null" {
		msg.Attachments = nil
	}
	if !validBlocks(msg.Blocks) {
		call.Status, call.Error = http.StatusOK, "invalid_blocks"
		s.record(call)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_blocks"})
		return
	}
	s.mu.Lock()
	ru := s.responses[id]
	if ru == nil {
		ru = &responseURL{}
		s.responses[id] = ru
	}
	ru.uses++
	if ru.uses > responseURLUses {
		s.mu.Unlock()
		call.Status, call.Error = http.StatusNotFound, "used_url"
		s.record(call)
		http.Error(w, "used_url", http.StatusNotFound)
		return
	}
	p := Post{Method: "response_url", Channel: ru.channel, ThreadTS: msg.ThreadTS, Text: msg.Text, Blocks: msg.Blocks,
		Attachments: msg.Attachments, ResponseType: msg.ResponseType, ReplaceOriginal: msg.ReplaceOriginal,
		DeleteOriginal: msg.DeleteOriginal, ResponseID: id, Time: call.Time}
	if msg.ResponseType == "in_channel" && ru.channel != "" && !msg.ReplaceOriginal && !msg.DeleteOriginal {
		m := Message{TS: s.nextTSLocked(), ThreadTS: msg.ThreadTS, Text: msg.Text, Blocks: msg.Blocks,
			Attachments: msg.Attachments, BotID: s.cfg.botID, User: s.cfg.botUserID}
		s.history[ru.channel] = append(s.history[ru.channel], m)
		p.TS = m.TS
	}
	s.posts = append(s.posts, p)
	s.mu.Unlock()
	call.Status = http.StatusOK
	s.record(call)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// channelIDLocked maps a channel name ("#data-finance" or "data-finance") added with AddChannel to its ID; anything
// else is returned as it is. The caller holds s.mu.
func (s *Slack) channelIDLocked(channel string) string {
	name := strings.TrimPrefix(channel, "#")
	for id, c := range s.channels {
		if c.Name != "" && c.Name == name && id != channel {
			return id
		}
	}
	return channel
}
