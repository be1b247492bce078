package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newMigrateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the local state database",
		Long:  "Apply the embedded migrations to the state database. Every command does this at start; migrate does only this.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openState(cmd.Context())
			if err != nil {
				return err
			}
			defer a.closeState(db)
			fmt.Fprintf(a.stdout, "state database %s is up to date\n", db.Path)
			if a.own != nil {
				fmt.Fprintf(a.stdout, "Todai's state in PostgreSQL (schema %s) is up to date\n", a.own.Schema)
			}
			return nil
		},
	}
}
