package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/queries/quantity"
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
				fmt.Fprintln(a.stdout, quantity.Plural(len(ps), "problem", "problems"))
				return &exitError{code: 1}
			}
			if err != nil {
				return err
			}
			where := cfg.File
			if where == "" {
				where = "no file (defaults, flags and environment)"
			}
			fmt.Fprintf(a.stdout, "✓ %s is valid: %s, state %s, warehouse %s\n", where, quantity.Plural(len(cfg.Teams), "team", "teams"),
				cfg.State.DescribeState(), cfg.Warehouse.Describe())
			for _, w := range cfg.Warnings {
				fmt.Fprintln(a.stdout, "!", w)
			}
			return nil
		},
	})
	return cmd
}
