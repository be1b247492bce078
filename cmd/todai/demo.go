package main

import (
	"context"
	"encoding/json"
	"errors"
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

// tourQuestions are what `todai demo` asks, in order: one question per thing Todai knows, in both languages.
func tourQuestions() []string {
	return []string{
		"status " + demo.StoryFailingModel,
		"who owns " + demo.StoryFailingModel + "?",
		"why is " + demo.StoryFailingModel + " stale?",
		"is " + demo.StoryFailingModel + " urgent?",
		"upstream " + demo.StoryFailingModel,
		"downstream " + demo.StoryHealthyModel,
		"describe " + demo.StoryHealthyModel,
		"last-run " + demo.StoryErroredModel,
		"failures since 1d",
		"freshness",
		demo.StoryFailingModel + "のオーナーは誰?",
		demo.StoryFailingModel + "が更新されていないのはなぜ?",
		"昨日からのテスト失敗",
		"status " + demo.StoryAmbiguousName,
		"status fct_ordrs",
	}
}

// demoStamp records what a demo warehouse was built from, so that `todai demo` builds it once.
type demoStamp struct {
	Models int       `json:"models"`
	Days   int       `json:"days"`
	Seed   int64     `json:"seed"`
	Now    time.Time `json:"now"`
}

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
Todai a tour of questions. The warehouse is built once and reused for 6 hours.

With --out it only writes a warehouse file, of any size, for benchmarks:
  todai demo --models 10000 --days 30 --out /tmp/elementary-10k.db`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"config": "none"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			opts.Now = a.now().UTC().Truncate(time.Hour)
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
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("demo dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return fmt.Errorf("demo dir: %w", err)
	}
	warehouse := filepath.Join(abs, "elementary.db")
	state := filepath.Join(abs, "state.db")
	stampFile := filepath.Join(abs, "stamp.json")
	want := demoStamp{Models: opts.Models, Days: opts.Days, Seed: opts.Seed, Now: opts.Now}

	if !demoFresh(stampFile, want) {
		fmt.Fprintf(a.stdout, "Building the Kumo Coffee demo warehouse (%d models, %d days) in %s …\n", opts.Models, opts.Days, warehouse)
		start := time.Now()
		for _, f := range []string{state, state + "-wal", state + "-shm", stampFile} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("reset demo: %w", err)
			}
		}
		if err := demo.Build(ctx, warehouse, opts); err != nil {
			return err
		}
		stamp, _ := json.Marshal(want)
		if err := os.WriteFile(stampFile, stamp, 0o644); err != nil {
			return fmt.Errorf("demo stamp: %w", err)
		}
		fmt.Fprintf(a.stdout, "  built in %s\n", time.Since(start).Round(time.Millisecond))
	}

	cfgFile := filepath.Join(abs, "todai.yaml")
	if err := os.WriteFile(cfgFile, []byte(demoConfig(warehouse, state)), 0o644); err != nil {
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
	defer db.Close()
	src, err := a.openSource(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	fmt.Fprintln(a.stdout, "Syncing it into Todai's local mirror …")
	rep, err := a.syncer(db, src).Sync(ctx)
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
	for _, question := range tourQuestions() {
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

// demoFresh tells whether the stamp says the warehouse was built from the same options less than 6 hours ago.
func demoFresh(stampFile string, want demoStamp) bool {
	data, err := os.ReadFile(stampFile)
	if err != nil {
		return false
	}
	var have demoStamp
	if json.Unmarshal(data, &have) != nil {
		return false
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(stampFile), "elementary.db")); err != nil {
		return false
	}
	return have.Models == want.Models && have.Days == want.Days && have.Seed == want.Seed &&
		want.Now.Sub(have.Now) < 6*time.Hour
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
