package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// Config is the whole of todai.yaml.
type Config struct {
	Warehouse Warehouse `yaml:"warehouse"`
	State     State     `yaml:"state"`
	Sync      Sync      `yaml:"sync"`
	// Locale is the default answer language when the question does not tell: "en" or "ja".
	Locale string `yaml:"locale"`
	// Timezone is the project's IANA zone ("Asia/Tokyo"): the zone of the schedules of teams without one of their
	// own (their nodes' cadences, quiet hours and digests; UTC when empty), and the one in which `todai ask` shows
	// times and reads dates written without a zone (the machine's when empty). Slack answers show each reader their
	// own zone.
	Timezone string `yaml:"timezone"`
	Teams    []Team `yaml:"teams"`
	// Exposures configures what `todai serve` tells the audiences of exposures.
	Exposures Exposures `yaml:"exposures"`
	// Charts configures the charts drawn as images.
	Charts Charts `yaml:"charts"`
	// Health configures health scores and the alert when a team's drops.
	Health Health `yaml:"health"`
	// Runbooks are the playbooks linked from incident notices, next steps and the App Home where a node's or test's
	// own meta.runbook says nothing.
	Runbooks Runbooks `yaml:"runbooks"`
	// Platform configures the platform digest: every team's health and the project's blind spots.
	Platform Platform `yaml:"platform"`
	// Slack configures `todai serve`.
	Slack Slack `yaml:"slack"`
	// Log configures logging.
	Log Log `yaml:"log"`
	// HTTP configures the health and metrics endpoints of `todai serve`.
	HTTP HTTP `yaml:"http"`
	// MCP configures the MCP tools `todai serve` offers on its HTTP port (`todai mcp` serves them over stdio).
	MCP MCP `yaml:"mcp"`

	// File is the path the configuration was read from ("" when there was none).
	File string `yaml:"-"`
	// Warnings are what the file leaves to chance without being wrong: a zone it implies, a key it should move.
	Warnings Problems `yaml:"-"`
}

// Runbooks map test types and tags to playbook URLs.
type Runbooks struct {
	// TestTypes maps a test's type (not_null, unique, volume_anomalies, …) to its runbook.
	TestTypes map[string]string `yaml:"test_types"`
	// Tags maps a tag to the runbook of the nodes and tests that carry it.
	Tags map[string]string `yaml:"tags"`
}

// Exposures configures the heads-up to an exposure's audience.
type Exposures struct {
	// HeadsUp, when true, has `todai serve` post once in an exposure's channel (its meta.channel, else its team's),
	// mentioning its owner, when it turns unsafe to use, and once more when it is usable again. Off by default.
	HeadsUp bool `yaml:"heads_up"`
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

// MCP configures the streamable HTTP endpoint of the MCP tools in `todai serve`.
type MCP struct {
	// HTTP serves the tools at /mcp on http.addr (off by default).
	HTTP bool `yaml:"http"`
	// Token is the bearer token every /mcp request must carry ("${TODAI_MCP_TOKEN}"); required unless http.addr is
	// a loopback address.
	Token string `yaml:"token"`
	// AllowActions adds the tools that change incidents (acknowledge, take, resolve), done as Actor, a Slack user ID
	// (required with it); off by default: every tool is read-only.
	AllowActions bool   `yaml:"allow_actions"`
	Actor        string `yaml:"actor"`
}

// Warehouse says where Elementary's tables are.
type Warehouse struct {
	// URL is sqlite:///abs/path.db, postgres://user:pass@host/db?schema=…, or snowflake://… (docs/configuration.md).
	URL string `yaml:"url"`
	// QueryTimeout bounds every warehouse query.
	QueryTimeout Duration `yaml:"query_timeout"`
}

// State is where Todai keeps the mirror and its own state. Written as one value (`state: .todai/state.db`, `state:
// postgres://…`), a PostgreSQL URL is the URL and anything else the path.
type State struct {
	// Path is the local SQLite file: the mirror of Elementary's tables, and Todai's own state unless URL is set.
	Path string `yaml:"path"`
	// URL, a postgres:// URL (?schema=, "todai" unless given), holds Todai's own state — incidents, silences, sends,
	// digest slots, tick claims, envelope dedupe — in PostgreSQL, which several replicas share; the mirror stays in
	// Path, a cache each replica fills from the warehouse.
	URL string `yaml:"url"`
}

// UnmarshalYAML reads the state as one value (a path or a postgres:// URL) or as {path, url}.
func (s *State) UnmarshalYAML(b []byte) error {
	var one string
	if err := yaml.Unmarshal(b, &one); err == nil {
		s.Set(one)
		return nil
	}
	type plain State
	var p plain
	if err := yaml.UnmarshalWithOptions(b, &p, yaml.DisallowUnknownField()); err != nil {
		return err
	}
	*s = State(p)
	return nil
}

// Set applies one value, as --state and TODAI_STATE give it: a postgres:// URL is the URL, anything else the path.
func (s *State) Set(v string) {
	if statedb.IsURL(v) {
		s.URL = v
		return
	}
	s.Path = v
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
	// Charts is how answers' charts are drawn in Slack: "block" (Slack's own chart, an image only where Slack
	// refuses it) or "image" (always an image, uploaded in the thread). Default "block".
	Charts string `yaml:"charts"`
}

// Health configures health scores and their alert.
type Health struct {
	// Weights are the quality dimensions' weights in a total (freshness, completeness, uniqueness, validity,
	// accuracy, consistency); 1 for those not given.
	Weights map[string]float64 `yaml:"weights"`
	// AlertBelow, when set, posts to a team's channel once when its total falls below it; AlertDrop, when set, once
	// when it falls by more than that many points in a day. Neither again until it recovers.
	AlertBelow *float64 `yaml:"alert_below"`
	AlertDrop  *float64 `yaml:"alert_drop"`
}

// Platform configures the platform team's digest: every team's score, the unowned models and the blind spots.
type Platform struct {
	// Channel is where it is posted; Schedule when (a cron spec, in Timezone or the project's zone).
	Channel  string `yaml:"channel"`
	Schedule string `yaml:"schedule"`
	Timezone string `yaml:"timezone"`
}

// Charts configures the pictures drawn as images (`todai ask --chart`, and Slack's fallback).
type Charts struct {
	// Font is a TrueType or OpenType font file (or a .ttc collection) with the glyphs of Japanese, for labels in
	// Japanese; without one, images are labelled in English.
	Font string `yaml:"font"`
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
	// Members are the Slack user IDs who may work the team's incidents (take, assign, set the severity, resolve);
	// with UserGroup, a Slack user group's ID (S…) whose members may. The team's channel's members when neither
	// is set; admins always may.
	Members   []string `yaml:"members"`
	UserGroup string   `yaml:"usergroup"`
	// Locale overrides the default language for this team's messages.
	Locale string `yaml:"locale"`
	// Timezone is the team's one IANA zone: its nodes' cadences (hourly, daily, weekdays) are learned and judged
	// in it, its quiet hours and its digest run in it. The project's timezone when empty, else UTC.
	Timezone string `yaml:"timezone"`
	// ExposureFreshness is how old the data behind the team's exposures may be before they are unsafe to use (an
	// exposure's meta.freshness wins); none when empty.
	ExposureFreshness Duration `yaml:"exposure_freshness"`
	// Digest is when the team gets its daily health digest in its channel.
	Digest TeamDigest `yaml:"digest"`
	// QuietHours hold back escalation pings in the team's zone.
	QuietHours *escalation.QuietHours `yaml:"quiet_hours"`
	// Escalation is the team's escalation policy.
	Escalation *escalation.Policy `yaml:"escalation"`
}

// TeamDigest schedules a team's daily digest.
type TeamDigest struct {
	// Schedule is a five-field cron spec or a descriptor ("0 9 * * 1-5"); empty means no scheduled digest.
	Schedule string `yaml:"schedule"`
	// Timezone is the team's zone as earlier releases read it, for the digest only: still read as the team's
	// timezone when that is empty (config check says to move it).
	Timezone string `yaml:"timezone"`
	// CoverageDay is the weekday whose digest also lists the blind spots (monday, the default, … sunday).
	CoverageDay string `yaml:"coverage_day"`
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
