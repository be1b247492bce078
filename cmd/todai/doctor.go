package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/source"
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

// checkState is the outcome of one doctor check: bot.CheckOutcome, which the Slack checks return.
type checkState = bot.CheckOutcome

const (
	checkPass = bot.CheckPass
	checkWarn = bot.CheckWarn
	checkFail = bot.CheckFail
)

// doctor runs the checks and prints the checklist.
type doctor struct {
	a         *app
	out       io.Writer
	http      *http.Client
	skipSlack bool

	failed, warned, passed int
}

func (d *doctor) section(name string) { fmt.Fprintf(d.out, "\n%s\n", name) }

func (d *doctor) report(st checkState, what, fix string) {
	mark := "✓"
	switch st {
	case checkPass:
		d.passed++
	case checkWarn:
		mark = "!"
		d.warned++
	case checkFail:
		mark = "✗"
		d.failed++
	}
	fmt.Fprintf(d.out, "  %s %s\n", mark, what)
	if fix != "" && st != checkPass {
		fmt.Fprintf(d.out, "      fix: %s\n", fix)
	}
}

func (d *doctor) pass(what string)              { d.report(checkPass, what, "") }
func (d *doctor) warn(what, fix string)         { d.report(checkWarn, what, fix) }
func (d *doctor) fail(what, fix string)         { d.report(checkFail, what, fix) }
func (d *doctor) failErr(err error, fix string) { d.fail(err.Error(), fix) }

// run runs every check and reports whether none failed.
func (d *doctor) run(cmd *cobra.Command) bool {
	ctx := cmd.Context()
	fmt.Fprintf(d.out, "todai doctor (todai %s)\n", version)
	cfg := d.checkConfig()
	if cfg == nil {
		fmt.Fprintln(d.out, "\nthe other checks need a valid configuration: fix it first")
		d.summary()
		return false
	}
	d.a.cfg = cfg
	if err := d.a.configureLogging(cmd); err != nil {
		d.fail(err.Error(), "log.level is debug, info, warn or error")
	}
	lastSync, synced := d.checkState(ctx, cfg)
	d.checkWarehouse(ctx, cfg, lastSync, synced)
	if d.skipSlack {
		d.section("Slack")
		d.warn("skipped (--skip-slack)", "")
	} else {
		d.checkSlack(ctx, cfg)
	}
	d.checkSchedule(cfg)
	d.summary()
	return d.failed == 0
}

func (d *doctor) summary() {
	fmt.Fprintf(d.out, "\n%d passed, %d warning(s), %d failed\n", d.passed, d.warned, d.failed)
}

func (d *doctor) checkConfig() *config.Config {
	d.section("Configuration")
	cfg, err := d.a.loadConfig()
	var ps config.Problems
	switch {
	case errors.As(err, &ps):
		for _, p := range ps {
			d.fail(p.String(), "edit the file (see docs/configuration.md); `todai config check` re-checks it")
		}
		return nil
	case err != nil:
		d.failErr(err, "pass the file with --config or TODAI_CONFIG, or create todai.yaml (see todai.example.yaml)")
		return nil
	}
	if cfg.File == "" {
		d.warn("no configuration file: defaults, flags and environment only",
			"create todai.yaml (see todai.example.yaml) to configure teams and Slack")
	} else {
		d.pass(fmt.Sprintf("%s parses and is valid (%d team(s))", cfg.File, len(cfg.Teams)))
	}
	return cfg
}

// checkState checks the state database and returns when the last successful sync finished (zero when unknown).
// checkState checks the state database; it returns when the last successful sync finished and the Elementary
// tables synced at least once.
func (d *doctor) checkState(ctx context.Context, cfg *config.Config) (time.Time, []string) {
	d.section("State database")
	path, err := filepath.Abs(cfg.State.Path)
	if err != nil {
		d.failErr(fmt.Errorf("state path %s: %w", cfg.State.Path, err), "set state.path to a file path")
		return time.Time{}, nil
	}
	dir := filepath.Dir(path)
	if err := dirWritable(dir); err != nil {
		d.fail(fmt.Sprintf("%s is not writable: %v", dir, err),
			"make the directory writable by the user running todai (SQLite also writes -wal and -shm files beside the database), or set state.path / --state / TODAI_STATE elsewhere")
		return time.Time{}, nil
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		d.warn(fmt.Sprintf("%s does not exist yet", path), "it is created by the first `todai sync` or `todai serve`")
		return time.Time{}, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		d.fail(fmt.Sprintf("%s is not writable: %v", path, err), "give the user running todai write access to the file")
		return time.Time{}, nil
	}
	f.Close()
	db, err := localdb.OpenReadOnly(ctx, path)
	if err != nil {
		d.failErr(err, "check the file is a SQLite database written by todai")
		return time.Time{}, nil
	}
	defer db.Close()
	current, target, err := db.Versions(ctx)
	switch {
	case err != nil:
		d.fail(fmt.Sprintf("%s: cannot read the schema version: %v", path, err),
			"check the file is a SQLite database written by todai; move it away to start a fresh mirror")
		return time.Time{}, nil
	case current > target:
		d.fail(fmt.Sprintf("%s is at schema version %d, newer than this todai (%d)", path, current, target),
			"run the todai release that wrote it, or a newer one")
	case current < target:
		d.warn(fmt.Sprintf("%s is at schema version %d of %d", path, current, target),
			"`todai migrate` (or the next sync or serve) applies the pending migrations")
	default:
		d.pass(fmt.Sprintf("%s: schema current (version %d), writable", path, current))
	}
	runs, err := mirror.Runs(ctx, db)
	if err != nil || runs.LastSuccess.IsZero() {
		d.warn("no successful sync yet", "run `todai sync` (serve syncs every sync.interval)")
		return time.Time{}, nil
	}
	st, err := mirror.Status(ctx, db)
	if err != nil {
		d.warn(fmt.Sprintf("cannot read which tables were synced: %v", err), "")
		return runs.LastSuccess, nil
	}
	var synced []string
	for _, t := range st.Tables {
		if !t.LastSuccess.IsZero() {
			synced = append(synced, t.Table)
		}
	}
	slices.Sort(synced)
	return runs.LastSuccess, synced
}

// dirWritable creates the directory when missing and proves a file can be created in it.
func dirWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".todai-doctor-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func (d *doctor) checkWarehouse(ctx context.Context, cfg *config.Config, lastSync time.Time, synced []string) {
	d.section("Warehouse")
	if cfg.Warehouse.URL == "" {
		d.warn("no warehouse configured: answers come from whatever the mirror holds",
			"set warehouse.url in todai.yaml, --warehouse or TODAI_WAREHOUSE (see docs/configuration.md)")
		return
	}
	src, err := source.Open(ctx, cfg.Warehouse.URL, source.Options{QueryTimeout: cfg.Warehouse.QueryTimeout.Duration,
		Logger: d.a.logger})
	if err != nil {
		d.failErr(err, "check warehouse.url (docs/configuration.md; for Snowflake docs/snowflake-setup.md)")
		return
	}
	defer src.Close()
	cat, err := src.Discover(ctx)
	// A table synced before that the warehouse no longer shows: on Snowflake most often a `create or replace`
	// (a full refresh, Elementary's replace upload) that dropped the table's grant.
	var vanished []string
	if err == nil || errors.As(err, new(*source.SchemaError)) {
		for _, t := range synced {
			if _, ok := cat[t]; !ok {
				vanished = append(vanished, t)
			}
		}
	}
	for _, t := range vanished {
		d.fail(fmt.Sprintf("%s was synced before, but %s no longer shows it to Todai (a `create or replace` "+
			"dropped its grant, or it was dropped)", t, src.Describe()), src.GrantFix(t))
	}
	var se *source.SchemaError
	switch {
	case errors.As(err, &se):
		fix := "run `dbt run --select elementary` with an up-to-date Elementary package, and point the URL at the Elementary schema"
		if se.NoTables {
			d.fail(fmt.Sprintf("%s: no Elementary tables found", src.Describe()),
				"point the URL's schema at the one the Elementary package writes (e.g. <target schema>_elementary) and grant the role SELECT on it")
			return
		}
		for _, m := range se.Missing {
			d.fail(fmt.Sprintf("%s lacks column %s (Todai skips the table)", m.Table, m.Column), fix)
		}
		if absent := slices.DeleteFunc(slices.Clone(se.AbsentTables), func(t string) bool {
			return slices.Contains(vanished, t)
		}); len(absent) > 0 {
			d.fail("Elementary tables not found: "+strings.Join(absent, ", "), fix)
		}
	case err != nil:
		d.failErr(fmt.Errorf("%s: %w", src.Describe(), err),
			"check the host, credentials and network, and that the role may read the schema's metadata")
		return
	default:
		d.pass(fmt.Sprintf("%s: connected, %d Elementary tables with every column Todai uses", src.Describe(), len(cat)))
	}
	if _, ok := cat["alerts_v2"]; !ok && cat != nil && !slices.Contains(vanished, "alerts_v2") {
		d.pass("alerts_v2 is not there yet: edr monitor creates it on its first run, and Todai picks it up at the " +
			"next sync (replies under edr's alerts need it)")
	}
	ltz, tz := zonedTimestamps(src.ZonedColumns())
	if len(ltz) > 0 {
		d.warn("TIMESTAMP_LTZ columns hold Elementary's UTC times shifted by each writer's session offset, which "+
			"Snowflake does not keep: "+strings.Join(ltz, ", "),
			"set TIMESTAMP_TYPE_MAPPING = 'TIMESTAMP_NTZ' for the user dbt runs as (ALTER USER … SET …) and rebuild "+
				"Elementary's tables (dbt run --select elementary --full-refresh)")
	}
	if len(tz) > 0 {
		d.pass("TIMESTAMP_TZ columns read by their wall clock (Elementary wrote UTC): " + strings.Join(tz, ", "))
	}
	fps, err := src.Fingerprints(ctx)
	if err != nil {
		d.failErr(fmt.Errorf("change markers: %w", err), "the role needs to see table metadata (SHOW TABLES / information_schema)")
	} else {
		d.pass(fmt.Sprintf("change markers readable for %d table(s) (metadata only, no warehouse compute)", len(fps)))
	}
	maxAge := cfg.HTTP.ReadyMaxSyncAge.Duration
	switch age := d.a.now().Sub(lastSync); {
	case lastSync.IsZero():
		d.warn("the mirror has never synced", "run `todai sync`")
	case age > maxAge:
		d.warn(fmt.Sprintf("newest data is %s old (last successful sync), older than http.ready_max_sync_age %s",
			age.Round(time.Second), maxAge), "run `todai sync` and look at `todai sync --status` for per-table errors")
	default:
		d.pass(fmt.Sprintf("newest data is %s old (last successful sync)", age.Round(time.Second)))
	}
}

// zonedTimestamps splits the zoned timestamp columns that hold Elementary's UTC text (not its insert times) into
// TIMESTAMP_LTZ ones (shifted beyond recovery) and TIMESTAMP_TZ ones (read by their wall clock), each sorted.
func zonedTimestamps(zoned map[string]string) (ltz, tz []string) {
	for col, kind := range zoned {
		_, name, _ := strings.Cut(col, ".")
		if source.InsertTime(name) {
			continue
		}
		switch kind {
		case "LTZ":
			ltz = append(ltz, col)
		case "TZ":
			tz = append(tz, col)
		}
	}
	slices.Sort(ltz)
	slices.Sort(tz)
	return ltz, tz
}

func (d *doctor) checkSlack(ctx context.Context, cfg *config.Config) {
	d.section("Slack")
	if err := cfg.Slack.CheckTokens(); err != nil {
		d.failErr(err, "create the tokens as docs/slack-setup.md says and set SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…)")
		return
	}
	checks := bot.CheckSlack(ctx, bot.Config{BotToken: cfg.Slack.BotToken, AppToken: cfg.Slack.AppToken,
		APIURL: cfg.Slack.APIURL}, d.a.teams(), d.http)
	for _, c := range checks {
		d.report(c.Outcome, c.What, c.Fix)
	}
}

func (d *doctor) checkSchedule(cfg *config.Config) {
	d.section("Schedule")
	d.pass(fmt.Sprintf("sync every %s", cfg.Sync.Interval.Duration))
	now := d.a.now()
	for _, t := range cfg.Teams {
		if t.Digest.Schedule == "" {
			d.pass(fmt.Sprintf("team %s: no scheduled digest", t.Name))
			continue
		}
		s, loc, err := scheduler.ParseSpec(t.Digest.Schedule, t.Digest.Timezone)
		if err != nil {
			d.fail(fmt.Sprintf("team %s: %v", t.Name, err),
				`teams[].digest.schedule is five cron fields ("0 9 * * 1-5") or a descriptor (@daily); timezone an IANA zone ("Asia/Tokyo")`)
			continue
		}
		next := s.Next(now.In(loc))
		after := s.Next(next)
		d.pass(fmt.Sprintf("team %s: digest %q (%s), next %s, then %s", t.Name, t.Digest.Schedule, loc,
			next.Format("Mon 2006-01-02 15:04 MST"), after.Format("Mon 2006-01-02 15:04 MST")))
	}
}
