package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/scheduler"
)

func TestTeamDigestConfig(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"valid", "teams:\n  - name: finance\n    digest: {schedule: \"0 9 * * 1-5\", timezone: Asia/Tokyo}\n", ""},
		{"bad spec", "teams:\n  - name: finance\n    digest: {schedule: \"0 0 9 * * *\"}\n", "digest.schedule"},
		{"bad zone", "teams:\n  - name: finance\n    digest: {schedule: \"0 9 * * *\", timezone: Mars/Olympus}\n", "digest.timezone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("todai.yaml", []byte(tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Teams[0].Digest.Schedule != "0 9 * * 1-5" || c.TeamLocation(c.Teams[0]).String() != "Asia/Tokyo" {
					t.Errorf("team = %+v", c.Teams[0])
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one about %s", err, tt.wantErr)
			}
		})
	}
}

func TestTeamEscalationConfig(t *testing.T) {
	const levels = "      levels: [{after: 0s, notify: [{kind: channel}]}]\n"
	tests := []struct {
		name, yaml string
		wantErrs   []string
	}{
		{name: "valid, with the edr monitor settings",
			yaml: "teams:\n  - name: finance\n    quiet_hours: {start: \"22:00\", end: \"07:00\"}\n    escalation:\n" + levels +
				"      link_elementary_alerts: false\n      elementary_wait: 10m\n"},
		{name: "no levels", yaml: "teams:\n  - name: finance\n    escalation: {repeat: 1h}\n", wantErrs: []string{"escalation: escalation policy: no levels"}},
		{name: "negative durations and a bad target",
			yaml: "teams:\n  - name: finance\n    escalation:\n      levels: [{after: 0s, notify: [{kind: pager}]}]\n" +
				"      repeat: -1h\n      elementary_wait: -5m\n",
			wantErrs: []string{`unknown target kind "pager"`, "negative repeat", "negative elementary_wait"}},
		{name: "malformed quiet hours", yaml: "teams:\n  - name: finance\n    quiet_hours: {start: \"25:00\", end: \"7\"}\n",
			wantErrs: []string{"quiet_hours: quiet hours start", "quiet_hours: quiet hours end"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("todai.yaml", []byte(tt.yaml))
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				p := c.Teams[0].Escalation
				if p.LinksElementaryAlerts() || p.ElementaryWaitOrDefault().String() != "10m0s" {
					t.Errorf("policy = %+v", p)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v\nwant one about %s", err, want)
				}
			}
		})
	}
}

// TestEscalationPolicy: a team's policy gets the team's quiet hours unless it has its own, always in the team's
// zone; a team without a policy (or not configured) has none.
func TestEscalationPolicy(t *testing.T) {
	const levels = "      levels: [{after: 0s, notify: [{kind: channel}]}]\n"
	c, err := Parse("todai.yaml", []byte("teams:\n"+
		"  - name: finance\n    digest: {timezone: Asia/Tokyo}\n    quiet_hours: {start: \"22:00\", end: \"07:00\"}\n    escalation:\n"+levels+
		"  - name: growth\n    digest: {timezone: Europe/Paris}\n    quiet_hours: {start: \"22:00\", end: \"07:00\"}\n    escalation:\n"+levels+
		"      quiet_hours: {start: \"20:00\", end: \"08:00\"}\n"+
		"  - name: people\n    quiet_hours: {start: \"22:00\", end: \"07:00\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		team, start, zone string
		ok                bool
	}{
		{"finance", "22:00", "Asia/Tokyo", true},
		{"growth", "20:00", "Europe/Paris", true},
		{"people", "", "", false},
		{"nobody", "", "", false},
	} {
		p, ok := c.EscalationPolicy(tt.team)
		if ok != tt.ok {
			t.Errorf("%s: has a policy = %v, want %v", tt.team, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if p.QuietHours == nil || p.QuietHours.Start != tt.start || p.QuietHours.Location.String() != tt.zone {
			t.Errorf("%s: quiet hours = %+v, want from %s in %s", tt.team, p.QuietHours, tt.start, tt.zone)
		}
	}
	if c.Teams[0].Escalation.QuietHours != nil {
		t.Error("EscalationPolicy changed the configured policy")
	}
}

// TestTeamZones: a team has one zone — its timezone, else the digest.timezone of earlier releases, else the
// project's, else UTC — which its digest schedule, its quiet hours and its nodes' cadences share; config check warns
// where a zone is implied, and refuses two zones for one team.
func TestTeamZones(t *testing.T) {
	const esc = "    escalation: {levels: [{after: 0s, notify: [{kind: channel}]}], quiet_hours: {start: \"22:00\", end: \"07:00\"}}\n"
	for _, tc := range []struct {
		name, yaml       string
		zone, quietZone  string
		warning, problem string
	}{
		{name: "the team's own", yaml: "teams:\n  - name: finance\n    timezone: Asia/Tokyo\n" + esc,
			zone: "Asia/Tokyo", quietZone: "Asia/Tokyo"},
		{name: "the project's", yaml: "timezone: America/Los_Angeles\nteams:\n  - name: finance\n" + esc,
			zone: "America/Los_Angeles", quietZone: "America/Los_Angeles"},
		{name: "an earlier release's digest.timezone", yaml: "teams:\n  - name: finance\n    digest: {timezone: Asia/Kolkata}\n" + esc,
			zone: "Asia/Kolkata", quietZone: "Asia/Kolkata", warning: "digest.timezone is the team's zone now"},
		{name: "none: UTC, said", yaml: "teams:\n  - name: finance\n" + esc, zone: "UTC", quietZone: "UTC",
			warning: "has no zone"},
		{name: "two zones", yaml: "teams:\n  - name: finance\n    timezone: Asia/Tokyo\n    digest: {timezone: UTC}\n",
			problem: "has two zones"},
		{name: "an unknown zone", yaml: "teams:\n  - name: finance\n    timezone: Mars/Olympus\n",
			problem: `unknown time zone "Mars/Olympus"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("todai.yaml", []byte(tc.yaml))
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("err = %v, want %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.TeamLocation(c.Teams[0]).String(); got != tc.zone {
				t.Errorf("zone %s, want %s", got, tc.zone)
			}
			if got := c.TeamRules().Rules[0].Location.String(); got != tc.zone {
				t.Errorf("the read model's zone %s, want %s", got, tc.zone)
			}
			// The dbt group may spell the team otherwise: the policy is found all the same.
			p, ok := c.EscalationPolicy("FINANCE")
			if !ok || p.QuietHours == nil || p.QuietHours.Location.String() != tc.quietZone {
				t.Errorf("policy of FINANCE = %+v, %v; want quiet hours in %s", p, ok, tc.quietZone)
			}
			var warned []string
			for _, w := range c.Warnings {
				warned = append(warned, w.String())
			}
			if got := strings.Join(warned, "; "); (tc.warning == "") != (got == "") || !strings.Contains(got, tc.warning) {
				t.Errorf("warnings %q, want %q", got, tc.warning)
			}
		})
	}
}

// TestHealthAndPlatformConfig reads the health weights and alert thresholds, the coverage day and the platform
// digest, and points at each mistake by its line.
func TestHealthAndPlatformConfig(t *testing.T) {
	const valid = `timezone: Asia/Tokyo
teams:
  - name: finance
    digest: {schedule: "0 9 * * *", coverage_day: fri}
  - name: growth
health:
  weights: {Freshness: 2, consistency: 0}
  alert_below: 70
  alert_drop: 15
platform:
  channel: "#data-platform"
  schedule: "0 9 * * 1"
`
	c, err := Parse("todai.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	w := c.HealthWeights()
	if w[queries.DimFreshness] != 2 || w[queries.DimConsistency] != 0 || len(w) != 2 {
		t.Errorf("weights = %v", w)
	}
	if *c.Health.AlertBelow != 70 || *c.Health.AlertDrop != 15 {
		t.Errorf("alerts = %v, %v", *c.Health.AlertBelow, *c.Health.AlertDrop)
	}
	if c.CoverageDay("Finance") != time.Friday || c.CoverageDay("growth") != time.Monday {
		t.Errorf("coverage days = %s, %s", c.CoverageDay("Finance"), c.CoverageDay("growth"))
	}
	var platform *scheduler.TeamSchedule
	for _, s := range c.DigestSchedules() {
		if s.Name == bot.PlatformTeam {
			platform = &s
		}
	}
	if platform == nil || platform.Spec != "0 9 * * 1" || platform.Timezone != "Asia/Tokyo" {
		t.Errorf("the platform digest's schedule = %+v, want Mondays 09:00 in the project's zone", platform)
	}

	for _, tc := range []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"unknown dimension", "health:\n  weights: {timeliness: 1}\n", 2, "not a dimension's weight"},
		{"negative weight", "health:\n  weights:\n    validity: -1\n", 3, "not a dimension's weight"},
		{"threshold above 100", "health:\n  alert_below: 150\n", 2, "not between 0 and 100"},
		{"zero drop", "health:\n  alert_drop: 0\n", 2, "not between 0 and 100"},
		{"bad coverage day", "teams:\n  - name: a\n    digest: {coverage_day: someday}\n", 3, "not a weekday"},
		{"team called platform", "teams:\n  - name: Platform\nplatform:\n  channel: \"#p\"\n", 2, `called "platform"`},
		{"schedule without channel", "platform:\n  schedule: \"0 9 * * 1\"\n", 0, "not a Slack channel"},
		{"bad platform schedule", "platform:\n  channel: \"#p\"\n  schedule: daily\n", 3, "platform.schedule"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("todai.yaml", []byte(tc.yaml))
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("want problems, got %v", err)
			}
			if !strings.Contains(ps[0].String(), tc.want) || tc.line != 0 && ps[0].Line != tc.line {
				t.Errorf("problem %s, want one about %q on line %d", ps[0], tc.want, tc.line)
			}
		})
	}
}
