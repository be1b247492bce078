package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/queries/localdb"
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
	src, closeSrc, err := openStateAt(ctx, from)
	if err != nil {
		return err
	}
	defer closeSrc()
	dst, closeDst, err := openStateAt(ctx, to)
	if err != nil {
		return err
	}
	defer closeDst()
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

// openStateAt opens a state named as --state names one: a postgres:// URL, else a file's path (sqlite:// prefix
// allowed). The returned func closes it.
func openStateAt(ctx context.Context, where string) (*statedb.DB, func(), error) {
	if config.IsStateURL(where) {
		db, err := statedb.OpenPostgres(ctx, where)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { _ = db.Close() }, nil
	}
	path := strings.TrimPrefix(where, "sqlite://")
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("no state file at %s: name an existing state file (state.path) or a postgres:// URL", path)
	}
	db, err := localdb.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	return statedb.FromLocal(db), func() { db.Close() }, nil
}
