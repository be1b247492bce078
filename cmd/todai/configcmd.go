package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/cmd/todai/config"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with todai.yaml"}
	cmd.AddCommand(&cobra.Command{
		Use:         "check",
		Short:       "Check the configuration and report mistakes with file, line and a hint",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"config": "none"},
		RunE: func(*cobra.Command, []string) error {
			cfg, err := a.loadConfig()
			var ps config.Problems
			if errors.As(err, &ps) {
				for _, p := range ps {
					fmt.Fprintln(a.stdout, "✗", p)
				}
				fmt.Fprintf(a.stdout, "%d problem(s)\n", len(ps))
				return &exitError{code: 1}
			}
			if err != nil {
				return err
			}
			where := cfg.File
			if where == "" {
				where = "no file (defaults, flags and environment)"
			}
			fmt.Fprintf(a.stdout, "✓ %s is valid: %d team(s), state %s, warehouse %s\n", where, len(cfg.Teams),
				cfg.State.Path, cfg.Warehouse.Describe())
			return nil
		},
	})
	return cmd
}
