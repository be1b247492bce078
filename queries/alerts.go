package queries

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// ElementaryAlert is what Todai knows of an alert edr monitor sent (an alerts_v2 row with status sent): enough to
// find its Slack message, whose header names the asset rather than the key (elementary-schema.md §4.2).
type ElementaryAlert struct {
	// ID is alerts_v2.alert_id; Type is test, model or source_freshness.
	ID   string
	Type string
	// SentAt is when edr monitor marked it sent, shortly after posting (zero if unknown); DetectedAt when the failure
	// it reports was detected (zero if unknown).
	SentAt, DetectedAt time.Time
	// NodeID and TestID are the node it is about and, for a test's alert, the test, as the caller or the alert's
	// data names them.
	NodeID, TestID string
	// Table is a test's lower-cased database.schema.table; Column and Test its column and short name.
	Table, Column, Test string
	// Name is a model's name as its header shows it (the alias), or a source's "source_name.identifier".
	Name string
	// UniqueIDs are the ids a report link in the message may name: the alert class, the test and the model.
	UniqueIDs []string
	// Channel is the Slack channel edr monitor sent it to, when the test's or model's meta names one.
	Channel string
}

// ElementaryAlert reads edr monitor's alert alertID about a failure of nodeID (and testID, for a test): the
// alerts_v2 row, its data payload and, for what the payload lacks, the node and test definitions. ok is false when
// the alert is not in the mirror.
func (r *Reader) ElementaryAlert(ctx context.Context, alertID, nodeID, testID string) (ElementaryAlert, bool, error) {
	if alertID == "" {
		return ElementaryAlert{}, false, nil
	}
	var (
		a              = ElementaryAlert{ID: alertID, NodeID: nodeID, TestID: testID}
		typ, class     sql.NullString
		sent, data     sql.NullString
		detected       sql.NullString
		db, schema     sql.NullString
		alias, name    sql.NullString
		resource, meta sql.NullString
		short, column  sql.NullString
		testMeta       sql.NullString
	)
	err := r.q.QueryRowContext(ctx, `SELECT a.type, a.alert_class_id, a.sent_at, a.detected_at, a.data,
			n.database_name, n.schema_name, n.alias, n.name, n.resource_type, n.meta,
			t.short_name, t.test_column_name, t.meta
		FROM alerts_v2 a
		LEFT JOIN nodes n ON n.unique_id = ?
		LEFT JOIN dbt_tests t ON t.unique_id = ?
		WHERE a.alert_id = ?`, nodeID, testID, alertID).Scan(&typ, &class, &sent, &detected, &data,
		&db, &schema, &alias, &name, &resource, &meta, &short, &column, &testMeta)
	if errors.Is(err, sql.ErrNoRows) {
		return ElementaryAlert{}, false, nil
	}
	if err != nil {
		return ElementaryAlert{}, false, fmt.Errorf("read edr monitor alert %s: %w", alertID, err)
	}
	a.Type = typ.String
	if t, err := localdb.ParseTime(sent.String); err == nil {
		a.SentAt = t
	}
	if t, err := localdb.ParseTime(detected.String); err == nil {
		a.DetectedAt = t
	}
	var d alertData
	_ = json.Unmarshal([]byte(data.String), &d) // a malformed payload leaves the definitions to go by

	// The node's own definitions first, the payload where it says more (it is what the message was built from).
	nodeName := alias.String
	if nodeName == "" {
		nodeName = name.String
	}
	switch a.Type {
	case "test":
		a.Table = strings.ToLower(joinNonEmpty(".", cmp.Or(d.DatabaseName, db.String), cmp.Or(d.SchemaName, schema.String),
			cmp.Or(d.TableName, nodeName)))
		a.Column = cmp.Or(d.ColumnName, column.String)
		a.Test = cmp.Or(d.TestShortName, short.String)
	case "source_freshness":
		if d.SourceName != "" && d.Identifier != "" {
			a.Name = d.SourceName + "." + d.Identifier
		} else if resource.String == "source" {
			a.Name = name.String // source_name.name in the read model
		}
	default:
		a.Name = cmp.Or(d.Alias, nodeName)
	}
	for _, id := range []string{d.ElementaryUniqueID, class.String, d.TestUniqueID, testID, d.ModelUniqueID, nodeID} {
		if id != "" && !slices.Contains(a.UniqueIDs, id) {
			a.UniqueIDs = append(a.UniqueIDs, id)
		}
	}
	// edr monitor picks the channel from the merged meta, a test's over its model's (§3.2).
	a.Channel = cmp.Or(metaChannel(d.TestMeta), metaChannel([]byte(testMeta.String)), metaChannel(d.ModelMeta),
		metaChannel([]byte(meta.String)))
	return a, true, nil
}

// maxSentAlerts bounds the alerts SentAlerts reads.
const maxSentAlerts = 100

// SentAlerts lists the alerts edr monitor marked sent between from and to (at most 100, the nearest to from first),
// each as ElementaryAlert reads it, with the node and test its data names: the candidates for an alert message
// posted around then that names neither.
func (r *Reader) SentAlerts(ctx context.Context, from, to time.Time) ([]ElementaryAlert, error) {
	return inSnapshot(ctx, r, func(r *Reader) ([]ElementaryAlert, error) {
		type row struct{ id, data string }
		rows, err := localdb.Collect(ctx, r.q, "alerts sent", `SELECT alert_id, coalesce(data, '') FROM alerts_v2
			WHERE status = 'sent' AND sent_at >= ?1 AND sent_at <= ?2 ORDER BY sent_at, alert_id LIMIT ?3`,
			[]any{localdb.FormatTime(from), localdb.FormatTime(to), maxSentAlerts}, func(rows *sql.Rows) (row, error) {
				var x row
				return x, rows.Scan(&x.id, &x.data)
			})
		if err != nil {
			return nil, err
		}
		out := make([]ElementaryAlert, 0, len(rows))
		for _, x := range rows {
			var d alertData
			_ = json.Unmarshal([]byte(x.data), &d) // a malformed payload names no node: the alert is left out
			node := cmp.Or(d.ModelUniqueID, d.UniqueID)
			if node == "" {
				continue
			}
			a, ok, err := r.ElementaryAlert(ctx, x.id, node, d.TestUniqueID)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, a)
			}
		}
		return out, nil
	})
}

// alertData is the part of alerts_v2.data Todai reads.
type alertData struct {
	UniqueID           string          `json:"unique_id"`
	DatabaseName       string          `json:"database_name"`
	SchemaName         string          `json:"schema_name"`
	TableName          string          `json:"table_name"`
	ColumnName         string          `json:"column_name"`
	TestShortName      string          `json:"test_short_name"`
	TestUniqueID       string          `json:"test_unique_id"`
	ModelUniqueID      string          `json:"model_unique_id"`
	ElementaryUniqueID string          `json:"elementary_unique_id"`
	Alias              string          `json:"alias"`
	SourceName         string          `json:"source_name"`
	Identifier         string          `json:"identifier"`
	TestMeta           json.RawMessage `json:"test_meta"`
	ModelMeta          json.RawMessage `json:"model_meta"`
}

// metaChannel reads meta.channel, or meta.alerts_config.channel which wins, from a meta that is a JSON object or a
// JSON string holding one (Elementary stores both).
func metaChannel(b []byte) string {
	var s string
	if json.Unmarshal(b, &s) == nil {
		b = []byte(s)
	}
	var meta struct {
		Channel      string `json:"channel"`
		AlertsConfig struct {
			Channel string `json:"channel"`
		} `json:"alerts_config"`
	}
	if json.Unmarshal(b, &meta) != nil {
		return ""
	}
	return strings.TrimPrefix(strings.TrimSpace(cmp.Or(meta.AlertsConfig.Channel, meta.Channel)), "#")
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
