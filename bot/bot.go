// Package bot is Todai's Slack bot: a Socket Mode connection that acks every envelope first and answers slash
// commands, mentions (in channels, threads under Elementary alerts, and DMs) and button clicks from the read model,
// in Block Kit, through a bounded worker pool.
package bot

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/statedb"
)

// Defaults for Config's zero values.
const (
	DefaultAPIURL       = "https://slack.com/api/"
	DefaultCommand      = "/todai"
	DefaultWorkers      = 4
	DefaultQueue        = 100
	DefaultDrainTimeout = 10 * time.Second
	DefaultPingInterval = 30 * time.Second
	defaultMinBackoff   = time.Second
	defaultMaxBackoff   = time.Minute
	ackTimeout          = 2 * time.Second
	pruneEvery          = 10 * time.Minute
	maxBusyReplies      = 16
)

// Config is what the bot needs to run.
type Config struct {
	// AppToken is the app-level token (xapp-…, scope connections:write) that opens the Socket Mode connection.
	AppToken string
	// BotToken is the bot token (xoxb-…) for Web API calls.
	BotToken string
	// APIURL is the Web API base (GovSlack, a proxy, a test fake); it must end with "/". DefaultAPIURL when empty.
	APIURL string
	// Command is the slash command's name (DefaultCommand).
	Command string
	// ReportURL and DocsURL are the Elementary report's and dbt docs' base URLs, for the answer buttons.
	ReportURL string
	DocsURL   string
	// ElementaryChannel is where edr monitor posts its alerts by default: searched, with the channel a node's meta
	// names and its team's channel, for the alert an incident's first notice replies under.
	ElementaryChannel string
	// Admins are user IDs allowed to change state in any team's channel.
	Admins []string
	// Workers is the number of answers worked on at once (DefaultWorkers); Queue is how many may wait (DefaultQueue).
	Workers int
	Queue   int
	// ChannelLocales override the asker's language in a channel (a team's channel and its configured locale). A key
	// is a channel ID or a name ("#data-finance" or "data-finance"); names are resolved through ChannelID when an
	// override is first needed, and again when the channel index is listed anew.
	ChannelLocales map[string]handlers.Lang
	// DefaultLang answers questions that carry no language of their own when the asker's locale is unknown.
	DefaultLang handlers.Lang
	// DrainTimeout bounds the wait for answers in flight at shutdown (DefaultDrainTimeout).
	DrainTimeout time.Duration
	// PingInterval is how long the connection may go without a ping from Slack before it is re-opened
	// (DefaultPingInterval).
	PingInterval time.Duration
	// PostInterval is the least time between two posts to one channel (the Poster's default when zero).
	PostInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait before the connection loop is restarted after it stopped.
	MinBackoff, MaxBackoff time.Duration
	// Charts is how answers' charts are drawn: ChartsBlock (the default) or ChartsImage.
	Charts string
}

func (c *Config) applyDefaults() {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if c.Command == "" {
		c.Command = DefaultCommand
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Queue <= 0 {
		c.Queue = DefaultQueue
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = defaultMinBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(defaultMaxBackoff, c.MinBackoff)
	}
	if c.DefaultLang == "" {
		c.DefaultLang = handlers.LangEN
	}
}

// Mentioner turns owners as found in the data ("@alice", "alice@example.com", "finance-team") into Slack mentions
// ("<@U123>", "<!subteam^S1>"); owners it cannot resolve are left out of the map.
type Mentioner interface {
	Mentions(ctx context.Context, owners []string) map[string]string
}

// LocaleFinder returns the language to answer userID in: the first non-empty override, else the user's Slack
// locale; "" when it does not know. Zone is the user's Slack time zone, nil when it does not know. *Users is one.
type LocaleFinder interface {
	Locale(ctx context.Context, userID string, overrides ...handlers.Lang) handlers.Lang
	Zone(ctx context.Context, userID string) *time.Location
}

// HomePublisher publishes a user's App Home tab; *Home is one.
type HomePublisher interface {
	Publish(ctx context.Context, userID string, lang handlers.Lang) error
}

// poster sends messages; *Poster (pacer.go) is the real one.
type poster interface {
	PostMessage(ctx context.Context, channel string, opts ...slack.MsgOption) (channelID, ts string, err error)
	PostResponse(ctx context.Context, responseURL string, msg ResponseMessage) error
	PostEphemeral(ctx context.Context, channel, user string, opts ...slack.MsgOption) (string, error)
}

// ReadModel is the read model the bot answers from (*queries.Reader): every intent's answer, the teams' digests,
// the diagnosis that names an incident's cause and the chart of an anomaly test's incident.
type ReadModel interface {
	handlers.Reader
	Digest(ctx context.Context, q queries.DigestQuery) (queries.DigestAnswer, error)
	Diagnose(ctx context.Context, subject string) (queries.Diagnosis, error)
	TestChart(ctx context.Context, testID string) (*queries.Chart, error)
	Platform(ctx context.Context) (queries.PlatformDigest, error)
	// LatestResults names the run that cleared an incident.
	LatestResults(ctx context.Context, ids []string) (map[string]queries.ResultRef, error)
	// Runbook is the playbook of a test or node an incident is about.
	Runbook(ctx context.Context, uniqueID string) (string, error)
	// SentAlerts lists the alerts edr monitor sent in a window: the one an alert message that names no node or time
	// is, found by when it was sent.
	SentAlerts(ctx context.Context, from, to time.Time) ([]queries.ElementaryAlert, error)
}

// Deps are the bot's collaborators.
type Deps struct {
	// Reader is the read model the answers come from (*queries.Reader); nil answers "no data source".
	Reader ReadModel
	// Incidents is the escalation state the incident buttons and commands act on (*escalation.Store); nil: those
	// commands say escalation is not enabled.
	Incidents IncidentDesk
	// Teams is the configured team directory: channels, zones and languages of the teams.
	Teams Teams
	// DB is the local database holding the bot's state (delivery dedupe, message topics). Required unless State is
	// set.
	DB *localdb.DB
	// State holds the bot's state instead of DB (PostgreSQL, shared by several replicas); statedb.FromLocal(DB) when
	// nil.
	State *statedb.DB
	// API is the Slack client; NewClient(cfg, nil) when nil.
	API *slack.Client
	// Mentioner resolves owners to mentions and Locales finds the asker's language; when both are nil, one *Users
	// over API does both.
	Mentioner Mentioner
	Locales   LocaleFinder
	// Home publishes the App Home tab when a user opens it (*Home); the tab is left alone when nil.
	Home HomePublisher
	// Logger receives the bot's logs (discarded when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// HTTPClient posts to response URLs (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Channels resolves channel names to IDs (ChannelID, name-keyed ChannelLocales); a new index over API when nil.
	// Share it with the Home (HomeOptions.Channels) so that both list the channels once.
	Channels *Channels
	// Questions, when set, is told about every question answered: its intent and outcome, how long the
	// acknowledgement took and how long until the answer was ready to post.
	Questions QuestionObserver
	// Charts draws charts as images where Slack cannot draw them; without it, the words under a chart stand alone.
	Charts ChartDrawer
	// Holder names this process in the journal of deliveries, where replicas sharing the state claim the answers
	// (host, pid and start time, say); a random id when empty.
	Holder string
}

// Bot is a running (or ready to run) Slack bot. Create it with New.
type Bot struct {
	cfg       Config
	api       *slack.Client
	reader    ReadModel
	incidents IncidentDesk
	teams     Teams
	st        state
	log       *slog.Logger
	now       func() time.Time
	mentions  Mentioner
	locales   LocaleFinder
	home      HomePublisher
	post      poster
	observer  QuestionObserver
	charts    ChartDrawer

	jobs chan job
	busy chan struct{} // bounds the "busy" replies sent when the queue is full
	// busyReplies are those replies in flight: Run waits for them as for the workers.
	busyReplies sync.WaitGroup

	channels  *Channels       // channel names → IDs, for ChannelID
	chLocales *channelLocales // Config.ChannelLocales, names resolved lazily

	mu        sync.RWMutex // guards the identity below, learnt from auth.test
	botUserID string
	botID     string

	connected atomic.Bool // a Socket Mode connection is open (Slack said hello)
	holder    string      // Deps.Holder
}

// job is one unit of work: the answer to one envelope.
type job struct {
	key string // journal key: "ev:<event_id>" or "env:<envelope_id>"
	// env is the envelope, journalled until answered so that another process can answer it; journalled says its
	// claim is in the journal.
	env        envelope
	claimed    bool // its answer is claimed (or the journal could not be written and it is answered all the same)
	journalled bool
	// received is when the envelope arrived and ack how long acknowledging it took (for the question metrics).
	received time.Time
	ack      time.Duration
	kind     string // for logs
	run      func(ctx context.Context)
	// busy tells the asker to try again when the queue is full (nil: nothing to say).
	busy func(ctx context.Context)
}

// QuestionObserver is told about every question the bot answers.
type QuestionObserver interface {
	ObserveQuestion(intent, outcome string, ack, answer time.Duration)
}

// NewClient returns the Slack Web API client for cfg: the bot token for calls, the app token for Socket Mode and
// cfg.APIURL as the base.
func NewClient(cfg Config, httpClient *http.Client) *slack.Client {
	cfg.applyDefaults()
	opts := []slack.Option{slack.OptionAppLevelToken(cfg.AppToken), slack.OptionAPIURL(cfg.APIURL)}
	if httpClient != nil {
		opts = append(opts, slack.OptionHTTPClient(httpClient))
	}
	return slack.New(cfg.BotToken, opts...)
}

// Ping checks that Slack answers the bot token (auth.test) through httpClient: the readiness probe.
func Ping(ctx context.Context, cfg Config, httpClient *http.Client) error {
	if _, err := NewClient(cfg, httpClient).AuthTestContext(ctx); err != nil {
		return fmt.Errorf("slack auth.test: %w", err)
	}
	return nil
}

// New returns a bot; Run connects it.
func New(cfg Config, deps Deps) *Bot {
	cfg.applyDefaults()
	b := &Bot{cfg: cfg, api: deps.API, reader: deps.Reader, incidents: deps.Incidents, teams: deps.Teams,
		st: state{db: deps.State}, log: deps.Logger, now: deps.Now,
		mentions: deps.Mentioner, locales: deps.Locales, home: deps.Home, observer: deps.Questions, charts: deps.Charts}
	if b.st.db == nil && deps.DB != nil {
		b.st.db = statedb.FromLocal(deps.DB)
	}
	b.holder = deps.Holder
	if b.holder == "" {
		b.holder = "bot/" + crand.Text()
	}
	if b.api == nil {
		b.api = NewClient(cfg, deps.HTTPClient)
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.mentions == nil && b.locales == nil {
		u := NewUsers(b.api, UsersOptions{DefaultLang: cfg.DefaultLang, Logger: b.log})
		b.mentions, b.locales = u, u
	}
	b.channels = deps.Channels
	if b.channels == nil {
		b.channels = NewChannels(b.api, ChannelsOptions{Logger: b.log, Now: b.now})
	}
	b.chLocales = newChannelLocales(cfg.ChannelLocales)
	b.post = NewPoster(b.api, PosterOptions{Interval: cfg.PostInterval, HTTPClient: deps.HTTPClient, Logger: b.log})
	b.jobs = make(chan job, cfg.Queue)
	b.busy = make(chan struct{}, maxBusyReplies)
	return b
}

// ErrAuth is returned by Run when Slack refuses the tokens (invalid_auth, not_authed, token_revoked,
// account_inactive): restarting will not help.
var ErrAuth = errors.New("slack refused the token")

var fatalSlackErrors = []string{"invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired",
	"not_allowed_token_type"}

// authError reports whether err is Slack refusing the credentials.
func authError(err error) bool {
	if err == nil {
		return false
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return isFatalCode(se.Err)
	}
	return isFatalCode(err.Error())
}

func isFatalCode(s string) bool {
	for _, c := range fatalSlackErrors {
		if strings.Contains(s, c) {
			return true
		}
	}
	return false
}

// Run checks the bot token (auth.test), then keeps a Socket Mode connection open until ctx ends, restarting the
// connection loop with backoff whenever it stops. A refused token is fatal: Run returns an error wrapping ErrAuth.
// When ctx ends, Run stops taking envelopes, lets the answers in flight (busy replies included) finish within
// DrainTimeout and returns nil (or an error if the drain timed out).
func (b *Bot) Run(ctx context.Context) error {
	if b.st.db == nil {
		return errors.New("bot: no state database")
	}
	if err := b.authenticate(ctx); err != nil {
		if ctx.Err() != nil && !errors.Is(err, ErrAuth) {
			return nil // stopped before Slack answered: a clean shutdown, as after it
		}
		return err
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var workers sync.WaitGroup
	for range b.cfg.Workers {
		workers.Go(func() {
			for j := range b.jobs {
				b.runJob(workCtx, j)
			}
		})
	}
	bgCtx, stopBG := context.WithCancel(ctx)
	defer stopBG()
	var bg sync.WaitGroup
	bg.Go(func() { b.pruneLoop(bgCtx) })
	bg.Go(func() { b.orphanLoop(bgCtx) })
	// This process's claims on the answers it has not given yet — being made or queued — are renewed every third
	// of their TTL, on through the drain, so that only a dead process's claims lapse.
	stopRenewing := statedb.KeepRenewing(workCtx, answerClaimTTL/3, func(ctx context.Context) error {
		return b.st.renewAnswers(ctx, b.holder, b.now())
	}, func(err error) { b.log.Error("bot: journal", "err", err) })

	runErr := b.supervise(ctx)

	// Stop taking envelopes (the readers have returned), then drain.
	close(b.jobs)
	drained := make(chan struct{})
	go func() { workers.Wait(); b.busyReplies.Wait(); close(drained) }()
	var drainErr error
	select {
	case <-drained:
	case <-time.After(b.cfg.DrainTimeout):
		drainErr = fmt.Errorf("bot: answers still in flight after %s; cancelled", b.cfg.DrainTimeout)
		b.log.Warn("shutdown drain timed out", "timeout", b.cfg.DrainTimeout)
		stopWork()
		<-drained
	}
	stopWork() // the answers are done: their claims' renewal ends with them
	stopRenewing()
	stopBG()
	bg.Wait()
	if runErr != nil {
		return runErr
	}
	return drainErr
}

// authenticate learns the bot's identity with auth.test, retrying transient failures until ctx ends.
func (b *Bot) authenticate(ctx context.Context) error {
	backoff := b.cfg.MinBackoff
	for {
		resp, err := b.api.AuthTestContext(ctx)
		if err == nil {
			b.mu.Lock()
			b.botUserID, b.botID = resp.UserID, resp.BotID
			b.mu.Unlock()
			b.log.Info("slack: authenticated", "team", resp.Team, "bot_user", resp.UserID)
			return nil
		}
		if authError(err) {
			return fmt.Errorf("bot: auth.test: %w (%w): check SLACK_BOT_TOKEN", ErrAuth, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("bot: auth.test: %w", ctx.Err())
		}
		b.log.Warn("slack: auth.test failed; retrying", "err", err, "in", backoff)
		if !sleepCtx(ctx, backoff) {
			return fmt.Errorf("bot: auth.test: %w", ctx.Err())
		}
		backoff = min(backoff*2, b.cfg.MaxBackoff)
	}
}

// supervise runs the Socket Mode loop, restarting it with backoff, until ctx ends or the token is refused.
func (b *Bot) supervise(ctx context.Context) error {
	backoff := b.cfg.MinBackoff
	for {
		started := b.now()
		err := b.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if authError(err) {
			return fmt.Errorf("bot: socket mode: %w (%w): check SLACK_APP_TOKEN and SLACK_BOT_TOKEN", ErrAuth, err)
		}
		if b.now().Sub(started) > 2*b.cfg.MaxBackoff {
			backoff = b.cfg.MinBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		b.log.Warn("slack: socket mode stopped; restarting", "err", err, "in", wait)
		if !sleepCtx(ctx, wait) {
			return nil
		}
		backoff = min(backoff*2, b.cfg.MaxBackoff)
	}
}

// runOnce runs one socketmode client until it returns, with one goroutine reading its events.
func (b *Bot) runOnce(ctx context.Context) error {
	sm := socketmode.New(b.api, socketmode.OptionPingInterval(b.cfg.PingInterval),
		socketmode.OptionLog(slogOutput{b.log}))
	runCtx, cancel := context.WithCancel(ctx)
	var reader sync.WaitGroup
	reader.Go(func() { b.readEvents(runCtx, sm) })
	err := sm.RunContext(runCtx)
	cancel()
	reader.Wait()
	b.connected.Store(false)
	return err // RunContext only returns with an error
}

// Connected reports whether the bot holds an open Socket Mode connection, on which Slack delivers it envelopes: a
// replica without one gets nothing to answer (readiness).
func (b *Bot) Connected() bool { return b.connected.Load() }

// slogOutput adapts slog to slack-go's logger.
type slogOutput struct{ l *slog.Logger }

// Output logs one slack-go line at debug level.
func (o slogOutput) Output(_ int, s string) error {
	o.l.Debug("slack-go", "msg", strings.TrimSpace(s))
	return nil
}

// pruneLoop forgets old delivery keys every pruneEvery.
func (b *Bot) pruneLoop(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		if err := b.st.prune(ctx, b.now()); err != nil && ctx.Err() == nil {
			b.log.Warn("bot: prune delivery keys", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (b *Bot) identity() (userID, botID string) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.botUserID, b.botID
}
