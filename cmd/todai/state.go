package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/queries/statedb"
)

func newStateCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Move Todai's own state between a state file and PostgreSQL",
	}
	var from, to string
	cp := &cobra.Command{
		Use:   "copy --from FILE|URL --to URL|FILE",
		Short: "Copy Todai's own state (incidents, silences, sends, claims, slots) into an empty state",
		Long: `Copy every row of Todai's own state — incidents with their timelines, silences, sends, digest slots,
envelope dedupe, message topics and episode notices — from one state to another that holds none, in one
transaction: an install's state file into PostgreSQL when it grows to several replicas. Incidents keep their ids.
Stop every todai serve first, then set state.url and start them again. Both states are migrated first.`,
		Example: `  todai state copy --from .todai/state.db --to "postgres://todai:$PW@db:5432/ops?schema=todai"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || to == "" {
				return fmt.Errorf("state copy needs --from and --to: a state file's path or a postgres:// URL each")
			}
			return a.copyState(cmd.Context(), from, to)
		},
	}
	cp.Flags().StringVar(&from, "from", "", "the state to copy: a state file's path (sqlite:///path too) or a postgres:// URL")
	cp.Flags().StringVar(&to, "to", "", "the empty state to copy into: a postgres:// URL or a state file's path")
	cmd.AddCommand(cp)
	return cmd
}

// copyState copies the state at from into the empty state at to, and says what it copied.
func (a *app) copyState(ctx context.Context, from, to string) error {
	src, err := statedb.Open(ctx, from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := statedb.Open(ctx, to)
	if err != nil {
		return err
	}
	defer dst.Close()
	copied, err := statedb.Copy(ctx, src, dst)
	if err != nil {
		return err
	}
	var parts []string
	var total int64
	for _, t := range statedb.Tables() {
		if copied[t] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", t, copied[t]))
		}
		total += copied[t]
	}
	fmt.Fprintf(a.stdout, "copied %d rows: %s\n", total, strings.Join(parts, ", "))
	return nil
}
