package config

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
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
		c.State.Set(o.State)
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
	c.State.URL = expand(c.State.URL)
	for i := range c.Teams {
		c.Teams[i].Channel = expand(c.Teams[i].Channel)
	}
	c.Slack.APIURL = expand(c.Slack.APIURL)
	c.Slack.AppToken = expand(c.Slack.AppToken)
	c.Slack.BotToken = expand(c.Slack.BotToken)
	c.MCP.Token = expand(c.MCP.Token)
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
