package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/cmd/todai/redact"
)

// configureLogging applies log.level and log.format from the configuration (the --log-level flag wins when given)
// and makes the logger and the error output redact the configuration's secrets. It runs after the configuration
// is loaded; a.cfg may be nil for commands that need none.
func (a *app) configureLogging(cmd *cobra.Command) error {
	levelText, format := a.logLevel, "text"
	if a.cfg != nil {
		format = a.cfg.Log.Format
		if f := cmd.Flags().Lookup("log-level"); f == nil || !f.Changed {
			switch {
			case a.cfg.Log.Level != "":
				levelText = a.cfg.Log.Level
			case cmd.Name() == "serve":
				levelText = "info" // a service logs what it does; one-shot commands stay quiet (warn)
			}
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(levelText)); err != nil {
		return fmt.Errorf("log level %q: %w", levelText, err)
	}
	r := redact.New(a.cfg.Secrets()...)
	if rw, ok := a.stderr.(*redact.Writer); ok {
		rw.R = r
	} else {
		a.stderr = &redact.Writer{W: a.stderr, R: r}
	}
	a.logger = redact.NewLogger(a.stderr, level, format, r)
	return nil
}
