package escalation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb"
)

// Problem is one current failure in the mirror: a test whose latest result fails, errors or warns, a node whose
// latest run errored, or a source whose latest freshness check errored.
type Problem struct {
	Key          string
	Kind         Kind
	NodeID       string
	TestID       string
	Severity     string // ERROR, or WARN for a test that only warns
	InvocationID string
	Summary      string
	DetectedAt   time.Time
	// Facts are the node's, for the team rules and silences.
	Facts queries.NodeFacts
}

// MirrorReader is what Reconcile reads of the mirror. Mirror implements it over the local SQLite tables.
type MirrorReader interface {
	// Problems returns the current failures.
	Problems(ctx context.Context) ([]Problem, error)
	// ElementaryAlerts returns, for each key that edr monitor alerted on (alerts_v2, status sent) for a failure
	// detected at or after since[key] (zero: any time), the newest such alert's id.
	ElementaryAlerts(ctx context.Context, since map[string]time.Time) (map[string]string, error)
}

// TeamResolver maps a node to its team; queries.Teams implements it.
type TeamResolver interface {
	TeamOf(n queries.NodeFacts) string
}

// Group is the new incidents of one team from one dbt invocation: they go out as one message.
type Group struct {
	Team         string
	InvocationID string
	Incidents    []Incident
}

// ReconcileResult says what Reconcile changed.
type ReconcileResult struct {
	Opened   []Incident
	Resolved []Incident
	// Groups are the opened incidents by team and invocation, in team then invocation order.
	Groups []Group
}

// Reconcile opens an incident for every current problem without an unresolved one (warn-only tests only when the
// team's policy includes warn) and resolves every unresolved incident whose problem is gone: the test passes again,
// the model ran successfully, the source is fresh. It runs in one write transaction.
func (s *Store) Reconcile(ctx context.Context, m MirrorReader, teams TeamResolver, policyFor func(team string) (Policy, bool), now time.Time) (ReconcileResult, error) {
	var res ReconcileResult
	problems, err := m.Problems(ctx)
	if err != nil {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	current := make(map[string]bool, len(problems))
	var wanted []Incident
	for _, p := range problems {
		team := ""
		if teams != nil {
			team = teams.TeamOf(p.Facts)
		}
		if p.Severity == SeverityWarn {
			if pol, ok := policyFor(team); !ok || !pol.IncludeWarn {
				continue
			}
		}
		current[p.Key] = true
		wanted = append(wanted, Incident{Key: p.Key, Team: team, Kind: p.Kind, NodeID: p.NodeID, TestID: p.TestID,
			Severity: p.Severity, InvocationID: p.InvocationID, Summary: p.Summary, Owners: p.Facts.Owners,
			Tags: p.Facts.Tags, OpenedAt: now, DetectedAt: p.DetectedAt})
	}
	open, err := s.unresolved(ctx)
	if err != nil {
		return res, fmt.Errorf("reconcile: %w", err)
	}
	// edr monitor's alerts: for the new incidents, and for those still waiting for theirs before a first notice.
	since := map[string]time.Time{}
	for _, w := range wanted {
		if _, ok := open[w.Key]; !ok {
			since[w.Key] = alertsSince(w.DetectedAt, now)
		}
	}
	for key, u := range open {
		if u.waitsForAlert && current[key] {
			if pol, ok := policyFor(u.team); ok && pol.LinksElementaryAlerts() {
				since[key] = alertsSince(u.detectedAt, u.openedAt)
			}
		}
	}
	alerts := map[string]string{}
	if len(since) > 0 {
		if alerts, err = m.ElementaryAlerts(ctx, since); err != nil {
			return res, fmt.Errorf("reconcile: %w", err)
		}
	}
	err = s.inTx(ctx, "reconcile", func(tx *sql.Tx) error {
		for key, u := range open {
			if a := alerts[key]; a != "" && u.waitsForAlert && current[key] {
				if err := linkAlertTx(ctx, tx, u.id, a, now); err != nil {
					return fmt.Errorf("link %s: %w", key, err)
				}
			}
		}
		for _, w := range wanted {
			if _, ok := open[w.Key]; ok {
				continue
			}
			w.ElementaryAlertID = alerts[w.Key]
			inc, opened, err := openTx(ctx, tx, w)
			if err != nil {
				return fmt.Errorf("open %s: %w", w.Key, err)
			}
			if opened {
				res.Opened = append(res.Opened, inc)
			}
		}
		for key, u := range open {
			if current[key] {
				continue
			}
			if err := resolveTx(ctx, tx, u.id, "todai", now, "no longer failing in the mirror"); err != nil {
				return fmt.Errorf("resolve %s: %w", key, err)
			}
			inc, err := getIncident(ctx, tx, u.id)
			if err != nil {
				return err
			}
			res.Resolved = append(res.Resolved, inc)
		}
		return nil
	})
	if err != nil {
		return ReconcileResult{}, err
	}
	sort.Slice(res.Resolved, func(i, j int) bool { return res.Resolved[i].ID < res.Resolved[j].ID })
	res.Groups = groupIncidents(res.Opened)
	return res, nil
}

// unresolvedIncident is what Reconcile needs of an unresolved incident.
type unresolvedIncident struct {
	id   int64
	team string
	// waitsForAlert: no notice went out and no edr monitor alert is linked yet.
	waitsForAlert bool
	detectedAt    time.Time
	openedAt      time.Time
}

// alertsSince is the earliest detection time of an edr monitor alert about a failure detected at detected: the
// detection itself, or a day before opened when it is unknown.
func alertsSince(detected, opened time.Time) time.Time {
	if detected.IsZero() {
		return opened.Add(-24 * time.Hour)
	}
	return detected
}

func (s *Store) unresolved(ctx context.Context) (map[string]unresolvedIncident, error) {
	rows, err := s.db.Write.QueryContext(ctx, `SELECT key, id, team, notified_level = 0 AND elementary_alert_id = '',
		coalesce(detected_at, ''), opened_at FROM incidents WHERE status <> 'resolved'`)
	if err != nil {
		return nil, fmt.Errorf("read unresolved incidents: %w", err)
	}
	defer rows.Close()
	out := map[string]unresolvedIncident{}
	for rows.Next() {
		var (
			k, detected, opened string
			u                   unresolvedIncident
		)
		if err := rows.Scan(&k, &u.id, &u.team, &u.waitsForAlert, &detected, &opened); err != nil {
			return nil, fmt.Errorf("read unresolved incidents: %w", err)
		}
		if u.openedAt, err = localdb.ParseTime(opened); err != nil {
			return nil, fmt.Errorf("read unresolved incident %d: %w", u.id, err)
		}
		if detected != "" {
			if u.detectedAt, err = localdb.ParseTime(detected); err != nil {
				return nil, fmt.Errorf("read unresolved incident %d: %w", u.id, err)
			}
		}
		out[k] = u
	}
	return out, rows.Err()
}

func groupIncidents(incs []Incident) []Group {
	idx := map[[2]string]int{}
	var out []Group
	for _, inc := range incs {
		k := [2]string{inc.Team, inc.InvocationID}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Group{Team: inc.Team, InvocationID: inc.InvocationID})
		}
		out[i].Incidents = append(out[i].Incidents, inc)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Team != out[j].Team {
			return out[i].Team < out[j].Team
		}
		return out[i].InvocationID < out[j].InvocationID
	})
	return out
}

// Mirror reads problems, upstream failures and edr monitor's alerts from the local mirror (migrations 00001 and
// 00002: test_latest, node_last_run, source_freshness_latest, nodes, node_edges, alerts_v2).
type Mirror struct {
	DB *sql.DB
}

const nodeFactCols = `coalesce(n.owners, '[]'), coalesce(n.tags, '[]'), coalesce(n.group_name, ''), coalesce(n.path, ''),
	coalesce(n.original_path, ''), coalesce(n.meta_team, '')`

// Problems implements MirrorReader.
func (m Mirror) Problems(ctx context.Context) ([]Problem, error) {
	var out []Problem
	queriesByKind := []struct {
		kind Kind
		q    string
	}{
		{KindTest, `SELECT tl.test_unique_id, coalesce(nullif(tl.column_name, ''), nullif(r.column_name, ''), 'None'),
			coalesce(nullif(r.test_sub_type, ''), 'None'), coalesce(r.test_type, ''), tl.status,
			coalesce(tl.invocation_id, ''), coalesce(tl.detected_at, ''), coalesce(tl.message, ''),
			coalesce(t.parent_model_unique_id, r.model_unique_id, ''), ` + nodeFactCols + `
			FROM test_latest tl
			LEFT JOIN elementary_test_results r ON r.id = tl.result_id
			LEFT JOIN dbt_tests t ON t.unique_id = tl.test_unique_id
			LEFT JOIN nodes n ON n.unique_id = coalesce(t.parent_model_unique_id, r.model_unique_id)
			WHERE tl.status IN ('fail', 'error', 'warn')`},
		{KindModel, `SELECT l.unique_id, '', '', '', l.status, r.invocation_id, coalesce(l.completed_at, r.generated_at, r.created_at, ''),
			coalesce(r.message, ''), l.unique_id, ` + nodeFactCols + `
			FROM node_last_run l
			JOIN dbt_run_results r ON r.model_execution_id = l.model_execution_id
			LEFT JOIN nodes n ON n.unique_id = l.unique_id
			WHERE l.status = 'error'`},
		{KindFreshness, `SELECT s.unique_id, '', '', '', s.status, coalesce(f.invocation_id, ''),
			coalesce(f.generated_at, f.created_at, ''), coalesce(f.error, ''), s.unique_id, ` + nodeFactCols + `
			FROM source_freshness_latest s
			LEFT JOIN dbt_source_freshness_results f ON f.source_freshness_execution_id = s.execution_id
			LEFT JOIN nodes n ON n.unique_id = s.unique_id
			WHERE s.status IN ('error', 'runtime error')`},
	}
	for _, k := range queriesByKind {
		if err := m.scanProblems(ctx, k.kind, k.q, &out); err != nil {
			return nil, fmt.Errorf("read %s problems: %w", k.kind, err)
		}
	}
	return out, nil
}

func (m Mirror) scanProblems(ctx context.Context, kind Kind, q string, out *[]Problem) error {
	rows, err := m.DB.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, column, subType, testType, status, detected, owners, tags string
			p                                                             Problem
		)
		if err := rows.Scan(&id, &column, &subType, &testType, &status, &p.InvocationID, &detected, &p.Summary, &p.NodeID,
			&owners, &tags, &p.Facts.Group, &p.Facts.Path, &p.Facts.OriginalPath, &p.Facts.MetaTeam); err != nil {
			return err
		}
		p.Kind, p.Severity, p.Key = kind, SeverityError, id
		if kind == KindTest {
			p.TestID = id
			// Elementary keys schema_change and dimension_anomalies tests by the test alone.
			if testType != "schema_change" && testType != "dimension_anomalies" {
				p.Key = id + "." + column + "." + subType
			}
			if status == "warn" {
				p.Severity = SeverityWarn
			}
			if p.NodeID == "" {
				p.NodeID = id
			}
		}
		if first, _, _ := strings.Cut(p.Summary, "\n"); first != p.Summary {
			p.Summary = first
		}
		if t, err := localdb.ParseTime(detected); err == nil {
			p.DetectedAt = t
		}
		// Malformed lists are read as empty: a node's facts never stop an incident.
		_ = json.Unmarshal([]byte(owners), &p.Facts.Owners)
		_ = json.Unmarshal([]byte(tags), &p.Facts.Tags)
		*out = append(*out, p)
	}
	return rows.Err()
}

// alertClockSlack is how much earlier than the failure's detection an alert's detected_at may be and still be
// about it: edr monitor stamps a model's alert with the run result's generated_at, Todai the run's completion.
const alertClockSlack = 5 * time.Minute

// ElementaryAlerts implements MirrorReader.
func (m Mirror) ElementaryAlerts(ctx context.Context, since map[string]time.Time) (map[string]string, error) {
	out := map[string]string{}
	// A test keyed by itself alone (schema_change, dimension_anomalies) has an alert_class_id that extends it with
	// .<column>.<sub_type>: such keys also match by that prefix (a range, so the index serves it).
	stmt, err := m.DB.PrepareContext(ctx, `SELECT alert_id FROM alerts_v2
		WHERE (alert_class_id = ?1 OR (?3 AND alert_class_id > ?1 || '.' AND alert_class_id < ?1 || '/'))
		AND status = 'sent' AND detected_at >= ?2
		ORDER BY detected_at DESC LIMIT 1`)
	if err != nil {
		return nil, fmt.Errorf("read alerts_v2: %w", err)
	}
	defer stmt.Close()
	for k, t := range since {
		from := ""
		if !t.IsZero() {
			from = localdb.FormatTime(t.Add(-alertClockSlack))
		}
		var id string
		switch err := stmt.QueryRowContext(ctx, k, from, isBareTestKey(k)).Scan(&id); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("read alerts_v2 for %s: %w", k, err)
		default:
			out[k] = id
		}
	}
	return out, nil
}

// isBareTestKey reports a test key without .<column>.<sub_type>: test.<package>.<name>.<hash>.
func isBareTestKey(key string) bool {
	return strings.HasPrefix(key, "test.") && strings.Count(key, ".") == 3
}

// ElementaryInUse reports whether edr monitor is alerting: alerts_v2 holds an alert updated in the 7 days
// before now.
func (m Mirror) ElementaryInUse(ctx context.Context, now time.Time) (bool, error) {
	var inUse bool
	err := m.DB.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM alerts_v2 WHERE updated_at >= ?)`,
		localdb.FormatTime(now.Add(-7*24*time.Hour))).Scan(&inUse)
	if err != nil {
		return false, fmt.Errorf("read alerts_v2: %w", err)
	}
	return inUse, nil
}
