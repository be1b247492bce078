package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/todai-dev/todai/bot/slackui"
	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// newIncidentsCmd is `todai incidents`: the record of Todai's incidents and the workflow's CLI forms.
func newIncidentsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incidents",
		Short: "List, show and work Todai's incidents (take, assign, severity, resolve)",
		Long: `The incidents Todai's escalation keeps in its state store. list and show read them; take, assign, severity
and resolve change one as the Slack buttons do — recorded as cli:$USER — and, when a Slack bot token is
configured, edit its message in place and say the change in its thread.`,
	}
	cmd.AddCommand(append([]*cobra.Command{newIncidentsListCmd(a), newIncidentsShowCmd(a), newIncidentsStatsCmd(a)},
		newIncidentsWorkCmds(a)...)...)
	return cmd
}

func newIncidentsStatsCmd(a *app) *cobra.Command {
	var since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats [TEAM] [--since 7d] [--json]",
		Short: "How a team's incidents were handled: time to acknowledge and to resolve, how they ended, reopened tests",
		Args:  cobra.MaximumNArgs(1),
		RunE: a.onState(func(cmd *cobra.Command, args []string, db *localdb.DB) error {
			question := "incidents stats"
			if len(args) == 1 {
				question += " team:" + args[0]
			}
			if since != "" {
				question += " since " + since
			}
			return a.answer(cmd.Context(), db, askOptions{text: question, asJSON: asJSON})
		}),
	}
	cmd.Flags().StringVar(&since, "since", "", "the window's start: 30d, 2026-11-01 … (a week when not given)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (docs/json.md)")
	return cmd
}

func newIncidentsListCmd(a *app) *cobra.Command {
	var team string
	var asJSON bool
	var resolved time.Duration
	cmd := &cobra.Command{
		Use:   "list [--team TEAM] [--resolved 168h] [--json]",
		Short: "List the open incidents (and those resolved lately with --resolved)",
		Args:  cobra.NoArgs,
		RunE: a.onState(func(cmd *cobra.Command, _ []string, db *localdb.DB) error {
			var since time.Time
			if resolved > 0 {
				since = a.now().Add(-resolved)
			}
			incs, err := escalation.NewStateStore(a.stateOf(db)).List(cmd.Context(), team, since)
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]incidentJSON, len(incs))
				for i, inc := range incs {
					out[i] = incidentRecord(inc)
				}
				return writeJSON(a.stdout, map[string]any{"incidents": out})
			}
			return a.printIncidentList(incs)
		}),
	}
	cmd.Flags().StringVar(&team, "team", "", "only this team's incidents")
	cmd.Flags().DurationVar(&resolved, "resolved", 0, "also the incidents resolved within this long (e.g. 168h)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newIncidentsShowCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "Show an incident and its timeline: opened, notices, levels, acknowledgement, taken, severity, resolution, reopen",
		Args:  cobra.ExactArgs(1),
		RunE: a.onState(func(cmd *cobra.Command, args []string, db *localdb.DB) error {
			id, err := incidentID(args[0])
			if err != nil {
				return err
			}
			store := escalation.NewStateStore(a.stateOf(db))
			inc, err := store.Get(cmd.Context(), id)
			if err != nil {
				return actionError(id, err)
			}
			events, err := store.Timeline(cmd.Context(), id)
			if err != nil {
				return err
			}
			if asJSON {
				rec := incidentRecord(inc)
				rec.Timeline = make([]eventJSON, len(events))
				for i, e := range events {
					rec.Timeline[i] = eventJSON{At: e.At, Event: e.Event, Actor: e.Actor, Level: e.Level, Loop: e.Loop, Detail: e.Detail}
				}
				return writeJSON(a.stdout, rec)
			}
			return a.printIncident(inc, events)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newIncidentsWorkCmds are take, assign, severity and resolve.
func newIncidentsWorkCmds(a *app) []*cobra.Command {
	var reason, note string
	work := func(use, short string, args cobra.PositionalArgs, event string,
		apply func(ctx context.Context, s *escalation.Store, id int64, args []string, actor string, now time.Time) (bool, error)) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: args,
			RunE: a.onState(func(cmd *cobra.Command, args []string, db *localdb.DB) error {
				id, err := incidentID(args[0])
				if err != nil {
					return err
				}
				acts := &incidentActions{store: escalation.NewStateStore(a.stateOf(db)), actor: cliActor(), now: a.now}
				if a.cfg.Slack.BotToken != "" {
					acts.announceWith(a.newBot(db, a.reader(db)), a.logger)
				}
				done, err := acts.change(cmd.Context(), id, event, func(now time.Time) (bool, error) {
					return apply(cmd.Context(), acts.store, id, args[1:], acts.actor, now)
				})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(a.stdout, done)
				return err
			})}
	}
	take := work("take ID", "Make yourself (cli:$USER) the incident's assignee; it is acknowledged", cobra.ExactArgs(1), "taken",
		func(ctx context.Context, s *escalation.Store, id int64, _ []string, actor string, now time.Time) (bool, error) {
			return s.Take(ctx, id, actor, now)
		})
	assign := work("assign ID USER", "Give the incident to a Slack user (their ID, U0123ABCD)", cobra.ExactArgs(2), "assigned",
		func(ctx context.Context, s *escalation.Store, id int64, args []string, actor string, now time.Time) (bool, error) {
			if !slackui.ValidUserID(args[0]) {
				return false, fmt.Errorf("%q is not a Slack user ID (like U0123ABCD): %w", args[0], escalation.ErrInvalid)
			}
			return s.Assign(ctx, id, args[0], actor, now)
		})
	severity := work("severity ID critical|high|normal|low", "Set the incident's severity", cobra.ExactArgs(2), "severity",
		func(ctx context.Context, s *escalation.Store, id int64, args []string, actor string, now time.Time) (bool, error) {
			p, ok := escalation.ParsePriority(args[0])
			if !ok {
				return false, fmt.Errorf("severity %q: use critical, high, normal or low: %w", args[0], escalation.ErrInvalid)
			}
			return s.SetPriority(ctx, id, p, actor, now)
		})
	resolve := work("resolve ID --reason fixed|expected|no_action_needed|false_positive [--note TEXT]",
		"Resolve the incident as a person judged it, with an optional note", cobra.ExactArgs(1), "resolved",
		func(ctx context.Context, s *escalation.Store, id int64, _ []string, actor string, now time.Time) (bool, error) {
			r, ok := escalation.ParseResolution(reason)
			if !ok {
				return false, fmt.Errorf("--reason %q: use fixed, expected, no_action_needed or false_positive: %w", reason, escalation.ErrInvalid)
			}
			return true, s.ResolveAs(ctx, id, r, note, actor, now)
		})
	resolve.Flags().StringVar(&reason, "reason", "", "fixed, expected, no_action_needed or false_positive")
	resolve.Flags().StringVar(&note, "note", "", fmt.Sprintf("what happened (at most %d characters)", escalation.MaxNoteLength))
	_ = resolve.MarkFlagRequired("reason")
	return []*cobra.Command{take, assign, severity, resolve}
}

// cliActor is who changes an incident from the command line: cli:$USER.
func cliActor() string {
	return "cli:" + cmp.Or(os.Getenv("USER"), os.Getenv("LOGNAME"), "unknown")
}

// incidentID reads an incident's ID ("42" or "#42").
func incidentID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not an incident ID (a number, as in #42)", s)
	}
	return id, nil
}

// incidentJSON is an incident as `todai incidents` prints it.
type incidentJSON struct {
	ID             int64       `json:"id"`
	Team           string      `json:"team"`
	Kind           string      `json:"kind"`
	NodeID         string      `json:"node_id"`
	TestID         string      `json:"test_id,omitempty"`
	Status         string      `json:"status"`
	Summary        string      `json:"summary"`
	OpenedAt       time.Time   `json:"opened_at"`
	AckedBy        string      `json:"acked_by,omitempty"`
	Assignee       string      `json:"assignee,omitempty"`
	Severity       string      `json:"severity,omitempty"`
	SeverityBy     string      `json:"severity_by,omitempty"`
	ResolvedAt     *time.Time  `json:"resolved_at,omitempty"`
	ResolvedBy     string      `json:"resolved_by,omitempty"`
	Resolution     string      `json:"resolution,omitempty"`
	ResolutionNote string      `json:"resolution_note,omitempty"`
	ClearedBy      string      `json:"cleared_by,omitempty"`
	Reopens        int64       `json:"reopens,omitempty"`
	Timeline       []eventJSON `json:"timeline,omitempty"`
}

type eventJSON struct {
	At     time.Time `json:"at"`
	Event  string    `json:"event"`
	Actor  string    `json:"actor"`
	Level  int       `json:"level,omitempty"`
	Loop   int       `json:"loop,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

func incidentRecord(inc escalation.Incident) incidentJSON {
	rec := incidentJSON{ID: inc.ID, Team: inc.Team, Kind: string(inc.Kind), NodeID: inc.NodeID, TestID: inc.TestID,
		Status: string(inc.Status), Summary: inc.Summary, OpenedAt: inc.OpenedAt, AckedBy: inc.AckedBy, Assignee: inc.Assignee,
		Severity: string(inc.Priority), SeverityBy: inc.PriorityBy, ResolvedBy: inc.ResolvedBy,
		Resolution: string(inc.Resolution), ResolutionNote: inc.ResolutionNote, ClearedBy: inc.ClearedBy, Reopens: inc.Reopens}
	if !inc.ResolvedAt.IsZero() {
		at := inc.ResolvedAt
		rec.ResolvedAt = &at
	}
	return rec
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// incidentTitle names an incident's subject in the terminal: the test on its node, the source's freshness, the node.
func incidentTitle(inc escalation.Incident) string {
	return handlers.Clean(slackui.IncidentTitle(inc, handlers.LangEN))
}

// clock is a time in the config's zone.
func (a *app) clock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(a.cfg.Location()).Format("2006-01-02 15:04 MST")
}

func (a *app) printIncidentList(incs []escalation.Incident) error {
	if len(incs) == 0 {
		_, err := fmt.Fprintln(a.stdout, "No incidents.")
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tSEVERITY\tASSIGNEE\tTEAM\tOPENED\tINCIDENT")
	for _, inc := range incs {
		status := string(inc.Status)
		if inc.Resolution != "" {
			status += " (" + handlers.ResolutionWord(handlers.LangEN, string(inc.Resolution)) + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", inc.ID, status, cmp.Or(string(inc.Priority), "-"),
			cmp.Or(handlers.Clean(inc.Assignee), "-"), handlers.Clean(inc.Team), a.clock(inc.OpenedAt), incidentTitle(inc))
	}
	return tw.Flush()
}

func (a *app) printIncident(inc escalation.Incident, events []escalation.Event) error {
	w := a.stdout
	fmt.Fprintf(w, "Incident %d — %s\n", inc.ID, incidentTitle(inc))
	fmt.Fprintf(w, "Team: %s · Status: %s · Opened: %s\n", cmp.Or(handlers.Clean(inc.Team), "-"), inc.Status, a.clock(inc.OpenedAt))
	if inc.Summary != "" {
		fmt.Fprintf(w, "Failure: %s\n", handlers.Clean(handlers.FirstLine(inc.Summary)))
	}
	if inc.Priority != "" {
		fmt.Fprintf(w, "Severity: %s (set by %s)\n", inc.Priority, handlers.Clean(inc.PriorityBy))
	}
	if inc.Assignee != "" {
		fmt.Fprintf(w, "Assignee: %s\n", handlers.Clean(inc.Assignee))
	}
	if inc.Status == escalation.StatusResolved {
		fmt.Fprintf(w, "Resolved: %s, %s by %s", a.clock(inc.ResolvedAt),
			handlers.ResolutionWord(handlers.LangEN, string(inc.Resolution)), cmp.Or(handlers.Clean(inc.ResolvedBy), "-"))
		if inc.ClearedBy != "" {
			fmt.Fprintf(w, " (dbt invocation %s)", handlers.Clean(inc.ClearedBy))
		}
		fmt.Fprintln(w)
		if inc.ResolutionNote != "" {
			fmt.Fprintf(w, "Note: %s\n", handlers.Clean(inc.ResolutionNote))
		}
	}
	if inc.Reopens != 0 {
		fmt.Fprintf(w, "Reopens incident %d: its fix did not hold\n", inc.Reopens)
	}
	fmt.Fprintln(w, "\nTimeline")
	for _, e := range events {
		line := "  " + a.clock(e.At) + "  " + e.Event
		if e.Level > 0 {
			line += fmt.Sprintf(" (level %d, round %d)", e.Level, e.Loop+1)
		}
		if e.Actor != "" && e.Actor != "todai" {
			line += " · " + handlers.Clean(e.Actor)
		}
		if e.Detail != "" {
			line += " · " + handlers.Clean(e.Detail)
		}
		fmt.Fprintln(w, line)
	}
	return nil
}
