package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/bot"
	"github.com/todai-dev/todai/cmd/todai/config"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler"
)

func newDigestCmd(a *app) *cobra.Command {
	var team string
	var post, asJSON, noSync bool
	cmd := &cobra.Command{
		Use:   "digest --team TEAM [--post] [--json]",
		Short: "Build a team's daily health digest now (and post it to the team's channel with --post)",
		Args:  cobra.NoArgs,
		RunE: a.onState(func(cmd *cobra.Command, _ []string, db *localdb.DB) error {
			ctx := cmd.Context()
			if !noSync {
				a.syncBeforeAnswer(ctx, db)
			}
			t := a.cfg.Team(team)
			reader := a.reader(db)
			ans, err := a.buildDigest(ctx, reader, t, team)
			if err != nil {
				return err
			}
			o := handlers.DigestOptions{Lang: a.teamLang(t), Location: a.cfg.TeamLocation(t)}
			if post {
				if a.cfg.Slack.BotToken == "" {
					return errors.New("digest: no Slack bot token (SLACK_BOT_TOKEN)")
				}
				ch, ts, err := a.newBot(db, reader).PostDigest(ctx, bot.TeamInfo{Name: t.Name, Channel: t.Channel}, ans, o)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "posted to %s (ts %s)\n", ch, ts)
			}
			if asJSON {
				return handlers.RenderDigestJSON(a.stdout, ans, o)
			}
			return handlers.RenderDigestText(a.stdout, ans, o)
		}),
	}
	cmd.Flags().StringVar(&team, "team", "", "the team (as in teams: of the config, or a dbt group / meta.team)")
	cmd.Flags().BoolVar(&post, "post", false, "post the digest to the team's Slack channel")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the digest as JSON")
	cmd.Flags().BoolVar(&noSync, "no-sync", false, "build it from the mirror as it is, without syncing first")
	_ = cmd.MarkFlagRequired("team")
	return cmd
}

// teams is the team directory the bot reads: every configured team's channel, zone and language.
func (a *app) teams() bot.Teams {
	out := make(bot.Teams, 0, len(a.cfg.Teams))
	for _, t := range a.cfg.Teams {
		out = append(out, bot.TeamInfo{Name: t.Name, Channel: t.Channel, Location: a.cfg.TeamLocation(t), Lang: a.teamLang(t)})
	}
	return out
}

// teamLang is a team's language: its own locale, else the configured one.
func (a *app) teamLang(t config.Team) handlers.Lang { return handlers.Lang(a.cfg.TeamLocale(t)) }

// buildDigest reads a team's digest at a.now(), over the default window.
func (a *app) buildDigest(ctx context.Context, reader *queries.Reader, t config.Team, name string) (queries.DigestAnswer, error) {
	ans, err := reader.Digest(ctx, queries.DigestQuery{Team: name, Now: a.now(), Location: a.cfg.TeamLocation(t),
		ReportURL: a.cfg.Slack.ReportURL})
	if err != nil {
		return ans, fmt.Errorf("digest: %w", err)
	}
	return ans, nil
}

// digestPoster is the scheduler's PostFunc: the bot builds the team's digest and posts it to its channel.
func (a *app) digestPoster(b *bot.Bot) scheduler.PostFunc {
	return func(ctx context.Context, req scheduler.DigestRequest) (string, string, error) {
		if b == nil {
			return "", "", fmt.Errorf("digest: no Slack bot to post with")
		}
		return b.PostTeamDigest(ctx, req.Team, req.Slot, req.Previous, req.Late)
	}
}
