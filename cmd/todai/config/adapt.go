package config

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/quantity"
	"github.com/todai-dev/todai/scheduler"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// TeamZone is the name of a team's one zone, where its schedules live: its timezone (else the digest.timezone of
// earlier releases), else the project's, else "" (UTC).
func (c *Config) TeamZone(t Team) string {
	return cmp.Or(t.Timezone, t.Digest.Timezone, c.Timezone)
}

// TeamLocation is a team's zone (TeamZone; UTC when none is set, or the name is unknown: config check reports
// unknown zones).
func (c *Config) TeamLocation(t Team) *time.Location {
	return zoneOrUTC(c.TeamZone(t))
}

// ScheduleLocation is the project's zone for schedules: its timezone, else UTC (never the machine's: a schedule
// must not change with the server it runs on).
func (c *Config) ScheduleLocation() *time.Location {
	return zoneOrUTC(c.Timezone)
}

// zoneOrUTC loads a zone by name: UTC when the name is empty or unknown.
func zoneOrUTC(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
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

// TeamLocale is a team's language: its own locale, else the configured one.
func (c *Config) TeamLocale(t Team) string {
	return cmp.Or(t.Locale, c.Locale)
}

// TeamRules turns the teams into the read model's rules.
func (c *Config) TeamRules() queries.Teams {
	rules := make([]queries.TeamRule, 0, len(c.Teams))
	for _, t := range c.Teams {
		rules = append(rules, queries.TeamRule{Name: t.Name, Owners: t.Owners, Groups: t.Groups, Tags: t.Tags,
			Paths: t.Paths, MetaTeam: t.MetaTeam, Location: c.TeamLocation(t),
			ExposureFreshness: t.ExposureFreshness.Duration})
	}
	return queries.Teams{Rules: rules}
}

// ParseDuration reads a duration in the config as a question does (handlers.ParseDuration): Go durations (90s, 10m,
// 2h30m) and whole days or weeks (7d, 2w).
func ParseDuration(s string) (time.Duration, error) {
	d, ok := quantity.ParseDuration(s)
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
	out := []string{c.Slack.AppToken, c.Slack.BotToken, c.MCP.Token}
	for _, raw := range []string{c.Warehouse.URL, c.State.URL} {
		if u, err := url.Parse(raw); err == nil {
			if p, ok := u.User.Password(); ok {
				out = append(out, p)
			}
			q := u.Query()
			for _, k := range []string{"password", "private_key_passphrase", "token", "passphrase"} {
				out = append(out, q.Get(k))
			}
		}
	}
	return out
}

// DescribeState says where the state is, without its password: "file .todai/state.db", or "postgres
// db.internal:5432/todai (schema todai), mirror in .todai/state.db".
func (s State) DescribeState() string {
	if s.URL == "" {
		return "file " + s.Path
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return "(unparseable state URL), mirror in " + s.Path
	}
	schema := cmp.Or(u.Query().Get("schema"), "todai")
	return fmt.Sprintf("postgres %s%s (schema %s), mirror in %s", u.Host, u.Path, schema, s.Path)
}

// EscalationPolicy returns a team's escalation policy (the team named case-insensitively: the dbt group or
// meta.team of a node may spell it otherwise), with the team's quiet hours (its own, else the team's) in the team's
// zone; false when the team has none.
func (c *Config) EscalationPolicy(team string) (escalation.Policy, bool) {
	for _, t := range c.Teams {
		if !strings.EqualFold(t.Name, team) || t.Escalation == nil {
			continue
		}
		p := *t.Escalation
		if p.QuietHours == nil && t.QuietHours != nil {
			q := *t.QuietHours
			p.QuietHours = &q
		}
		if p.QuietHours != nil {
			q := *p.QuietHours
			q.Location = c.TeamLocation(t)
			p.QuietHours = &q
		}
		return p, true
	}
	return escalation.Policy{}, false
}

// DigestSchedules lists each team's digest schedule, as the scheduler reads them, and the platform digest's.
func (c *Config) DigestSchedules() []scheduler.TeamSchedule {
	out := make([]scheduler.TeamSchedule, 0, len(c.Teams))
	for _, t := range c.Teams {
		out = append(out, scheduler.TeamSchedule{Name: t.Name, Spec: t.Digest.Schedule, Timezone: c.TeamZone(t)})
	}
	if pl := c.Platform; pl.Channel != "" && pl.Schedule != "" {
		zone := pl.Timezone
		if zone == "" {
			zone = c.Timezone
		}
		out = append(out, scheduler.TeamSchedule{Name: bot.PlatformTeam, Spec: pl.Schedule, Timezone: zone})
	}
	return out
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

// Weekday reads a weekday's English name ("monday", "Mon"), without case.
func Weekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || len(s) >= 3 && strings.HasPrefix(name, s) {
			return d, true
		}
	}
	return 0, false
}

// HealthWeights are the configured dimensions' weights.
func (c *Config) HealthWeights() map[queries.QualityDimension]float64 {
	out := map[queries.QualityDimension]float64{}
	for d, w := range c.Health.Weights {
		if dim, ok := queries.ParseQualityDimension(d); ok {
			out[dim] = w
		}
	}
	return out
}

// ReadRunbooks are the configured runbooks as the read model takes them, keys in lower case (a URL that does not
// parse is left out: config check says so).
func (c *Config) ReadRunbooks() queries.Runbooks {
	out := queries.Runbooks{TestTypes: map[string]string{}, Tags: map[string]string{}}
	for _, m := range []struct{ from, to map[string]string }{{c.Runbooks.TestTypes, out.TestTypes}, {c.Runbooks.Tags, out.Tags}} {
		for k, link := range m.from {
			if link = strings.TrimSpace(link); queries.RunbookURL(link) {
				m.to[strings.ToLower(strings.TrimSpace(k))] = link
			}
		}
	}
	return out
}

// CoverageDay is the weekday whose digest of team also lists its blind spots (Monday when not configured).
func (c *Config) CoverageDay(team string) time.Weekday {
	if d, ok := Weekday(c.Team(team).Digest.CoverageDay); ok {
		return d
	}
	return time.Monday
}
