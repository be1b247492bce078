package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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
	var post, asJSON, noSync, platform, coverage bool
	cmd := &cobra.Command{
		Use:   "digest (--team TEAM | --platform) [--post] [--json] [--coverage]",
		Short: "Build a team's daily health digest now, or the platform digest (and post it with --post)",
		Args:  cobra.NoArgs,
		RunE: a.onState(func(cmd *cobra.Command, _ []string, db *localdb.DB) error {
			ctx := cmd.Context()
			if !noSync {
				a.syncBeforeAnswer(ctx, db)
			}
			reader := a.reader(db)
			t := a.cfg.Team(team)
			if platform || team == "" || a.isPlatformDigest(team) {
				return a.platformDigest(ctx, db, reader, post, asJSON)
			}
			ans, err := a.buildDigest(ctx, reader, t, team, coverage)
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
	cmd.Flags().BoolVar(&platform, "platform", false, "the platform digest: every team's health and the project's blind spots")
	cmd.Flags().BoolVar(&coverage, "coverage", false, "list the team's blind spots too (its digest does on its coverage_day)")
	cmd.Flags().BoolVar(&post, "post", false, "post the digest to the team's Slack channel")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the digest as JSON")
	cmd.Flags().BoolVar(&noSync, "no-sync", false, "build it from the mirror as it is, without syncing first")
	cmd.MarkFlagsMutuallyExclusive("team", "platform")
	cmd.MarkFlagsOneRequired("team", "platform")
	return cmd
}

// isPlatformDigest reports whether a digest of team means the platform digest: its name, when no configured team is
// called so (as /todai digest platform).
func (a *app) isPlatformDigest(team string) bool {
	if !strings.EqualFold(team, bot.PlatformTeam) {
		return false
	}
	for _, t := range a.cfg.Teams {
		if strings.EqualFold(t.Name, team) {
			return false
		}
	}
	return true
}

// platformDigest builds the platform digest and prints it (as JSON with asJSON), posting it to platform.channel
// with post.
func (a *app) platformDigest(ctx context.Context, db *localdb.DB, reader *queries.Reader, post, asJSON bool) error {
	d, err := reader.Platform(ctx)
	if err != nil {
		return err
	}
	lang, loc := handlers.Lang(a.cfg.Locale), a.platformLocation()
	if post {
		if a.cfg.Slack.BotToken == "" {
			return errors.New("digest: no Slack bot token (SLACK_BOT_TOKEN)")
		}
		if a.cfg.Platform.Channel == "" {
			return errors.New("digest: no platform.channel in the config to post the platform digest to")
		}
		ch, ts, err := a.newBot(db, reader).PostPlatformDigest(ctx, a.cfg.Platform.Channel, lang, loc)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "posted to %s (ts %s)\n", ch, ts)
	}
	if asJSON {
		return handlers.RenderPlatformJSON(a.stdout, d)
	}
	return handlers.RenderPlatformText(a.stdout, d, lang, loc)
}

// teams is the team directory the bot reads: every configured team's channel, zone and language.
func (a *app) teams() bot.Teams {
	out := make(bot.Teams, 0, len(a.cfg.Teams))
	for _, t := range a.cfg.Teams {
		day := a.cfg.CoverageDay(t.Name)
		out = append(out, bot.TeamInfo{Name: t.Name, Channel: t.Channel, Location: a.cfg.TeamLocation(t),
			Lang: a.teamLang(t), CoverageDay: &day, Members: t.Members, UserGroup: t.UserGroup})
	}
	return out
}

// teamLang is a team's language: its own locale, else the configured one.
func (a *app) teamLang(t config.Team) handlers.Lang { return handlers.Lang(a.cfg.TeamLocale(t)) }

// buildDigest reads a team's digest at a.now(), over the default window, with its blind spots on its coverage day
// or when coverage says so.
func (a *app) buildDigest(ctx context.Context, reader *queries.Reader, t config.Team, name string, coverage bool) (queries.DigestAnswer, error) {
	now, loc := a.now(), a.cfg.TeamLocation(t)
	if loc == nil {
		loc = time.UTC
	}
	coverage = coverage || now.In(loc).Weekday() == a.cfg.CoverageDay(name)
	ans, err := reader.Digest(ctx, queries.DigestQuery{Team: name, Now: now, Location: a.cfg.TeamLocation(t),
		ReportURL: a.cfg.Slack.ReportURL, Coverage: coverage})
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
		if pl := a.cfg.Platform; req.Team == bot.PlatformTeam && pl.Channel != "" {
			return b.PostPlatformDigest(ctx, pl.Channel, handlers.Lang(a.cfg.Locale), a.platformLocation())
		}
		return b.PostTeamDigest(ctx, req.Team, req.Slot, req.Previous, req.Late)
	}
}

// platformLocation is the platform digest's zone: its own, else the project's (UTC when neither).
func (a *app) platformLocation() *time.Location {
	if loc, err := time.LoadLocation(a.cfg.Platform.Timezone); err == nil && a.cfg.Platform.Timezone != "" {
		return loc
	}
	return a.cfg.ScheduleLocation()
}
