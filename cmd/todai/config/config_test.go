package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
)

func TestParseExample(t *testing.T) {
	data, err := os.ReadFile("../../../todai.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SNOWFLAKE_PASSWORD", "s3cret")
	c, err := Parse("todai.example.yaml", data)
	if err != nil {
		t.Fatalf("the example config must be valid: %v", err)
	}
	if c.Sync.BackfillDays != 30 || c.Sync.Overlap.Duration != 2*time.Hour || c.State.Path == "" {
		t.Errorf("defaults or values not read: %+v", c.Sync)
	}
	if len(c.Teams) == 0 {
		t.Fatal("the example has teams")
	}
	rules := c.TeamRules()
	if got := rules.TeamOf(queries.NodeFacts{Group: "finance"}); got != "finance" {
		t.Errorf("team of a finance-group node = %q", got)
	}
}

func TestProblems(t *testing.T) {
	cases := []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"unknown section", "warehouse:\n  url: sqlite:///x.db\nslak:\n  token: x\n", 3, "unknown"},
		{"bad duration", "sync:\n  overlap: soon\n", 2, "overlap"},
		{"relative sqlite", "warehouse:\n  url: sqlite://rel/x.db\n", 2, "absolute path"},
		{"bad scheme", "warehouse:\n  url: mysql://h/db\n", 2, "unknown warehouse kind"},
		{"duplicate team", "teams:\n  - name: finance\n  - name: Finance\n", 3, "defined twice"},
		{"bad channel", "teams:\n  - name: finance\n    channel: data finance\n", 3, "not a Slack channel"},
		{"bad member", "teams:\n  - name: finance\n    members: [U123, ana]\n", 3, `"ana" is not a Slack user ID`},
		{"mcp over the network without a token", "http:\n  addr: \":9090\"\nmcp:\n  http: true\n", 4, "needs a bearer token"},
		{"short mcp token", "mcp:\n  token: abc\n", 2, "at least 16"},
		{"actions without an actor", "mcp:\n  allow_actions: true\n", 2, "needs mcp.actor"},
		{"bad runbook", "runbooks:\n  test_types:\n    not_null: wiki/not-null\n", 3, `"wiki/not-null" is not a runbook link`},
		{"bad user group", "teams:\n  - name: finance\n    usergroup: \"@finance\"\n", 3, "not a Slack user group ID"},
		{"bad locale", "locale: fr\n", 1, "unknown locale"},
		{"team without name", "teams:\n  - channel: \"#x\"\n", 2, "needs a name"},
		{"bad glob", "teams:\n  - name: a\n    paths: [\"marts/[\"]\n", 3, "bad glob"},
		{"syntax", "teams: [\n", 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("todai.yaml", []byte(tc.yaml))
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("want problems, got %v", err)
			}
			p := ps[0]
			if p.Line != tc.line {
				t.Errorf("line = %d, want %d (%s)", p.Line, tc.line, p)
			}
			if !strings.Contains(p.String(), tc.want) || !strings.HasPrefix(p.String(), "todai.yaml:") {
				t.Errorf("problem %q lacks %q or the file name", p, tc.want)
			}
		})
	}
}

func TestOverridesAndEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "todai.yaml")
	if err := os.WriteFile(file, []byte("warehouse:\n  url: postgres://todai:${PGPASS}@db/el?schema=prod_elementary\nstate:\n  path: /var/lib/todai/state.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGPASS", "pw")
	c, err := Load(file, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Warehouse.URL != "postgres://todai:pw@db/el?schema=prod_elementary" {
		t.Errorf("env not expanded: %q", c.Warehouse.URL)
	}
	c, err = Load(file, Overrides{Warehouse: "sqlite:///tmp/e.db", State: "s.db"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Warehouse.URL != "sqlite:///tmp/e.db" || c.State.Path != "s.db" {
		t.Errorf("overrides not applied: %+v", c)
	}
	if _, err := Load(file, Overrides{Warehouse: "ftp://x"}); err == nil {
		t.Error("a bad override must be refused")
	}
	c, err = Load("", Overrides{})
	if err != nil || c.State.Path != DefaultStatePath || c.Locale != "en" {
		t.Errorf("no file: %+v %v", c, err)
	}
}

func TestEmptyFile(t *testing.T) {
	c, err := Parse("todai.yaml", []byte("# nothing yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sync.RetentionDays != DefaultRetentionDays {
		t.Errorf("defaults not applied: %+v", c.Sync)
	}
}

func TestLogAndHTTP(t *testing.T) {
	c, err := Parse("todai.yaml", []byte("log:\n  level: debug\n  format: json\nhttp:\n  addr: \":9090\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != "debug" || c.Log.Format != "json" || c.HTTP.Addr != ":9090" || c.HTTP.ReadyMaxSyncAge.Duration != DefaultReadyMaxSyncAge {
		t.Errorf("read %+v %+v", c.Log, c.HTTP)
	}
	c, err = Parse("todai.yaml", []byte("# defaults\n"))
	if err != nil || c.Log.Format != "text" || c.HTTP.Addr != DefaultHTTPAddr {
		t.Errorf("defaults %+v %+v %v", c.Log, c.HTTP, err)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"log:\n  level: loud\n", "unknown log level"},
		{"log:\n  format: xml\n", "unknown log format"},
		{"http:\n  addr: nine\n", "not host:port"},
		{"http:\n  ready_max_sync_age: later\n", "not a duration"},
	} {
		_, err := Parse("todai.yaml", []byte(bad.yaml))
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "todai.yaml:2:") {
			t.Errorf("%q: %v, want %q at line 2", bad.yaml, err, bad.want)
		}
	}
}

// TestValidChannelAgreesWithTheBot pins the config check to the bot's own rule: what the bot takes as an ID, the
// check accepts as one; a name needs its "#".
func TestValidChannelAgreesWithTheBot(t *testing.T) {
	for _, tc := range []struct {
		channel string
		want    bool
	}{
		{"#data-finance", true},
		{"#データ", true},
		{"C024BE91L", true},
		{"G0123ABCD", true},
		{"D0123ABCD", true},
		{"data-finance", false},
		{"#Data Finance", false},
		{"U0123ABCD", false},
		{"", false},
	} {
		if got := validChannel(tc.channel); got != tc.want {
			t.Errorf("validChannel(%q) = %v, want %v", tc.channel, got, tc.want)
		}
	}
}

// TestLocate: flags win over the environment; without either the file is ./todai.yaml when it exists.
func TestLocate(t *testing.T) {
	env := map[string]string{"TODAI_CONFIG": "/etc/todai.yaml", "TODAI_WAREHOUSE": "sqlite:///env.db", "TODAI_STATE": " "}
	getenv := func(k string) string { return env[k] }
	file, o := Locate("", Overrides{State: "/flag/state.db"}, getenv)
	if file != "/etc/todai.yaml" || o.Warehouse != "sqlite:///env.db" || o.State != "/flag/state.db" {
		t.Errorf("from the environment: %q %+v", file, o)
	}
	file, o = Locate("mine.yaml", Overrides{Warehouse: "postgres://h/db"}, getenv)
	if file != "mine.yaml" || o.Warehouse != "postgres://h/db" || o.State != "" {
		t.Errorf("flags first (a blank variable is unset): %q %+v", file, o)
	}
	t.Chdir(t.TempDir())
	none := func(string) string { return "" }
	if file, _ := Locate("", Overrides{}, none); file != "" {
		t.Errorf("no file anywhere: %q", file)
	}
	if err := os.WriteFile("todai.yaml", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if file, _ := Locate("", Overrides{}, none); file != "todai.yaml" {
		t.Errorf("./todai.yaml: %q", file)
	}
}

// TestWarehouseDescribe: the warehouse is named without its secrets.
func TestWarehouseDescribe(t *testing.T) {
	for url, want := range map[string]string{
		"":                             "none",
		"sqlite:///data/elementary.db": "sqlite /data/elementary.db",
		"postgres://todai:s3cret@db.internal:5432/analytics":                     "postgres db.internal:5432/analytics",
		"snowflake://todai:s3cret@xy12345/ANALYTICS/PROD?warehouse=W&password=p": "snowflake account xy12345/ANALYTICS/PROD",
		"::not a url": "(unparseable URL)",
	} {
		if got := (Warehouse{URL: url}).Describe(); got != want {
			t.Errorf("Describe(%q) = %q, want %q", url, got, want)
		}
	}
}

// TestStateForms: the state is one value (a path, or a postgres:// URL whose mirror stays in the default file) or
// {path, url}; --state and TODAI_STATE follow the same rule; a URL that is not PostgreSQL's is refused; the state's
// password is a secret and is never described.
func TestStateForms(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, override string
		path, url            string
	}{
		{"a path", "state: /var/lib/todai/state.db\n", "", "/var/lib/todai/state.db", ""},
		{"a URL", "state: postgres://todai:s3cret@db:5432/ops?schema=todai\n", "", DefaultStatePath,
			"postgres://todai:s3cret@db:5432/ops?schema=todai"},
		{"both", "state:\n  path: /cache/mirror.db\n  url: postgresql://todai@db/ops\n", "", "/cache/mirror.db",
			"postgresql://todai@db/ops"},
		{"the old form", "state:\n  path: s.db\n", "", "s.db", ""},
		{"a URL by flag", "state: s.db\n", "postgres://todai:s3cret@db/ops", "s.db", "postgres://todai:s3cret@db/ops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "todai.yaml")
			if err := os.WriteFile(file, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(file, Overrides{State: tc.override})
			if err != nil {
				t.Fatal(err)
			}
			if c.State.Path != tc.path || c.State.URL != tc.url {
				t.Errorf("state = %+v, want path %q url %q", c.State, tc.path, tc.url)
			}
			if d := c.State.DescribeState(); strings.Contains(d, "s3cret") || (tc.url != "" && !strings.Contains(d, "postgres db")) {
				t.Errorf("described as %q", d)
			}
			if tc.url != "" && strings.Contains(tc.url, "s3cret") && !slices.Contains(c.Secrets(), "s3cret") {
				t.Errorf("the state's password is not a secret: %v", c.Secrets())
			}
		})
	}
	if _, err := Parse("todai.yaml", []byte("state:\n  url: mysql://db/ops\n")); err == nil ||
		!strings.Contains(err.Error(), "postgres://") {
		t.Errorf("a state URL that is not PostgreSQL's: %v", err)
	}
	if _, err := Parse("todai.yaml", []byte("state:\n  pth: x\n")); err == nil {
		t.Error("an unknown key under state is accepted")
	}
}
