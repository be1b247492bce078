package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries/demo"
)

func newDemoCmd(a *app) *cobra.Command {
	var (
		dir    string
		out    string
		noTour bool
		opts   demo.Options
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build a demo Elementary warehouse, sync it, and tour the questions Todai answers",
		Long: `Demo generates, deterministically, the Elementary tables of a fictional coffee company's dbt project
(Kumo Coffee: ~300 models, 40 sources, 1,500 tests, six teams, 30 days of runs with failures, warnings,
flaky tests, stale sources, run errors and skips) in a SQLite file, syncs it into a local mirror and asks
Todai a tour of questions. The warehouse is reused for 10 minutes, then built again: its dbt jobs stop
running when it is built, and an hour later Todai rightly says the pipeline stopped.

With --out it only writes a warehouse file, of any size, for benchmarks:
  todai demo --models 10000 --days 30 --out /tmp/elementary-10k.db`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"config": "none"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			opts.Now = a.now().UTC().Truncate(time.Minute)
			if out != "" {
				start := time.Now()
				if err := demo.Build(ctx, out, opts); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "wrote %s in %s\n", out, time.Since(start).Round(time.Millisecond))
				return nil
			}
			return a.runDemo(ctx, dir, opts, noTour)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", ".todai/demo", "where the demo warehouse, state and config go")
	f.StringVar(&out, "out", "", "only write a warehouse file here (for benchmarks)")
	f.BoolVar(&noTour, "no-tour", false, "build and sync, but ask nothing")
	f.IntVar(&opts.Models, "models", 300, "number of models")
	f.IntVar(&opts.Sources, "sources", 0, "number of sources (default 40)")
	f.IntVar(&opts.Days, "days", 30, "days of history")
	f.Int64Var(&opts.Seed, "seed", 1, "random seed (the same seed builds the same warehouse)")
	return cmd
}

func (a *app) runDemo(ctx context.Context, dir string, opts demo.Options, noTour bool) error {
	ws, err := demo.OpenWorkspace(dir)
	if err != nil {
		return err
	}
	if !ws.Fresh(opts) {
		fmt.Fprintf(a.stdout, "Building the Kumo Coffee demo warehouse (%d models, %d days) in %s …\n", opts.Models, opts.Days, ws.Warehouse)
		start := time.Now()
		if err := ws.Rebuild(ctx, opts); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "  built in %s\n", time.Since(start).Round(time.Millisecond))
	}

	cfgFile := filepath.Join(ws.Dir, "todai.yaml")
	if err := os.WriteFile(cfgFile, []byte(demoConfig(ws.Warehouse, ws.State)), 0o644); err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	cfg, err := config.Load(cfgFile, config.Overrides{})
	if err != nil {
		return err
	}
	a.cfg = cfg

	db, err := a.openState(ctx)
	if err != nil {
		return err
	}
	defer a.closeState(db)
	fmt.Fprintln(a.stdout, "Syncing it into Todai's local mirror …")
	rep, err := a.syncMirror(ctx, db)
	printSyncReport(a.stdout, rep)
	if err != nil {
		return err
	}
	if noTour {
		return nil
	}
	reader := a.reader(db)
	bold, plain := "", ""
	if isTerminal(a.stdout) {
		bold, plain = "\033[1m", "\033[0m"
	}
	for _, question := range demo.Tour() {
		fmt.Fprintf(a.stdout, "\n%s$ todai ask %q%s\n", bold, question, plain)
		res := handlers.Ask(ctx, reader, handlers.Parse(question), a.now())
		if err := handlers.RenderText(a.stdout, res); err != nil {
			return fmt.Errorf("write answer: %w", err)
		}
	}
	self := "todai"
	if len(os.Args) > 0 && strings.Contains(os.Args[0], "/") && !strings.HasSuffix(os.Args[0], ".test") {
		self = relOrAbs(os.Args[0]) // ./bin/todai when run by `make demo`
	}
	fmt.Fprintf(a.stdout, "\nAsk your own:\n  %s --config %s ask \"who owns %s?\"\n  %s --config %s ask --json failures team:finance since 2d\n",
		self, relOrAbs(cfgFile), demo.StoryHealthyModel, self, relOrAbs(cfgFile))
	return nil
}

func demoConfig(warehouse, state string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `todai demo`: the demo warehouse and its teams.\nwarehouse:\n  url: sqlite://%s\nstate:\n  path: %s\nteams:\n", warehouse, state)
	for _, t := range demo.Teams() {
		fmt.Fprintf(&b, "  - name: %s\n    channel: \"#data-%s\"\n    groups: [%s]\n", t, t, t)
	}
	return b.String()
}

func relOrAbs(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// isTerminal tells whether w is a terminal, where bold text is welcome.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
