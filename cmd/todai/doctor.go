package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries/checkup"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/quantity"
	"github.com/todai-dev/todai/queries/source"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/scheduler"
)

func newDoctorCmd(a *app) *cobra.Command {
	var skipSlack bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the whole setup (config, state, warehouse, Slack, schedule) and say how to fix what is wrong",
		Long: `Doctor checks, in order: the configuration file (parse and validation), the state database (migrations
current, writable, age of the last successful sync), the warehouse (connect, the Elementary tables and the columns
Todai uses), Slack (auth.test for both tokens, the bot's scopes against the app manifest, each team channel exists,
is not archived and the bot is a member, a channel given by name being resolved through conversations.list) and each
team's digest schedule. It prints a checklist with a fix for every failure and
exits with status 1 when anything failed (warnings do not fail). It changes nothing: it applies no migration and
posts nothing.`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"config": "none"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &doctor{a: a, out: a.stdout, http: &http.Client{Timeout: 15 * time.Second}, skipSlack: skipSlack}
			if d.run(cmd) {
				return nil
			}
			return &exitError{code: 1}
		},
	}
	cmd.Flags().BoolVar(&skipSlack, "skip-slack", false, "skip the Slack checks (for a host that only runs `todai sync`)")
	return cmd
}

// doctor runs the checks and prints the checklist.
type doctor struct {
	a         *app
	out       io.Writer
	http      *http.Client
	skipSlack bool

	failed, warned, passed int
}

func (d *doctor) section(name string) { fmt.Fprintf(d.out, "\n%s\n", name) }

// report prints one finding: a mark, what was found and, unless it passed, the fix.
func (d *doctor) report(f checkup.Finding) {
	mark := "✓"
	switch f.Outcome {
	case checkup.Pass:
		d.passed++
	case checkup.Warn:
		mark = "!"
		d.warned++
	case checkup.Fail:
		mark = "✗"
		d.failed++
	}
	fmt.Fprintf(d.out, "  %s %s\n", mark, f.What)
	if f.Fix != "" && f.Outcome != checkup.Pass {
		fmt.Fprintf(d.out, "      fix: %s\n", f.Fix)
	}
}

func (d *doctor) reportAll(fs checkup.Findings) {
	for _, f := range fs {
		d.report(f)
	}
}

func (d *doctor) warn(what, fix string) {
	d.report(checkup.Finding{Outcome: checkup.Warn, What: what, Fix: fix})
}
func (d *doctor) fail(what, fix string) {
	d.report(checkup.Finding{Outcome: checkup.Fail, What: what, Fix: fix})
}

// run runs every check and reports whether none failed.
func (d *doctor) run(cmd *cobra.Command) bool {
	ctx := cmd.Context()
	fmt.Fprintf(d.out, "todai doctor (todai %s)\n", version)
	d.section("Configuration")
	cfg, findings := config.Check(d.a.locateConfig())
	d.reportAll(findings)
	if cfg == nil {
		fmt.Fprintln(d.out, "\nthe other checks need a valid configuration: fix it first")
		d.summary()
		return false
	}
	d.a.cfg = cfg
	if err := d.a.configureLogging(cmd); err != nil {
		d.fail(err.Error(), "log.level is debug, info, warn or error")
	}
	d.section("State database")
	stateFindings, state := mirror.CheckState(ctx, cfg.State.Path)
	d.reportAll(stateFindings)
	if cfg.State.URL != "" {
		d.section("Todai's state (PostgreSQL)")
		d.reportAll(statedb.Check(ctx, cfg.State.URL))
	}
	d.checkWarehouse(ctx, cfg, state)
	d.checkRunbooks(ctx, cfg, state)
	d.checkSlack(ctx, cfg)
	d.section("Schedule")
	d.reportAll(scheduler.CheckSchedules(d.a.now(), cfg.Sync.Interval.Duration, cfg.DigestSchedules()))
	d.summary()
	return d.failed == 0
}

func (d *doctor) summary() {
	fmt.Fprintf(d.out, "\n%d passed, %s, %d failed\n", d.passed, quantity.Plural(d.warned, "warning", "warnings"), d.failed)
}

// checkWarehouse opens the configured warehouse and runs the source's checks, then says how old the mirror is.
func (d *doctor) checkWarehouse(ctx context.Context, cfg *config.Config, state mirror.StateFacts) {
	d.section("Warehouse")
	if cfg.Warehouse.URL == "" {
		d.warn("no warehouse configured: answers come from whatever the mirror holds",
			"set warehouse.url in todai.yaml, --warehouse or TODAI_WAREHOUSE (see docs/configuration.md)")
		return
	}
	src, err := d.a.openSource(ctx)
	if err != nil {
		d.fail(err.Error(), "check warehouse.url (docs/configuration.md; for Snowflake docs/snowflake-setup.md)")
		return
	}
	defer src.Close()
	findings, reached := source.Check(ctx, src, state.Synced)
	d.reportAll(findings)
	if reached {
		d.report(mirror.CheckSyncAge(state.LastSuccess, d.a.now(), cfg.HTTP.ReadyMaxSyncAge.Duration))
	}
}

// maxBadRunbooks bounds the runbooks doctor lists one by one.
const maxBadRunbooks = 10

// checkRunbooks lists the meta.runbook values of the mirror's nodes and tests that are not links Todai can show
// (the config's own runbooks are checked with the configuration). It reads the state file read-only.
func (d *doctor) checkRunbooks(ctx context.Context, cfg *config.Config, state mirror.StateFacts) {
	if len(state.Synced) == 0 {
		return // nothing synced: no meta to read
	}
	d.section("Runbooks")
	db, err := localdb.OpenReadOnly(ctx, cfg.State.Path)
	if err != nil {
		d.warn("could not read the mirror's runbooks: "+err.Error(), "run todai sync, then todai doctor again")
		return
	}
	defer db.Close()
	bad, err := d.a.reader(db).BadRunbooks(ctx)
	if err != nil {
		d.warn("could not read the mirror's runbooks: "+err.Error(), "run todai sync, then todai doctor again")
		return
	}
	if len(bad) == 0 {
		d.report(checkup.Finding{Outcome: checkup.Pass, What: "every meta.runbook in the project is a link"})
		return
	}
	for i, b := range bad {
		if i == maxBadRunbooks {
			d.warn(fmt.Sprintf("…and %d more meta.runbook values that are not links", len(bad)-i), "")
			break
		}
		d.warn(fmt.Sprintf("%s: meta.runbook %q is not a link, so it is not shown", handlers.Clean(b.UniqueID), handlers.Clean(b.Value)),
			"write an http(s) URL, like runbook: https://wiki.example.com/runbooks/orders, in its meta")
	}
}

func (d *doctor) checkSlack(ctx context.Context, cfg *config.Config) {
	d.section("Slack")
	if d.skipSlack {
		d.warn("skipped (--skip-slack)", "")
		return
	}
	if err := cfg.Slack.CheckTokens(); err != nil {
		d.fail(err.Error(), "create the tokens as docs/slack-setup.md says and set SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…)")
		return
	}
	d.reportAll(bot.CheckSlack(ctx, bot.Config{BotToken: cfg.Slack.BotToken, AppToken: cfg.Slack.AppToken,
		APIURL: cfg.Slack.APIURL}, d.a.teams(), d.http))
}
