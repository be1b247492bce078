package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/quantity"
)

func newSyncCmd(a *app) *cobra.Command {
	var status, asJSON bool
	cmd := &cobra.Command{
		Use:   "sync [--status]",
		Short: "Bring the local mirror up to date with the warehouse, or show its state",
		Long: `Sync reads the Elementary tables that changed since the last sync into the local mirror. It asks the
warehouse's metadata first (no compute) and reads only the tables whose row counts or change times moved; history
tables are read from their watermark. With --status it shows each table's watermark, rows, last success and error.`,
		Args: cobra.NoArgs,
		RunE: a.onState(func(cmd *cobra.Command, _ []string, db *localdb.DB) error {
			ctx := cmd.Context()
			if !status {
				rep, err := a.syncMirror(ctx, db)
				printSyncReport(a.stdout, rep)
				return err
			}
			st, err := mirror.Status(ctx, db)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			printSyncStatus(a.stdout, st, a.now())
			return nil
		}),
	}
	cmd.Flags().BoolVar(&status, "status", false, "show the mirror's per-table state instead of syncing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "with --status, print JSON")
	return cmd
}

// printSyncReport prints what a sync read and each table's error (nothing when no sync started).
func printSyncReport(w io.Writer, rep mirror.Report) {
	if rep.Started.IsZero() {
		return
	}
	fmt.Fprintf(w, "synced in %s: %s read, %s; %s and %s\n", rep.Finished.Sub(rep.Started).Round(time.Millisecond),
		quantity.Plural(rep.TablesRead, "table", "tables"), quantity.Plural(rep.RowsRead, "row", "rows"),
		quantity.Plural(rep.MetadataQueries, "metadata query", "metadata queries"),
		quantity.Plural(rep.DataQueries, "data query", "data queries"))
	for _, t := range rep.Tables {
		if t.Err != nil {
			fmt.Fprintf(w, "  ✗ %s: %v\n", t.Table, t.Err)
		}
	}
}

func printSyncStatus(w io.Writer, st mirror.StatusReport, now time.Time) {
	if st.LastRun == nil {
		fmt.Fprintln(w, "no sync has run yet: run `todai sync`")
		return
	}
	r := st.LastRun
	state := "ok"
	if !r.OK {
		state = "FAILED: " + r.Error
	}
	if r.FeedEntry > 0 {
		state += fmt.Sprintf(" (another replica's read, applied from the mirror feed's entry %d)", r.FeedEntry)
	}
	fmt.Fprintf(w, "last sync #%d %s (%s): %s\n", r.ID, ago(now, r.Finished), r.Finished.UTC().Format(time.RFC3339), state)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tPRESENT\tWATERMARK\tROWS READ\tROWS LOCAL\tLAST READ\tDURATION\tLAST ERROR")
	for _, t := range st.Tables {
		present := "no"
		if t.Present {
			present = "yes"
		}
		if !t.Known {
			present = "?"
		}
		wm := "-"
		if !t.Watermark.IsZero() {
			wm = t.Watermark.UTC().Format("2006-01-02 15:04:05")
		}
		last := "never"
		if !t.LastSuccess.IsZero() {
			last = ago(now, t.LastSuccess)
		}
		errText := ""
		if t.LastError != "" {
			errText = t.LastError + " (" + ago(now, t.LastErrorAt) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", t.Table, present, wm, t.RowsRead, t.RowsLocal, last,
			t.Duration.Round(time.Millisecond), errText)
	}
	tw.Flush()
	if st.DerivedDirty {
		fmt.Fprintln(w, "the read model's derived tables need a refresh: the next sync will do it")
	}
}

// ago says how long before now t was ("never" for a zero time).
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return handlers.Relative(handlers.LangEN, t, now)
}
