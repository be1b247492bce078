package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// writeTimeout bounds each websocket write.
const writeTimeout = 5 * time.Second

type wsConn struct {
	id   int
	conn *websocket.Conn
	wmu  sync.Mutex // serialises data-frame writes
	done chan struct{}
	once sync.Once
}

func (c *wsConn) shutdown() {
	c.once.Do(func() {
		close(c.done)
		_ = c.conn.Close() // closes the TCP socket without a close frame
	})
}

func (c *wsConn) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return fmt.Errorf("setting write deadline: %w", err)
	}
	if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		return fmt.Errorf("writing frame: %w", err)
	}
	return nil
}

// serveLink upgrades a Socket Mode connection opened with a ticket from apps.connections.open.
func (s *Slack) serveLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket]
	delete(s.tickets, ticket)
	closed := s.closed
	s.mu.Unlock()
	if closed {
		http.Error(w, "slacktest: closed", http.StatusServiceUnavailable)
		return
	}
	if !valid {
		http.Error(w, "slacktest: unknown or used ticket", http.StatusUnauthorized)
		return
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.log.Warn("slacktest: websocket upgrade failed", "err", err)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.connects++
	c := &wsConn{id: s.connects, conn: conn, done: make(chan struct{})}
	s.conns[c.id] = c
	num := len(s.conns)
	s.wg.Add(1)
	s.mu.Unlock()

	conn.SetPongHandler(func(string) error {
		s.mu.Lock()
		s.pongs++
		s.notifyLocked()
		s.mu.Unlock()
		return nil
	})
	hello, err := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": num,
		"connection_info": map[string]any{"app_id": s.cfg.appID},
		"debug_info": map[string]any{"host": "applink-slacktest", "build_number": 1,
			"approximate_connection_time": 3600},
	})
	if err == nil {
		err = c.write(hello)
	}
	if err != nil {
		s.log.Warn("slacktest: writing hello", "err", err)
		s.dropConn(c)
		s.wg.Done()
		return
	}
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()

	go func() {
		defer s.wg.Done()
		s.writeLoop(c)
	}()
	s.readLoop(c)
}

func (s *Slack) dropConn(c *wsConn) {
	c.shutdown()
	s.mu.Lock()
	if s.conns[c.id] == c {
		delete(s.conns, c.id)
		s.notifyLocked()
	}
	s.mu.Unlock()
}

// readLoop records acks until the connection ends.
func (s *Slack) readLoop(c *wsConn) {
	defer s.dropConn(c)
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &ack); err != nil || ack.EnvelopeID == "" {
			s.log.Warn("slacktest: unexpected frame from client", "frame", string(data))
			continue
		}
		if string(ack.Payload) == "null" {
			ack.Payload = nil
		}
		s.mu.Lock()
		s.acks = append(s.acks, Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload, Raw: data, Time: time.Now(),
			Connection: c.id})
		s.notifyLocked()
		s.mu.Unlock()
	}
}

// writeLoop delivers queued envelopes and pings until the connection ends.
func (s *Slack) writeLoop(c *wsConn) {
	defer s.dropConn(c)
	tick := time.NewTicker(s.cfg.pingInterval)
	defer tick.Stop()
	for n := 0; ; n++ {
		for {
			s.mu.Lock()
			if len(s.frames) == 0 {
				ready := s.framesReady
				s.mu.Unlock()
				select {
				case <-c.done:
					return
				case <-ready:
					continue
				case <-tick.C:
				}
				break
			}
			frame := s.frames[0]
			s.frames = s.frames[1:]
			s.mu.Unlock()
			if err := c.write(frame); err != nil {
				s.mu.Lock()
				s.frames = append([][]byte{frame}, s.frames...)
				s.mu.Unlock()
				s.log.Debug("slacktest: requeued frame after write error", "err", err)
				return
			}
		}
		payload := []byte(strconv.Itoa(n))
		if err := c.conn.WriteControl(websocket.PingMessage, payload, time.Now().Add(writeTimeout)); err != nil {
			return
		}
	}
}

// enqueue queues an envelope for the next live connection (any one of them, as Slack does).
func (s *Slack) enqueue(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, frame)
	close(s.framesReady)
	s.framesReady = make(chan struct{})
}

func (s *Slack) newEnvelopeID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", s.nextIDLocked(), time.Now().UnixNano()&0xffffffffffff)
}

// SendEnvelope queues a raw envelope of the given type with payload, returning its envelope_id.
// It is the building block of SendSlashCommand, SendEvent and SendBlockAction.
func (s *Slack) SendEnvelope(typ string, payload any, acceptsResponsePayload bool, retryAttempt int, retryReason string) string {
	id := s.newEnvelopeID()
	env := map[string]any{
		"envelope_id":              id,
		"type":                     typ,
		"payload":                  payload,
		"accepts_response_payload": acceptsResponsePayload,
	}
	if typ == "events_api" {
		env["retry_attempt"] = retryAttempt
		env["retry_reason"] = retryReason
	}
	b, err := json.Marshal(env)
	if err != nil {
		s.t.Errorf("slacktest: encoding %s envelope: %v", typ, err)
		return id
	}
	s.mu.Lock()
	s.sent[id] = b
	s.mu.Unlock()
	s.enqueue(b)
	return id
}

// Redeliver sends an envelope sent before again, byte for byte (the same envelope_id), as Slack does when it saw no
// ack in time.
func (s *Slack) Redeliver(envelopeID string) {
	s.mu.Lock()
	frame, ok := s.sent[envelopeID]
	s.mu.Unlock()
	if !ok {
		s.t.Errorf("slacktest: no envelope %s was sent", envelopeID)
		return
	}
	s.enqueue(frame)
}

// SendRaw queues an arbitrary frame (e.g. malformed JSON) for the next live connection.
func (s *Slack) SendRaw(frame []byte) {
	s.enqueue(append([]byte(nil), frame...))
}

// SendSlashCommand delivers a slash_commands envelope and returns its envelope_id. If cmd.ResponseURL is
// empty a fresh ResponseURL tied to cmd.ChannelID is used; read it back from the client-side payload or Posts.
func (s *Slack) SendSlashCommand(cmd SlashCommand) string {
	if cmd.ResponseURL == "" {
		cmd.ResponseURL = s.newResponseURL(cmd.ChannelID)
	}
	if cmd.Command == "" {
		cmd.Command = "/todai"
	}
	if cmd.TriggerID == "" {
		cmd.TriggerID = s.newTrigger()
	}
	payload := map[string]any{
		"token":                 "deprecated-verification-token",
		"team_id":               s.cfg.teamID,
		"team_domain":           "slacktest",
		"channel_id":            cmd.ChannelID,
		"channel_name":          cmd.ChannelName,
		"user_id":               cmd.UserID,
		"user_name":             cmd.UserName,
		"command":               cmd.Command,
		"text":                  cmd.Text,
		"api_app_id":            s.cfg.appID,
		"is_enterprise_install": false,
		"response_url":          cmd.ResponseURL,
		"trigger_id":            cmd.TriggerID,
	}
	return s.SendEnvelope("slash_commands", payload, true, 0, "")
}

// SendEvent delivers an events_api envelope wrapping event (AppMention, MessageEvent, any value that
// marshals to an inner event object with a "type", or raw JSON as json.RawMessage, []byte or string) in an
// event_callback with eventID (generated when "") and returns the envelope_id. retryAttempt > 0 marks a
// redelivery with retry_reason "timeout".
func (s *Slack) SendEvent(event any, eventID string, retryAttempt int) string {
	var inner json.RawMessage
	switch e := event.(type) {
	case json.RawMessage:
		inner = e
	case []byte:
		inner = e
	case string:
		inner = json.RawMessage(e)
	default:
		b, err := json.Marshal(e)
		if err != nil {
			s.t.Errorf("slacktest: encoding event: %v", err)
			return ""
		}
		inner = b
	}
	if !json.Valid(inner) {
		s.t.Errorf("slacktest: event is not valid JSON: %s", inner)
		return ""
	}
	if eventID == "" {
		s.mu.Lock()
		eventID = fmt.Sprintf("Ev%08d", s.nextIDLocked())
		s.mu.Unlock()
	}
	reason := ""
	if retryAttempt > 0 {
		reason = "timeout"
	}
	payload := map[string]any{
		"token":      "deprecated-verification-token",
		"team_id":    s.cfg.teamID,
		"api_app_id": s.cfg.appID,
		"event":      inner,
		"type":       "event_callback",
		"event_id":   eventID,
		"event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": s.cfg.teamID, "user_id": s.cfg.botUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-slacktest-" + eventID,
	}
	return s.SendEnvelope("events_api", payload, false, retryAttempt, reason)
}

// SendBlockAction delivers an interactive block_actions envelope and returns its envelope_id.
func (s *Slack) SendBlockAction(a BlockAction) string {
	if a.ResponseURL == "" {
		a.ResponseURL = s.newResponseURL(a.ChannelID)
	}
	if a.TriggerID == "" {
		a.TriggerID = s.newTrigger()
	}
	now := time.Now()
	actionTS := fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
	actions := make([]any, 0, len(a.Actions))
	for _, act := range a.Actions {
		typ := act.Type
		if typ == "" {
			typ = "button"
		}
		j := map[string]any{"type": typ, "action_id": act.ActionID, "block_id": act.BlockID, "action_ts": actionTS}
		if act.Value != "" {
			j["value"] = act.Value
		}
		if act.Text != "" {
			j["text"] = map[string]any{"type": "plain_text", "text": act.Text, "emoji": true}
		}
		if act.SelectedUser != "" {
			j["selected_user"] = act.SelectedUser
		}
		if act.SelectedOption != "" {
			j["selected_option"] = map[string]any{"value": act.SelectedOption,
				"text": map[string]any{"type": "plain_text", "text": act.SelectedOption}}
		}
		actions = append(actions, j)
	}
	container := map[string]any{"type": "message", "message_ts": a.MessageTS, "channel_id": a.ChannelID,
		"is_ephemeral": a.IsEphemeral}
	if a.ThreadTS != "" {
		container["thread_ts"] = a.ThreadTS
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": a.UserID, "username": a.UserName, "name": a.UserName, "team_id": s.cfg.teamID},
		"api_app_id":            s.cfg.appID,
		"token":                 "deprecated-verification-token",
		"container":             container,
		"trigger_id":            a.TriggerID,
		"team":                  map[string]any{"id": s.cfg.teamID, "domain": "slacktest"},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": a.ChannelID, "name": a.ChannelName},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          a.ResponseURL,
		"actions":               actions,
	}
	if !a.IsEphemeral && a.MessageTS != "" {
		if m, ok := s.message(a.ChannelID, a.MessageTS); ok {
			payload["message"] = messageJSON(m, true)
		}
	}
	return s.SendEnvelope("interactive", payload, false, 0, "")
}

// ErrNoConnection is returned when a frame must go to a live connection and there is none.
var ErrNoConnection = errors.New("slacktest: no live websocket connection")

// SendDisconnect writes a {"type":"disconnect","reason":reason} frame to every live connection (slack-go
// then reconnects through apps.connections.open). It returns ErrNoConnection when none is live.
func (s *Slack) SendDisconnect(reason string) error {
	frame, err := json.Marshal(map[string]any{"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": "applink-slacktest"}})
	if err != nil {
		return fmt.Errorf("encoding disconnect: %w", err)
	}
	conns := s.live()
	if len(conns) == 0 {
		return ErrNoConnection
	}
	for _, c := range conns {
		if err := c.write(frame); err != nil {
			return fmt.Errorf("connection %d: %w", c.id, err)
		}
	}
	return nil
}

// DropConnection closes every live connection's TCP socket without a close frame, as a network failure
// would. It returns how many connections it dropped.
func (s *Slack) DropConnection() int {
	conns := s.live()
	for _, c := range conns {
		s.dropConn(c)
	}
	return len(conns)
}

func (s *Slack) live() []*wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*wsConn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}
