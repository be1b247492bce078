package config

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/checkup"
	"github.com/todai-dev/todai/queries/quantity"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/scheduler"
)

// validate checks the decoded file, pointing each problem — and each warning, kept in c.Warnings — at its line.
func (c *Config) validate(file *ast.File) Problems {
	var ps Problems
	at := func(yamlPath, msg, hint string) Problem {
		p := Problem{File: c.File, Path: yamlPath, Msg: msg, Hint: hint}
		if pp, err := yaml.PathString(yamlPath); err == nil {
			if n, err := pp.FilterFile(file); err == nil && n != nil && n.GetToken() != nil {
				p.Line, p.Column = n.GetToken().Position.Line, n.GetToken().Position.Column
			}
		}
		return p
	}
	add := func(yamlPath, msg, hint string) { ps = append(ps, at(yamlPath, msg, hint)) }
	warn := func(yamlPath, msg, hint string) { c.Warnings = append(c.Warnings, at(yamlPath, msg, hint)) }
	if c.State.URL != "" && !statedb.IsURL(c.State.URL) {
		add("$.state.url", "the state's URL must be a postgres:// URL", "postgres://user:password@host:5432/db?schema=todai, or leave it out to keep the state in state.path")
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
	if f := c.Charts.Font; f != "" {
		if st, err := os.Stat(f); err != nil || st.IsDir() {
			add("$.charts.font", fmt.Sprintf("no font file at %q", f),
				"a .ttf, .otf or .ttc file with Japanese glyphs, e.g. /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
		}
	}
	for d, w := range c.Health.Weights {
		if _, ok := queries.ParseQualityDimension(d); !ok || w < 0 {
			add("$.health.weights."+d, fmt.Sprintf("%q: %g is not a dimension's weight", d, w),
				"weights of freshness, completeness, uniqueness, validity, accuracy or consistency, 0 or more")
		}
	}
	for _, a := range []struct {
		key string
		v   *float64
	}{{"alert_below", c.Health.AlertBelow}, {"alert_drop", c.Health.AlertDrop}} {
		if a.v != nil && (*a.v <= 0 || *a.v > 100) {
			add("$.health."+a.key, fmt.Sprintf("%g is not between 0 and 100", *a.v), "a score's points, e.g. 70")
		}
	}
	if pl := c.Platform; pl.Channel != "" || pl.Schedule != "" {
		for i, t := range c.Teams {
			if strings.EqualFold(t.Name, bot.PlatformTeam) {
				add(fmt.Sprintf("$.teams[%d].name", i), `a team is called "platform", the platform digest's name`,
					"rename the team, or leave platform: out")
			}
		}
		if !validChannel(pl.Channel) {
			add("$.platform.channel", fmt.Sprintf("%q is not a Slack channel", pl.Channel), `write "#data-platform" or a channel ID`)
		}
		if pl.Schedule != "" {
			if _, _, err := scheduler.ParseSpec(pl.Schedule, ""); err != nil {
				add("$.platform.schedule", err.Error(), `five fields "min hour day month weekday", e.g. "0 9 * * 1"`)
			}
		}
		if pl.Timezone != "" {
			if _, err := time.LoadLocation(pl.Timezone); err != nil {
				add("$.platform.timezone", fmt.Sprintf("unknown time zone %q", pl.Timezone), `use an IANA zone name like "Asia/Tokyo"`)
			}
		}
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
	if c.MCP.AllowActions && !userIDRE.MatchString(c.MCP.Actor) {
		add("$.mcp.allow_actions", fmt.Sprintf("mcp.allow_actions needs mcp.actor, the Slack user the actions are done as (%q is not a user ID)", c.MCP.Actor),
			"actor: U0123ABCD (profile → ⋮ → Copy member ID)")
	}
	if t := c.MCP.Token; t != "" && len(t) < minTokenLength {
		add("$.mcp.token", fmt.Sprintf("mcp.token is %d characters; at least %d make it hard to guess", len(t), minTokenLength),
			"generate one: openssl rand -hex 32")
	}
	if c.MCP.HTTP {
		host, _, _ := net.SplitHostPort(c.HTTP.Addr)
		ip := net.ParseIP(host)
		switch loopback := host == "localhost" || (ip != nil && ip.IsLoopback()); {
		case c.HTTP.Addr == "off":
			add("$.mcp.http", "mcp.http needs the HTTP port, and http.addr is off", `set http.addr, e.g. "127.0.0.1:9090"`)
		case c.MCP.Token == "" && !loopback:
			add("$.mcp.http", fmt.Sprintf("/mcp on %s, reachable from other machines, needs a bearer token (mcp.token)", c.HTTP.Addr),
				`token: "${TODAI_MCP_TOKEN}", or bind http.addr to 127.0.0.1`)
		}
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
	for _, m := range []struct {
		key   string
		links map[string]string
	}{{"$.runbooks.test_types", c.Runbooks.TestTypes}, {"$.runbooks.tags", c.Runbooks.Tags}} {
		for _, k := range slices.Sorted(maps.Keys(m.links)) {
			if link := strings.TrimSpace(m.links[k]); !queries.RunbookURL(link) {
				add(m.key+"."+k, fmt.Sprintf("%q is not a runbook link", link), "an http(s) URL, like https://wiki.example.com/runbooks/not-null")
			}
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
		if t.ExposureFreshness.raw != "" {
			if msg := t.ExposureFreshness.problem(); msg != "" {
				add(at+".exposure_freshness", msg, "for example 24h or 1d")
			}
		}
		for k, m := range t.Members {
			if !userIDRE.MatchString(m) {
				add(fmt.Sprintf("%s.members[%d]", at, k), fmt.Sprintf("%q is not a Slack user ID", m),
					"user IDs look like U0123ABCD (profile → ⋮ → Copy member ID)")
			}
		}
		if t.UserGroup != "" && !userGroupIDRE.MatchString(t.UserGroup) {
			add(at+".usergroup", fmt.Sprintf("%q is not a Slack user group ID", t.UserGroup),
				"user group IDs look like S0123ABCD (the group's page → ⋮ → Copy group ID)")
		}
		if t.Locale != "" && !validLocale(t.Locale) {
			add(at+".locale", fmt.Sprintf("unknown locale %q", t.Locale), `use "en" or "ja"`)
		}
		for _, z := range []struct{ key, name string }{{".timezone", t.Timezone}, {".digest.timezone", t.Digest.Timezone}} {
			if z.name == "" {
				continue
			}
			if _, err := time.LoadLocation(z.name); err != nil {
				add(at+z.key, fmt.Sprintf("unknown time zone %q", z.name), `use an IANA zone name like "Asia/Tokyo"`)
			}
		}
		switch {
		case t.Timezone != "" && t.Digest.Timezone != "" && t.Timezone != t.Digest.Timezone:
			add(at+".digest.timezone", fmt.Sprintf("team %q has two zones: timezone %s and digest.timezone %s", t.Name,
				t.Timezone, t.Digest.Timezone), "a team has one zone: keep timezone and remove digest.timezone")
		case t.Digest.Timezone != "":
			warn(at+".digest.timezone", "digest.timezone is the team's zone now: its nodes' cadences and its quiet hours follow it too",
				"move it up to the team: timezone: "+t.Digest.Timezone)
		case c.TeamZone(t) == "" && (t.Digest.Schedule != "" || t.QuietHours != nil || t.Escalation != nil):
			warn(at, fmt.Sprintf("team %q has no zone: its digest, quiet hours and the cadences of its nodes run in UTC", t.Name),
				`set timezone: "Asia/Tokyo" on the team, or timezone: for the project`)
		}
		if t.Digest.Schedule != "" {
			if _, _, err := scheduler.ParseSpec(t.Digest.Schedule, ""); err != nil {
				add(at+".digest.schedule", err.Error(), `five fields "min hour day month weekday", e.g. "0 9 * * 1-5"`)
			}
		}
		if d := t.Digest.CoverageDay; d != "" {
			if _, ok := Weekday(d); !ok {
				add(at+".digest.coverage_day", fmt.Sprintf("%q is not a weekday", d), "monday … sunday")
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
	if s.Charts != "" && s.Charts != "block" && s.Charts != "image" {
		ps = append(ps, [3]string{"charts", fmt.Sprintf("unknown chart style %q", s.Charts),
			`"block" (Slack draws it) or "image" (a PNG in the thread)`})
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

// minTokenLength is the shortest mcp.token config check accepts.
const minTokenLength = 16

// userGroupIDRE matches a Slack user group's ID.
var userGroupIDRE = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)

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
		out.Pass(fmt.Sprintf("%s parses and is valid (%s)", cfg.File, quantity.Plural(len(cfg.Teams), "team", "teams")))
	}
	for _, w := range cfg.Warnings {
		out.Warn(w.String(), w.Hint)
	}
	return cfg, out
}
