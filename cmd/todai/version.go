package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:         "version",
		Short:       "Print the version, commit and build date",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"config": "none"},
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(a.stdout, "todai %s (commit %s, built %s, %s)\n", version, commit, date, runtime.Version())
			return nil
		},
	}
}
