package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/bot"
)

func newManifestCmd(a *app) *cobra.Command {
	var command string
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "Print the Slack app manifest (YAML) to create the Slack app from",
		Long: `Print the Slack app manifest: Socket Mode, the slash command, the bot scopes and events, interactivity
and the App Home tab. Paste it at https://api.slack.com/apps → Create New App → From a manifest
(see docs/slack-setup.md).`,
		Example:     "  todai manifest\n  todai manifest --command /ask-data > manifest.yaml",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"config": "none"},
		RunE: func(*cobra.Command, []string) error {
			c, err := bot.NormalizeCommand(command)
			if err != nil {
				return fmt.Errorf("--command: %w", err)
			}
			_, err = fmt.Fprint(a.stdout, bot.Manifest(c))
			return err
		},
	}
	cmd.Flags().StringVar(&command, "command", bot.ManifestCommand, "the slash command's name")
	return cmd
}
