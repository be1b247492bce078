// Package slacktest is an in-process fake Slack for tests: the Web API over HTTP and a Socket Mode
// websocket, speaking the real protocol so the real slack-go client (slack.New + socketmode.New) can be
// driven against it.
//
//	fake := slacktest.New(t)
//	api := slack.New(fake.BotToken(), slack.OptionAppLevelToken(fake.AppToken()), slack.OptionAPIURL(fake.APIURL()))
//	sm := socketmode.New(api, socketmode.OptionPingInterval(time.Minute))
//
// The websocket sends hello, WebSocket pings every PingInterval and the envelopes the test injects
// (SendSlashCommand, SendEvent, SendBlockAction); it records acks. Every HTTP call is recorded (Calls,
// Posts) and the Wait* helpers block on a context instead of sleeping.
package slacktest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults for the fake workspace.
const (
	DefaultBotToken  = "xoxb-slacktest-bot"
	DefaultAppToken  = "xapp-slacktest-app"
	DefaultTeamID    = "T0FAKE"
	DefaultAppID     = "A0FAKE"
	DefaultBotUserID = "U0BOT"
	DefaultBotID     = "B0BOT"
)

// DefaultPingInterval is how often the websocket pings the client unless WithPingInterval says otherwise.
const DefaultPingInterval = 100 * time.Millisecond

// responseURLUses is how many times Slack accepts a response_url.
const responseURLUses = 5

// Option configures a fake.
type Option func(*config)

type config struct {
	pingInterval time.Duration
	botToken     string
	appToken     string
	teamID       string
	appID        string
	botUserID    string
	botID        string
	logger       *slog.Logger
}

// WithPingInterval sets how often the websocket sends a WebSocket PING (default 100 ms).
// slack-go's client drops the connection if no ping arrives within its own OptionPingInterval.
func WithPingInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.pingInterval = d
		}
	}
}

// WithTokens sets the bot (xoxb-) and app-level (xapp-) tokens the fake accepts.
func WithTokens(botToken, appToken string) Option {
	return func(c *config) { c.botToken, c.appToken = botToken, appToken }
}

// WithBotIdentity sets the bot's user ID and bot ID (what auth.test returns and what the bot's posts carry).
func WithBotIdentity(botUserID, botID string) Option {
	return func(c *config) { c.botUserID, c.botID = botUserID, botID }
}

// WithTeam sets the team and app IDs put into payloads.
func WithTeam(teamID, appID string) Option {
	return func(c *config) { c.teamID, c.appID = teamID, appID }
}

// WithLogger sets a logger for the fake's own diagnostics (default: discarded).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

type failure struct {
	status     int // 429, 200 (ok:false) or a 5xx
	retryAfter time.Duration
	slackErr   string
}

type responseURL struct {
	channel string
	uses    int
}

// Slack is a running fake. All methods are safe for concurrent use.
type Slack struct {
	t   testing.TB
	cfg config
	srv *httptest.Server
	log *slog.Logger

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every recorded change
	framesReady chan struct{} // closed and replaced when frames are queued
	closed      bool

	users     []User
	groups    []UserGroup
	channels  map[string]*Channel
	history   map[string][]Message // channel → messages in insertion order
	homeViews map[string][]byte    // user → last published view JSON
	triggers  map[string]bool      // trigger_id handed out in an envelope → unused
	sent      map[string][]byte    // envelope_id → its frame, for Redeliver
	modals    []Modal
	calls     []Call
	posts     []Post
	uploads   []Upload
	pending   map[string]*pendingUpload // file ID → an upload whose URL was handed out
	acks      []Ack
	pongs     int
	failures  map[string][]failure
	revoked   bool
	responses map[string]*responseURL
	seq       int // ids, tickets, envelope ids
	tsBase    int64
	tsSeq     int
	tickets   map[string]bool // ticket → unused
	conns     map[int]*wsConn
	connects  int
	frames    [][]byte // envelopes waiting for a live connection
	wg        sync.WaitGroup
	respIDSeq int
}

// New starts a fake on 127.0.0.1 and closes it in t.Cleanup.
func New(t testing.TB, opts ...Option) *Slack {
	t.Helper()
	cfg := config{
		pingInterval: DefaultPingInterval,
		botToken:     DefaultBotToken,
		appToken:     DefaultAppToken,
		teamID:       DefaultTeamID,
		appID:        DefaultAppID,
		botUserID:    DefaultBotUserID,
		botID:        DefaultBotID,
		logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Slack{
		t:           t,
		cfg:         cfg,
		log:         cfg.logger,
		changed:     make(chan struct{}),
		framesReady: make(chan struct{}),
		channels:    map[string]*Channel{},
		history:     map[string][]Message{},
		homeViews:   map[string][]byte{},
		triggers:    map[string]bool{},
		sent:        map[string][]byte{},
		failures:    map[string][]failure{},
		responses:   map[string]*responseURL{},
		tickets:     map[string]bool{},
		pending:     map[string]*pendingUpload{},
		conns:       map[int]*wsConn{},
		tsBase:      time.Now().Unix(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/upload/", s.serveUpload)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "slacktest: no such path "+r.URL.Path, http.StatusNotFound)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.close)
	return s
}

func (s *Slack) close() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*wsConn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
	s.srv.Close()
	s.wg.Wait()
}

// URL returns the fake's base URL, "http://127.0.0.1:PORT".
func (s *Slack) URL() string { return s.srv.URL }

// APIURL returns the Web API base for slack.OptionAPIURL, with its trailing slash.
func (s *Slack) APIURL() string { return s.srv.URL + "/api/" }

// BotToken returns the xoxb- token the fake accepts for Web API calls.
func (s *Slack) BotToken() string { return s.cfg.botToken }

// AppToken returns the xapp- token the fake accepts for apps.connections.open.
func (s *Slack) AppToken() string { return s.cfg.appToken }

// BotUserID returns the bot's user ID (auth.test's user_id).
func (s *Slack) BotUserID() string { return s.cfg.botUserID }

// BotID returns the bot's bot ID (auth.test's bot_id, and the bot_id of the bot's own posts).
func (s *Slack) BotID() string { return s.cfg.botID }

// TeamID returns the team ID used in payloads.
func (s *Slack) TeamID() string { return s.cfg.teamID }

// ResponseURL returns the response_url for id, "http://127.0.0.1:PORT/response/<id>". Posts to it are
// recorded as Posts with Method "response_url"; like Slack, each URL accepts 5 posts.
func (s *Slack) ResponseURL(id string) string { return s.srv.URL + "/response/" + id }

// AddUser seeds (or replaces, by ID) a workspace user.
func (s *Slack) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = upsert(s.users, u, func(u User) string { return u.ID })
}

// AddUserGroup seeds (or replaces, by ID) a user group.
func (s *Slack) AddUserGroup(g UserGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.Users = slices.Clone(g.Users)
	s.groups = upsert(s.groups, g, func(g UserGroup) string { return g.ID })
}

// upsert replaces the item of xs with x's ID, or appends x.
func upsert[T any](xs []T, x T, id func(T) string) []T {
	if i := slices.IndexFunc(xs, func(y T) bool { return id(y) == id(x) }); i >= 0 {
		xs[i] = x
		return xs
	}
	return append(xs, x)
}

// AddChannel seeds (or replaces, by ID) a conversation and its members.
func (s *Slack) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Members = slices.Clone(c.Members)
	s.channels[c.ID] = &c
}

// AddMessage stores a message in channel's history (for conversations.replies and block action payloads).
// An empty TS gets a fresh one, which is returned.
func (s *Slack) AddMessage(channel string, m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.TS == "" {
		m.TS = s.nextTSLocked()
	}
	s.history[channel] = append(s.history[channel], m)
	s.notifyLocked()
	return m.TS
}

// message returns the stored message ts of channel (without copying the history).
func (s *Slack) message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.history[channel] {
		if m.TS == ts {
			return m, true
		}
	}
	return Message{}, false
}

// Messages returns channel's stored history, seeded and posted, in insertion order.
func (s *Slack) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.history[channel])
}

// HomeView returns the last view published with views.publish for user, or nil.
func (s *Slack) HomeView(user string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.homeViews[user])
}

// Calls returns the recorded calls to method (all calls when method is ""), oldest first.
func (s *Slack) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Posts returns every successful message post (chat.postMessage, chat.postEphemeral, chat.update,
// response_url), oldest first.
func (s *Slack) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts)
}

// Acks returns the acks received over the websocket, oldest first.
func (s *Slack) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acks)
}

// Pongs returns how many WebSocket PONGs the client sent back.
func (s *Slack) Pongs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pongs
}

// Connections returns how many websocket connections were accepted so far (each follows an
// apps.connections.open; count those with Calls("apps.connections.open")).
func (s *Slack) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects
}

// LiveConnections returns how many websocket connections are open now.
func (s *Slack) LiveConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// RateLimitNext makes the next n calls to method (a Web API method name or "response_url") answer
// HTTP 429 with a Retry-After header of retryAfter, rounded up to whole seconds.
func (s *Slack) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], failure{status: http.StatusTooManyRequests, retryAfter: retryAfter})
	}
}

// FailNext makes the next call to method answer {"ok":false,"error":slackError}.
func (s *Slack) FailNext(method, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], failure{status: http.StatusOK, slackErr: slackError})
}

// FailNextStatus makes the next call to method answer HTTP status (e.g. 502) with a plain-text body, as a proxy or
// an outage would, without performing it.
func (s *Slack) FailNextStatus(method string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], failure{status: status})
}

// RevokeTokens makes every later call, with either token, answer invalid_auth.
func (s *Slack) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}

// WaitFor blocks until cond returns true or ctx ends. cond is re-evaluated after every recorded change
// (call, post, ack, connection); it may call the fake's getters.
func (s *Slack) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("slacktest: condition not met (%s): %w", s.summary(), ctx.Err())
		}
	}
}

// WaitPost waits for a post matching match (any post when match is nil) and returns the first such post.
func (s *Slack) WaitPost(ctx context.Context, match func(Post) bool) (Post, error) {
	var got Post
	seen := 0 // posts only grow, so each wake checks just the new ones
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		fresh := slices.Clone(s.posts[seen:])
		s.mu.Unlock()
		seen += len(fresh)
		for _, p := range fresh {
			if match == nil || match(p) {
				got = p
				return true
			}
		}
		return false
	})
	return got, err
}

// WaitCalls waits until method was called at least n times and returns its calls.
func (s *Slack) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	var got []Call
	err := s.WaitFor(ctx, func() bool {
		got = s.Calls(method)
		return len(got) >= n
	})
	return got, err
}

// WaitAck waits for the ack of envelopeID.
func (s *Slack) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var got Ack
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i := len(s.acks) - 1; i >= 0; i-- {
			if s.acks[i].EnvelopeID == envelopeID {
				got = s.acks[i]
			}
		}
		return got.EnvelopeID != ""
	})
	if err != nil {
		return Ack{}, fmt.Errorf("ack for envelope %s: %w", envelopeID, err)
	}
	return got, nil
}

// WaitConnections waits until at least n websocket connections have been accepted and one is live.
func (s *Slack) WaitConnections(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.connects >= n && len(s.conns) > 0
	})
}

func (s *Slack) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	methods := make([]string, 0, len(s.calls))
	for _, c := range s.calls {
		methods = append(methods, c.Method)
	}
	return fmt.Sprintf("calls=[%s] posts=%d acks=%d connections=%d live=%d queued_frames=%d",
		strings.Join(methods, " "), len(s.posts), len(s.acks), s.connects, len(s.conns), len(s.frames))
}

// notifyLocked wakes every WaitFor. s.mu must be held.
func (s *Slack) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// nextTSLocked returns a fresh, increasing message timestamp. s.mu must be held.
func (s *Slack) nextTSLocked() string {
	s.tsSeq++
	return fmt.Sprintf("%d.%06d", s.tsBase+int64(s.tsSeq/1000000), s.tsSeq%1000000)
}

// nextIDLocked returns a fresh sequence number. s.mu must be held.
func (s *Slack) nextIDLocked() int {
	s.seq++
	return s.seq
}

// newResponseURL registers a fresh response URL tied to channel.
func (s *Slack) newResponseURL(channel string) string {
	s.mu.Lock()
	s.respIDSeq++
	id := fmt.Sprintf("r%d", s.respIDSeq)
	s.responses[id] = &responseURL{channel: channel}
	s.mu.Unlock()
	return s.ResponseURL(id)
}
