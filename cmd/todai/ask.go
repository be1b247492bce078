package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries/localdb"
)

func newAskCmd(a *app) *cobra.Command {
	var asJSON, noSync, utc bool
	var chartFile, at string
	cmd := &cobra.Command{
		Use:   "ask [--json] QUESTION…",
		Short: "Answer a question about the dbt project",
		Long: `Answer a question from the local mirror of Elementary's tables, syncing first when a warehouse is
configured (a sync with nothing new costs no warehouse compute).

Questions take a command form or free English or Japanese:
  todai ask status fct_orders
  todai ask failures team:finance since 2d
  todai ask "who owns fct_orders?"
  todai ask "fct_ordersが更新されていないのはなぜ?"
  todai ask help`,
		Example: `  todai ask --json why fct_orders
  todai ask --chart volume.png status elementary_volume_anomalies_orders
  todai ask --at "2026-07-01 13:05:22 UTC" is not_null_orders_order_id urgent`,
		RunE: a.onState(func(cmd *cobra.Command, args []string, db *localdb.DB) error {
			ctx := cmd.Context()
			if !noSync {
				a.syncBeforeAnswer(ctx, db)
			}
			return a.answer(ctx, db, askOptions{text: strings.Join(args, " "), asJSON: asJSON, utc: utc,
				chartFile: chartFile, at: at})
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the answer as JSON (docs/json.md)")
	cmd.Flags().BoolVar(&noSync, "no-sync", false, "answer from the mirror as it is, without syncing first")
	cmd.Flags().BoolVar(&utc, "utc", false, "show times in UTC and read times written without a zone as UTC")
	cmd.Flags().StringVar(&chartFile, "chart", "", "also draw the answer's chart, when it has one, as a PNG image in this file")
	cmd.Flags().StringVar(&at, "at", "", `answer about the node's run at this time first, as under an alert: what it
reported then and what has happened since ("2026-07-01 13:05:22 UTC", "2026-07-01T13:05Z", "yesterday", "3d";
a time without a zone is in the config's timezone)`)
	return cmd
}

// askOptions are how `todai ask` was asked: the question, its output, and the past run it is about.
type askOptions struct {
	text          string
	asJSON, utc   bool
	chartFile, at string
}

// answer answers the question text from the mirror in db, printing text or JSON (and its chart into chartFile, when
// given), and returns an exitError with the answer's exit code when it is not an answer.
func (a *app) answer(ctx context.Context, db *localdb.DB, o askOptions) error {
	q := handlers.Parse(o.text)
	if q.Command {
		q.Lang = handlers.Lang(a.cfg.Locale)
	}
	q.Zone = a.cfg.Location()
	if o.utc {
		q.Zone = time.UTC
	}
	if o.at != "" {
		at, ok := handlers.ParseTime(o.at, a.now(), q.Zone)
		if !ok {
			fmt.Fprintln(a.stderr, handlers.Tr(q.Lang,
				fmt.Sprintf("--at %q is not a time: write it as 2026-07-01 13:05:22 UTC, 2026-07-01T13:05Z, yesterday or 3d.", o.at),
				fmt.Sprintf("--at %q は時刻として読めません。2026-07-01 13:05:22 UTC、2026-07-01T13:05Z、yesterday、3d のように書いてください。", o.at)))
			return &exitError{code: 2}
		}
		q.Alert = &handlers.AlertAt{At: at}
	}
	res := handlers.Ask(ctx, a.reader(db), q, a.now())
	if q.Alert != nil && res.Err == nil && res.Alert == nil {
		if spec, _ := handlers.Spec(handlers.Intent(res.Intent)); !spec.AboutRun {
			fmt.Fprintln(a.stderr, handlers.Tr(res.Lang, "--at applies to questions about a node's state (status, last-run, freshness, why, urgent, tests, safe); this answer is about now.",
				"--at はノードの状態についての質問（status、last-run、freshness、why、urgent、tests、safe）に使えます。この回答は現在についてです。"))
		} else {
			fmt.Fprintln(a.stderr, handlers.Tr(res.Lang, "The run at that time could not be read (--at needs one node); this answer is about now.",
				"その時刻の実行を読めませんでした（--at にはノードを 1 つ指定してください）。この回答は現在についてです。"))
		}
	}
	var err error
	if o.asJSON {
		err = handlers.RenderJSON(a.stdout, res)
	} else {
		err = handlers.RenderText(a.stdout, res)
	}
	if err != nil {
		return fmt.Errorf("write answer: %w", err)
	}
	if o.chartFile != "" && res.Err == nil {
		if err := a.writeChart(o.chartFile, res); err != nil {
			return err
		}
	}
	if code := handlers.ExitCode(res); code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// syncBeforeAnswer brings the mirror up to date when a warehouse is configured. A failure is logged, not fatal:
// the answer then comes from the last good sync and says how old it is.
func (a *app) syncBeforeAnswer(ctx context.Context, db *localdb.DB) {
	if _, err := a.syncMirror(ctx, db); err != nil && !errors.Is(err, errNoWarehouse) {
		a.logger.Warn("sync failed; answering from the last good sync", "err", err)
	}
}

// writeChart draws the answer's chart as a PNG image in file (labelled in English unless charts.font can draw the
// answer's language), and says where it went, or that the answer has no chart.
func (a *app) writeChart(file string, res handlers.Result) error {
	c := handlers.ChartOf(res)
	if c == nil {
		fmt.Fprintln(a.stderr, handlers.Tr(res.Lang, "This answer has no chart; nothing was written to "+file+".",
			"この回答にはグラフがありません。"+file+" には何も書き込んでいません。"))
		return nil
	}
	r := a.chartDrawer()
	img, err := r.PNG(r.View(c, res.Lang, res.Now, res.Zone))
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, img, 0o644); err != nil {
		return fmt.Errorf("write the chart: %w", err)
	}
	fmt.Fprintln(a.stderr, handlers.Tr(res.Lang, "Chart written to "+file+".", "グラフを "+file+" に書き込みました。"))
	return nil
}
