package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/cmd/todai/ops"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/source"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// app is what every subcommand shares: the global flags, the configuration and the output streams.
type app struct {
	stdout, stderr io.Writer
	configFile     string
	warehouse      string
	state          string
	logLevel       string
	now            func() time.Time

	cfg    *config.Config
	logger *slog.Logger

	// slackHTTP and questions, set by serve from its ops endpoints, let /metrics see the bot's Slack calls and
	// questions; nil elsewhere.
	slackHTTP *http.Client
	questions *ops.QuestionObserver

	// own is Todai's own state in PostgreSQL (state.url), opened with the local file by openState; nil when the
	// state is the local file's.
	own *statedb.DB
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr, now: time.Now}
	root := &cobra.Command{
		Use:   "todai",
		Short: "Todai answers questions about your dbt project from Elementary's tables",
		Long: `Todai (灯台, "lighthouse") mirrors the tables the Elementary dbt package writes to your warehouse
and answers questions about them: status, owners, last runs, test failures, freshness, lineage,
why a model is stale and whether a failure is urgent — in English and Japanese.

Start with the demo:  todai demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup(cmd)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	f := root.PersistentFlags()
	f.StringVar(&a.configFile, "config", "", "configuration file (env TODAI_CONFIG; default ./todai.yaml when it exists)")
	f.StringVar(&a.warehouse, "warehouse", "", "warehouse URL, overriding the file (env TODAI_WAREHOUSE)")
	f.StringVar(&a.state, "state", "", "the local state file, or a postgres:// URL for Todai's own state, overriding the config (env TODAI_STATE)")
	f.StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn or error")

	root.AddCommand(newAskCmd(a), newSyncCmd(a), newDemoCmd(a), newMigrateCmd(a), newVersionCmd(a), newConfigCmd(a), newManifestCmd(a),
		newServeCmd(a), newDigestCmd(a), newScheduleCmd(a))
	root.AddCommand(newDoctorCmd(a), newIncidentsCmd(a), newMCPCmd(a), newStateCmd(a))
	return root
}

// setup reads the configuration once the flags are parsed. Commands that need no configuration skip it.
func (a *app) setup(cmd *cobra.Command) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	a.logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	if cmd.Annotations["config"] == "none" {
		return nil
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	a.cfg = cfg
	return a.configureLogging(cmd)
}

func (a *app) loadConfig() (*config.Config, error) {
	return config.Load(a.locateConfig())
}

// locateConfig is the configuration file and the overrides from the flags and the environment.
func (a *app) locateConfig() (string, config.Overrides) {
	return config.Locate(a.configFile, config.Overrides{Warehouse: a.warehouse, State: a.state}, os.Getenv)
}

// openState opens the local database, applying migrations.
func (a *app) openState(ctx context.Context) (*localdb.DB, error) {
	db, err := localdb.Open(ctx, a.cfg.State.Path)
	if err != nil || a.cfg.State.URL == "" {
		return db, err
	}
	own, err := statedb.OpenPostgres(ctx, a.cfg.State.URL)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.own = own
	return db, nil
}

// closeState closes what openState opened.
func (a *app) closeState(db *localdb.DB) {
	if a.own != nil {
		_ = a.own.Close()
		a.own = nil
	}
	db.Close()
}

// stateOf is Todai's own state beside the local file db: the PostgreSQL schema state.url names, else db itself.
func (a *app) stateOf(db *localdb.DB) *statedb.DB {
	if a.own != nil {
		return a.own
	}
	return statedb.FromLocal(db)
}

// onState makes a command's RunE that runs body with the state database open, and closes it after.
func (a *app) onState(body func(cmd *cobra.Command, args []string, db *localdb.DB) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		db, err := a.openState(cmd.Context())
		if err != nil {
			return err
		}
		defer a.closeState(db)
		return body(cmd, args, db)
	}
}

// errNoWarehouse is the answer of openSource and syncMirror when no warehouse is configured.
var errNoWarehouse = errors.New("no warehouse configured: set warehouse.url in todai.yaml, --warehouse or TODAI_WAREHOUSE")

// openSource opens the configured warehouse (errNoWarehouse when none is configured).
func (a *app) openSource(ctx context.Context) (source.Source, error) {
	if a.cfg.Warehouse.URL == "" {
		return nil, errNoWarehouse
	}
	return source.Open(ctx, a.cfg.Warehouse.URL, source.Options{
		QueryTimeout: a.cfg.Warehouse.QueryTimeout.Duration,
		Logger:       a.logger,
	})
}

// syncMirror brings the mirror in db up to date with the configured warehouse (errNoWarehouse when none is
// configured); over a shared state it publishes what it read to the mirror feed, for the other replicas' mirrors.
// Every command that syncs — sync, ask, digest, demo and serve's scheduler — syncs through it.
func (a *app) syncMirror(ctx context.Context, db *localdb.DB) (mirror.Report, error) {
	return a.readWarehouse(ctx, db, a.mirrorFeed())
}

// readWarehouse syncs the mirror in db from the configured warehouse, publishing what it read to feed (nil: to no
// feed).
func (a *app) readWarehouse(ctx context.Context, db *localdb.DB, feed *mirror.Feed) (mirror.Report, error) {
	src, err := a.openSource(ctx)
	if errors.Is(err, errNoWarehouse) {
		return mirror.Report{}, err
	}
	if err != nil {
		return mirror.Report{}, fmt.Errorf("sync: open warehouse: %w", err)
	}
	defer src.Close()
	opts := a.mirrorOptions()
	opts.Feed, opts.Holder = feed, holderID()
	return mirror.New(db, src, opts).Sync(ctx)
}

// mirrorOptions are the mirror's options from the config.
func (a *app) mirrorOptions() mirror.Options {
	return mirror.Options{
		BackfillDays:  a.cfg.Sync.BackfillDays,
		RetentionDays: a.cfg.Sync.RetentionDays,
		Overlap:       a.cfg.Sync.Overlap.Duration,
		Now:           a.now,
		Logger:        a.logger,
		Deriver:       &queries.Derived{},
	}
}

// mirrorFeed is the mirror feed of a shared state (PostgreSQL), through which the replicas read the warehouse once
// per sync between them; nil with one process's state file.
func (a *app) mirrorFeed() *mirror.Feed {
	if a.own == nil {
		return nil
	}
	return mirror.NewFeed(a.own, mirror.FeedOptions{Now: a.now})
}

// historyOrNothing reads how incidents ended from the state store for the read model; when it cannot be read the
// failure is logged and answers go on without it (urgent and why still answer, a notice still goes out).
func (a *app) historyOrNothing(store *escalation.Store) queries.IncidentHistories {
	return func(ctx context.Context, ids []string, since time.Time) (map[string]queries.IncidentHistory, error) {
		h, err := store.History(ctx, ids, since)
		if err != nil {
			a.logger.Warn("how incidents ended could not be read; answering without it", "err", err)
			return nil, nil
		}
		return h, nil
	}
}

// reader builds the read model over db.
func (a *app) reader(db *localdb.DB) *queries.Reader {
	incidents := escalation.NewStateStore(a.stateOf(db))
	return queries.NewReader(db, queries.ReaderOptions{Teams: a.cfg.TeamRules(), Now: a.now,
		RepositoryURL: a.cfg.Slack.RepositoryURL, Location: a.cfg.ScheduleLocation(),
		OpenIncidents: incidents.OpenOn, IncidentHistory: a.historyOrNothing(incidents), IncidentStats: incidents.Stats,
		HealthWeights: a.cfg.HealthWeights(), Runbooks: a.cfg.ReadRunbooks()})
}
