// Package config reads todai.yaml: the warehouse, the local state file, the sync settings, the teams and the
// default language. Secrets stay out of the file: any string value may name environment variables as ${NAME},
// and the TODAI_* variables and the global flags override the file.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/checkup"
	"github.com/todai-dev/todai/scheduler"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// Config is the whole of todai.yaml.
type Config struct {
	Warehouse Warehouse `yaml:"warehouse"`
	State     State     `yaml:"state"`
	Sync      Sync      `yaml:"sync"`
	// Locale is the default answer language when the question does not tell: "en" or "ja".
	Locale string `yaml:"locale"`
	// Timezone is the IANA zone in which `todai ask` shows times and reads dates and times written without a zone
	// ("Asia/Tokyo"); the machine's zone when empty. Slack answers show each reader their own zone.
	Timezone string `yaml:"timezone"`
	Teams    []Team `yaml:"teams"`
	// Slack configures `todai serve`.
	Slack Slack `yaml:"slack"`
	// Log configures logging.
	Log Log `yaml:"log"`
	// HTTP configures the health and metrics endpoints of `todai serve`.
	HTTP HTTP `yaml:"http"`

	// File is the path the configuration was read from ("" when there was none).
	File string `yaml:"-"`
}

// Log says how Todai logs: structured records to standard error.
type Log struct {
	// Level is debug, info, warn or error (default info for serve; the --log-level flag overrides it).
	Level string `yaml:"level"`
	// Format is text or json (default text).
	Format string `yaml:"format"`
}

// HTTP is the address `todai serve` answers /healthz, /readyz and /metrics on.
type HTTP struct {
	// Addr is host:port, e.g. ":9090" (default "127.0.0.1:9090"; "off" disables the endpoints).
	Addr string `yaml:"addr"`
	// ReadyMaxSyncAge is how old the last successful sync may be for /readyz to answer ready (default 30m).
	ReadyMaxSyncAge Duration `yaml:"ready_max_sync_age"`
}

// Warehouse says where Elementary's tables are.
type Warehouse struct {
	// URL is sqlite:///abs/path.db, postgres://user:pass@host/db?schema=…, or snowflake://… (docs/configuration.md).
	URL string `yaml:"url"`
	// QueryTimeout bounds every warehouse query.
	QueryTimeout Duration `yaml:"query_timeout"`
}

// State is Todai's local database.
type State struct {
	// Path is the SQLite file holding the mirror and Todai's own state.
	Path string `yaml:"path"`
}

// Sync tunes the mirror.
type Sync struct {
	// BackfillDays is how much history the first sync reads.
	BackfillDays int `yaml:"backfill_days"`
	// RetentionDays is how long local history is kept.
	RetentionDays int `yaml:"retention_days"`
	// Overlap is how far behind the watermark each read starts, to catch rows inserted late.
	Overlap Duration `yaml:"overlap"`
	// Interval is how often `todai serve` syncs in the background (DefaultSyncInterval).
	Interval Duration `yaml:"interval"`
}

// Slack configures the Slack bot (`todai serve`). Tokens are best given as ${SLACK_APP_TOKEN} and
// ${SLACK_BOT_TOKEN}; when the file leaves them empty those variables are read.
type Slack struct {
	// APIURL is the Web API base (GovSlack, a proxy); env TODAI_SLACK_API_URL. Default https://slack.com/api/.
	APIURL string `yaml:"api_url"`
	// AppToken is the app-level token (xapp-…), BotToken the bot token (xoxb-…).
	AppToken string `yaml:"app_token"`
	BotToken string `yaml:"bot_token"`
	// Command is the slash command's name (DefaultSlackCommand).
	Command string `yaml:"command"`
	// ReportURL is the Elementary report's base URL; DocsURL the dbt docs site's; RepositoryURL the dbt project's
	// repository (GitHub or GitLab), for the compare links of `why`.
	ReportURL     string `yaml:"report_url"`
	DocsURL       string `yaml:"docs_url"`
	RepositoryURL string `yaml:"repository_url"`
	// Admins are Slack user IDs allowed to change state (acknowledge, snooze) for every team.
	Admins []string `yaml:"admins"`
	// Mentions map owners as found in the data ("@alice", "finance-team") to Slack mentions ("<@U123>",
	// "<!subteam^S123>"), overriding lookups.
	Mentions map[string]string `yaml:"mentions"`
	// Workers answer at once (DefaultSlackWorkers); Queue is how many questions may wait (DefaultSlackQueue).
	Workers int `yaml:"workers"`
	Queue   int `yaml:"queue"`
	// ElementaryChannel is where edr monitor posts its alerts by default (its --slack-channel-name), searched,
	// with a model's meta.channel and the team's channel, for the alert a first notice replies under.
	ElementaryChannel string `yaml:"elementary_channel"`
}

// Team is one data team and the rules that say which nodes it owns.
type Team struct {
	Name string `yaml:"name"`
	// Channel is the team's Slack channel, "#data-finance" or a channel ID.
	Channel  string   `yaml:"channel"`
	Owners   []string `yaml:"owners"`
	Groups   []string `yaml:"groups"`
	Tags     []string `yaml:"tags"`
	Paths    []string `yaml:"paths"`
	MetaTeam []string `yaml:"meta_team"`
	// Locale overrides the default language for this team's messages.
	Locale string `yaml:"locale"`
	// Digest is when the team gets its daily health digest in its channel.
	Digest TeamDigest `yaml:"digest"`
	// QuietHours hold back escalation pings in the team's zone (digest.timezone).
	QuietHours *escalation.QuietHours `yaml:"quiet_hours"`
	// Escalation is the team's escalation policy.
	Escalation *escalation.Policy `yaml:"escalation"`
}

// TeamDigest schedules a team's daily digest.
type TeamDigest struct {
	// Schedule is a five-field cron spec or a descriptor ("0 9 * * 1-5"); empty means no scheduled digest.
	Schedule string `yaml:"schedule"`
	// Timezone is the IANA zone of the schedule and of the digest's times ("Asia/Tokyo"); UTC when empty.
	Timezone string `yaml:"timezone"`
}

// Location returns the team's zone (UTC when unset or unknown; config check reports unknown zones).
func (t Team) Location() *time.Location {
	if t.Digest.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(t.Digest.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Defaults used where the file says nothing.
const (
	DefaultStatePath     = ".todai/state.db"
	DefaultBackfillDays  = 30
	DefaultRetentionDays = 90
	DefaultOverlap       = 2 * time.Hour
	DefaultQueryTimeout  = 60 * time.Second
	DefaultLocale        = "en"
	// DefaultHTTPAddr serves the health and metrics endpoints on loopback only.
	DefaultHTTPAddr = "127.0.0.1:9090"
	// DefaultReadyMaxSyncAge is how stale the mirror may be for /readyz.
	DefaultReadyMaxSyncAge = 30 * time.Minute
	DefaultSyncInterval    = 10 * time.Minute
	DefaultSlackCommand    = "/todai"
	DefaultSlackWorkers    = 4
	DefaultSlackQueue      = 100
)

// Overrides are the values that flags and environment variables put above the file.
type Overrides struct {
	Warehouse string
	State     string
}

// Locate applies the environment below the flags: the file is --config, else TODAI_CONFIG, else ./todai.yaml when
// it exists; the warehouse and state overrides are their flags, else TODAI_WAREHOUSE and TODAI_STATE.
func Locate(file string, flags Overrides, getenv func(string) string) (string, Overrides) {
	file = firstNonBlank(file, getenv("TODAI_CONFIG"))
	if file == "" {
		if _, err := os.Stat("todai.yaml"); err == nil {
			file = "todai.yaml"
		}
	}
	return file, Overrides{
		Warehouse: firstNonBlank(flags.Warehouse, getenv("TODAI_WAREHOUSE")),
		State:     firstNonBlank(flags.State, getenv("TODAI_STATE")),
	}
}

func firstNonBlank(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// Describe names the warehouse without its secrets: "snowflake account xy12345/ANALYTICS", "none".
func (w Warehouse) Describe() string {
	if w.URL == "" {
		return "none"
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		return "(unparseable URL)"
	}
	switch u.Scheme {
	case "sqlite":
		return "sqlite " + u.Path
	case "snowflake":
		return "snowflake account " + u.Host + u.Path
	}
	return u.Scheme + " " + u.Host + u.Path
}

// Location is the zone in which `todai ask` shows times: the configured timezone, else the machine's (an unknown
// zone is a Problem of Load).
func (c *Config) Location() *time.Location {
	if c.Timezone != "" {
		if loc, err := time.LoadLocation(c.Timezone); err == nil {
			return loc
		}
	}
	return time.Local
}

// Team returns the configured team named name (case-insensitively), or a bare team of that name.
func (c *Config) Team(name string) Team {
	for _, t := range c.Teams {
		if strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return Team{Name: name}
}

// TeamLocale is a team's language: its own locale, else the configured one.
func (c *Config) TeamLocale(t Team) string {
	return cmp.Or(t.Locale, c.Locale)
}

// Problem is one mistake in the configuration, with where it is and how to fix it.
type Problem struct {
	File   string
	Line   int
	Column int
	Path   string // YAML path, e.g. $.teams[1].paths[0]
	Msg    string
	Hint   string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Column > 0 {
				fmt.Fprintf(&b, ":%d", p.Column)
			}
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	if p.Hint != "" {
		b.WriteString(" (hint: " + p.Hint + ")")
	}
	return b.String()
}

// Problems is a list of mistakes; it is the error Load returns when the file is wrong.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads the file at path (none when path is ""), expands ${ENV} references, applies overrides and defaults,
// and validates. A file with mistakes returns Problems.
func Load(file string, o Overrides) (*Config, error) {
	c := &Config{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		parsed, err := Parse(file, data)
		if err != nil {
			return nil, err
		}
		c = parsed
	}
	if o.Warehouse != "" {
		c.Warehouse.URL = o.Warehouse
	}
	if o.State != "" {
		c.State.Path = o.State
	}
	c.applyDefaults()
	if ps := c.validateOverrides(); len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

// Parse decodes and validates the YAML text of a configuration file; name is used in messages.
func Parse(name string, data []byte) (*Config, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Problems{yamlProblem(name, err)}
	}
	c := &Config{File: name}
	if !isEmptyDoc(file) {
		if err := yaml.NodeToValue(file.Docs[0].Body, c, yaml.DisallowUnknownField()); err != nil {
			return nil, Problems{yamlProblem(name, err)}
		}
	}
	c.expandEnv()
	c.applyDefaults()
	if ps := c.validate(file); len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

func isEmptyDoc(f *ast.File) bool {
	return len(f.Docs) == 0 || f.Docs[0].Body == nil
}

func yamlProblem(name string, err error) Problem {
	p := Problem{File: name, Msg: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Msg = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
		var unknown *yaml.UnknownFieldError
		if errors.As(err, &unknown) {
			p.Hint = "the known sections are warehouse, state, sync, locale, teams, slack, log and http; see todai.example.yaml"
		}
		var typ *yaml.TypeError
		if errors.As(err, &typ) {
			p.Hint = "durations are written like 90s, 10m or 2h; lists like [a, b]"
		}
	}
	return p
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func expand(s string) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		return os.Getenv(m[2 : len(m)-1])
	})
}

func (c *Config) expandEnv() {
	c.Warehouse.URL = expand(c.Warehouse.URL)
	c.State.Path = expand(c.State.Path)
	for i := range c.Teams {
		c.Teams[i].Channel = expand(c.Teams[i].Channel)
	}
	c.Slack.APIURL = expand(c.Slack.APIURL)
	c.Slack.AppToken = expand(c.Slack.AppToken)
	c.Slack.BotToken = expand(c.Slack.BotToken)
	c.Slack.ReportURL = expand(c.Slack.ReportURL)
	c.Slack.DocsURL = expand(c.Slack.DocsURL)
	c.Slack.RepositoryURL = expand(c.Slack.RepositoryURL)
}

func (c *Config) applyDefaults() {
	c.State.Path = cmp.Or(c.State.Path, DefaultStatePath)
	c.Sync.BackfillDays = cmp.Or(c.Sync.BackfillDays, DefaultBackfillDays)
	c.Sync.RetentionDays = cmp.Or(c.Sync.RetentionDays, DefaultRetentionDays)
	c.Sync.Overlap.orDefault(DefaultOverlap)
	c.Sync.Interval.orDefault(DefaultSyncInterval)
	c.Warehouse.QueryTimeout.orDefault(DefaultQueryTimeout)
	c.HTTP.ReadyMaxSyncAge.orDefault(DefaultReadyMaxSyncAge)
	c.Locale = cmp.Or(c.Locale, DefaultLocale)
	c.Log.Format = cmp.Or(c.Log.Format, "text")
	c.HTTP.Addr = cmp.Or(c.HTTP.Addr, DefaultHTTPAddr)
	c.Slack.APIURL = cmp.Or(os.Getenv("TODAI_SLACK_API_URL"), c.Slack.APIURL)
	c.Slack.AppToken = cmp.Or(c.Slack.AppToken, os.Getenv("SLACK_APP_TOKEN"))
	c.Slack.BotToken = cmp.Or(c.Slack.BotToken, os.Getenv("SLACK_BOT_TOKEN"))
	c.Slack.Command = cmp.Or(c.Slack.Command, DefaultSlackCommand)
	c.Slack.Workers = cmp.Or(c.Slack.Workers, DefaultSlackWorkers)
	c.Slack.Queue = cmp.Or(c.Slack.Queue, DefaultSlackQueue)
}

// orDefault sets the duration to def when the file did not give one.
func (d *Duration) orDefault(def time.Duration) {
	if d.Duration == 0 && d.raw == "" {
		d.Duration = def
	}
}

// validate checks the decoded file, pointing each problem at its line.
func (c *Config) validate(file *ast.File) Problems {
	var ps Problems
	add := func(yamlPath, msg, hint string) {
		p := Problem{File: c.File, Path: yamlPath, Msg: msg, Hint: hint}
		if pp, err := yaml.PathString(yamlPath); err == nil {
			if n, err := pp.FilterFile(file); err == nil && n != nil && n.GetToken() != nil {
				p.Line, p.Column = n.GetToken().Position.Line, n.GetToken().Position.Column
			}
		}
		ps = append(ps, p)
	}
	if c.Warehouse.URL != "" {
		if msg, hint := checkWarehouseURL(c.Warehouse.URL); msg != "" {
			add("$.warehouse.url", msg, hint)
		}
	}
	if msg := c.Warehouse.QueryTimeout.problem(); msg != "" {
		add("$.warehouse.query_timeout", msg, "for example 60s")
	}
	if c.Sync.BackfillDays < 0 || c.Sync.BackfillDays > 3650 {
		add("$.sync.backfill_days", "must be between 1 and 3650", "the default is 30")
	}
	if c.Sync.RetentionDays < 0 || c.Sync.RetentionDays > 3650 {
		add("$.sync.retention_days", "must be between 1 and 3650", "the default is 90")
	}
	if c.Sync.RetentionDays > 0 && c.Sync.BackfillDays > c.Sync.RetentionDays {
		add("$.sync.backfill_days", "is longer than sync.retention_days", "the backfill would be pruned at once")
	}
	if msg := c.Sync.Overlap.problem(); msg != "" {
		add("$.sync.overlap", msg, "for example 2h")
	}
	if msg := c.Sync.Interval.problem(); msg != "" {
		add("$.sync.interval", msg, "for example 10m")
	}
	for _, p := range c.Slack.check() {
		add("$.slack."+p[0], p[1], p[2])
	}
	if c.Log.Level != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(c.Log.Level)); err != nil {
			add("$.log.level", fmt.Sprintf("unknown log level %q", c.Log.Level), "debug, info, warn or error")
		}
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("$.log.format", fmt.Sprintf("unknown log format %q", c.Log.Format), "text or json")
	}
	if c.HTTP.Addr != "off" {
		if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
			add("$.http.addr", fmt.Sprintf("%q is not host:port", c.HTTP.Addr), `":9090", "127.0.0.1:9090" or "off"`)
		}
	}
	if msg := c.HTTP.ReadyMaxSyncAge.problem(); msg != "" {
		add("$.http.ready_max_sync_age", msg, "for example 30m")
	}
	if !validLocale(c.Locale) {
		add("$.locale", fmt.Sprintf("unknown locale %q", c.Locale), `use "en" or "ja"`)
	}
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			add("$.timezone", fmt.Sprintf("unknown time zone %q", c.Timezone), `use an IANA zone name like "Asia/Tokyo"`)
		}
	}
	seen := map[string]int{}
	for i, t := range c.Teams {
		at := fmt.Sprintf("$.teams[%d]", i)
		if strings.TrimSpace(t.Name) == "" {
			add(at, "a team needs a name", "name: finance")
			continue
		}
		if j, dup := seen[strings.ToLower(t.Name)]; dup {
			add(at+".name", fmt.Sprintf("team %q is defined twice (also teams[%d])", t.Name, j), "merge the two entries")
		}
		seen[strings.ToLower(t.Name)] = i
		if t.Channel != "" && !validChannel(t.Channel) {
			add(at+".channel", fmt.Sprintf("%q is not a Slack channel", t.Channel), `write "#data-finance" or a channel ID like C0123ABCD`)
		}
		for k, g := range t.Paths {
			if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
				add(fmt.Sprintf("%s.paths[%d]", at, k), fmt.Sprintf("bad glob %q", g), `globs look like "marts/finance/**"`)
			}
		}
		if t.Locale != "" && !validLocale(t.Locale) {
			add(at+".locale", fmt.Sprintf("unknown locale %q", t.Locale), `use "en" or "ja"`)
		}
		if t.Digest.Timezone != "" {
			if _, err := time.LoadLocation(t.Digest.Timezone); err != nil {
				add(at+".digest.timezone", fmt.Sprintf("unknown time zone %q", t.Digest.Timezone),
					`use an IANA zone name like "Asia/Tokyo"`)
			}
		}
		if t.Digest.Schedule != "" {
			if _, _, err := scheduler.ParseSpec(t.Digest.Schedule, ""); err != nil {
				add(at+".digest.schedule", err.Error(), `five fields "min hour day month weekday", e.g. "0 9 * * 1-5"`)
			}
		}
		if t.QuietHours != nil {
			for _, err := range joined(t.QuietHours.Validate()) {
				add(at+".quiet_hours", err.Error(), `start: "22:00", end: "07:00"`)
			}
		}
		if t.Escalation != nil {
			for _, err := range joined(t.Escalation.Validate()) {
				add(at+".escalation", err.Error(), "see teams[].escalation in docs/configuration.md")
			}
		}
	}
	return ps
}

// joined splits an errors.Join error into its errors.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// validateOverrides checks what flags and the environment set, which have no line to point at.
func (c *Config) validateOverrides() Problems {
	var ps Problems
	if c.Warehouse.URL != "" {
		if msg, hint := checkWarehouseURL(c.Warehouse.URL); msg != "" {
			ps = append(ps, Problem{Path: "warehouse", Msg: msg, Hint: hint})
		}
	}
	return ps
}

// check returns the Slack section's mistakes as [key, message, hint]. Tokens are never echoed.
func (s Slack) check() [][3]string {
	var ps [][3]string
	if s.AppToken != "" && !strings.HasPrefix(s.AppToken, "xapp-") {
		ps = append(ps, [3]string{"app_token", "the app-level token must start with xapp-",
			"create one under Basic Information → App-Level Tokens with connections:write"})
	}
	if s.BotToken != "" && !strings.HasPrefix(s.BotToken, "xoxb-") {
		ps = append(ps, [3]string{"bot_token", "the bot token must start with xoxb-",
			"install the app and copy the Bot User OAuth Token"})
	}
	if s.APIURL != "" {
		if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ps = append(ps, [3]string{"api_url", fmt.Sprintf("%q is not an http(s) URL", s.APIURL),
				"https://slack.com/api/ (or your GovSlack or proxy base)"})
		}
	}
	if !strings.HasPrefix(s.Command, "/") || len(s.Command) < 2 || len(s.Command) > 32 || strings.ContainsAny(s.Command, " \t") {
		ps = append(ps, [3]string{"command", fmt.Sprintf("%q is not a slash command", s.Command), `like "/todai"`})
	}
	for i, a := range s.Admins {
		if !userIDRE.MatchString(a) {
			ps = append(ps, [3]string{fmt.Sprintf("admins[%d]", i), fmt.Sprintf("%q is not a Slack user ID", a),
				"user IDs look like U0123ABCD (profile → ⋮ → Copy member ID)"})
		}
	}
	for _, u := range []struct{ key, v string }{{"report_url", s.ReportURL}, {"docs_url", s.DocsURL},
		{"repository_url", s.RepositoryURL}} {
		if u.v == "" {
			continue
		}
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			ps = append(ps, [3]string{u.key, fmt.Sprintf("%q is not an http(s) URL", u.v), "https://…"})
		}
	}
	if s.Workers < 0 || s.Workers > 256 {
		ps = append(ps, [3]string{"workers", "must be between 1 and 256", "the default is 4"})
	}
	if s.Queue < 0 || s.Queue > 100000 {
		ps = append(ps, [3]string{"queue", "must be between 1 and 100000", "the default is 100"})
	}
	return ps
}

// CheckTokens reports what keeps `todai serve` from starting: missing tokens or tokens of the wrong kind.
func (s Slack) CheckTokens() error {
	var errs []string
	switch {
	case s.AppToken == "":
		errs = append(errs, "no Slack app-level token: set SLACK_APP_TOKEN or slack.app_token (xapp-…)")
	case !strings.HasPrefix(s.AppToken, "xapp-"):
		errs = append(errs, "the Slack app-level token must start with xapp-")
	}
	switch {
	case s.BotToken == "":
		errs = append(errs, "no Slack bot token: set SLACK_BOT_TOKEN or slack.bot_token (xoxb-…)")
	case !strings.HasPrefix(s.BotToken, "xoxb-"):
		errs = append(errs, "the Slack bot token must start with xoxb-")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

var userIDRE = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

func validLocale(l string) bool { return l == "en" || l == "ja" }

// validChannel accepts a "#name" or an ID that the bot takes as an ID (slackui.IsChannelID), so the check and the bot agree.
func validChannel(s string) bool { return validChannelName(s) || slackui.IsChannelID(s) }

// validChannelName accepts a channel's name as Slack allows it, with its "#": up to 80 letters (Japanese among them),
// digits, ".", "_" and "-", beginning with a lower-case letter, a digit or a letter of a script without case. (Checked
// without a regular expression: one over Unicode classes costs every command 12 ms to compile at start.)
func validChannelName(s string) bool {
	name, ok := strings.CutPrefix(s, "#")
	if !ok || name == "" || utf8.RuneCountInString(name) > 80 {
		return false
	}
	for i, r := range name {
		first := i == 0 && (unicode.In(r, unicode.Lo) || unicode.IsNumber(r) || r >= 'a' && r <= 'z')
		rest := i > 0 && (unicode.IsLetter(r) || unicode.IsNumber(r) || r == '.' || r == '_' || r == '-')
		if !first && !rest {
			return false
		}
	}
	return true
}

// checkWarehouseURL returns a problem and a hint, or "" when the URL looks usable. It never echoes secrets.
func checkWarehouseURL(raw string) (msg, hint string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "the warehouse URL cannot be parsed", "sqlite:///abs/path/elementary.db, postgres://user:pass@host/db?schema=prod_elementary or snowflake://user@account/DB/SCHEMA?warehouse=WH"
	}
	switch u.Scheme {
	case "sqlite":
		if u.Path == "" || !strings.HasPrefix(u.Path, "/") || u.Host != "" {
			return "a SQLite warehouse needs an absolute path", "sqlite:///abs/path/elementary.db (three slashes)"
		}
	case "postgres", "postgresql":
		if u.Host == "" {
			return "a PostgreSQL warehouse needs a host", "postgres://user:pass@host:5432/db?schema=prod_elementary"
		}
	case "snowflake":
		if u.Host == "" {
			return "a Snowflake warehouse needs an account", "snowflake://user@myorg-account1/ANALYTICS/PROD_ELEMENTARY?warehouse=WH"
		}
	default:
		return fmt.Sprintf("unknown warehouse kind %q", u.Scheme), "the URL starts with sqlite://, postgres:// or snowflake://"
	}
	return "", ""
}

// TeamRules turns the teams into the read model's rules.
func (c *Config) TeamRules() queries.Teams {
	rules := make([]queries.TeamRule, 0, len(c.Teams))
	for _, t := range c.Teams {
		rules = append(rules, queries.TeamRule{Name: t.Name, Owners: t.Owners, Groups: t.Groups, Tags: t.Tags,
			Paths: t.Paths, MetaTeam: t.MetaTeam})
	}
	return queries.Teams{Rules: rules}
}

// Duration is a length of time written like 90s, 10m, 2h or 7d. A value that cannot be read is kept and reported
// by validation with its line, rather than failing the whole decode.
type Duration struct {
	time.Duration
	raw string
	bad bool
}

// UnmarshalYAML reads a duration.
func (d *Duration) UnmarshalYAML(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"'`)
	d.raw = s
	v, err := ParseDuration(s)
	if err != nil {
		d.bad = true
		return nil
	}
	d.Duration = v
	return nil
}

func (d Duration) problem() string {
	switch {
	case d.bad:
		return fmt.Sprintf("%q is not a duration", d.raw)
	case d.Duration <= 0:
		return "must be positive"
	}
	return ""
}

// ParseDuration reads a duration in the config as a question does (handlers.ParseDuration): Go durations (90s, 10m,
// 2h30m) and whole days or weeks (7d, 2w).
func ParseDuration(s string) (time.Duration, error) {
	d, ok := handlers.ParseDuration(s)
	if !ok {
		return 0, fmt.Errorf("bad duration %q", strings.TrimSpace(s))
	}
	return d, nil
}

// Secrets lists the secret values of a configuration: Slack tokens and the password, passphrase and token
// of the warehouse URL.
func (c *Config) Secrets() []string {
	if c == nil {
		return nil
	}
	out := []string{c.Slack.AppToken, c.Slack.BotToken}
	if u, err := url.Parse(c.Warehouse.URL); err == nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
		q := u.Query()
		for _, k := range []string{"password", "private_key_passphrase", "token", "passphrase"} {
			out = append(out, q.Get(k))
		}
	}
	return out
}

// EscalationPolicy returns a team's escalation policy, with the team's quiet hours (its own, else the team's)
// in the team's zone; false when the team has none.
func (c *Config) EscalationPolicy(team string) (escalation.Policy, bool) {
	for _, t := range c.Teams {
		if t.Name != team || t.Escalation == nil {
			continue
		}
		p := *t.Escalation
		if p.QuietHours == nil && t.QuietHours != nil {
			q := *t.QuietHours
			p.QuietHours = &q
		}
		if p.QuietHours != nil {
			q := *p.QuietHours
			q.Location = t.Location()
			p.QuietHours = &q
		}
		return p, true
	}
	return escalation.Policy{}, false
}

// Check is doctor's configuration check: Load, each of its Problems a failed finding, and whether there is a file.
// The configuration is nil when it cannot be used.
func Check(file string, o Overrides) (*Config, checkup.Findings) {
	var out checkup.Findings
	cfg, err := Load(file, o)
	var ps Problems
	switch {
	case errors.As(err, &ps):
		for _, p := range ps {
			out.Fail(p.String(), "edit the file (see docs/configuration.md); `todai config check` re-checks it")
		}
		return nil, out
	case err != nil:
		out.Fail(err.Error(), "pass the file with --config or TODAI_CONFIG, or create todai.yaml (see todai.example.yaml)")
		return nil, out
	}
	if cfg.File == "" {
		out.Warn("no configuration file: defaults, flags and environment only",
			"create todai.yaml (see todai.example.yaml) to configure teams and Slack")
	} else {
		out.Pass(fmt.Sprintf("%s parses and is valid (%s)", cfg.File, handlers.Plural(len(cfg.Teams), "team", "teams")))
	}
	return cfg, out
}

// DigestSchedules lists each team's digest schedule, as the scheduler reads them.
func (c *Config) DigestSchedules() []scheduler.TeamSchedule {
	out := make([]scheduler.TeamSchedule, 0, len(c.Teams))
	for _, t := range c.Teams {
		out = append(out, scheduler.TeamSchedule{Name: t.Name, Spec: t.Digest.Schedule, Timezone: t.Digest.Timezone})
	}
	return out
}
