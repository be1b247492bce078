package bot

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/todai-dev/todai/bot/slacktest"
)

// edrMessages is edr monitor's real payloads as the recogniser reads them.
func edrMessages(t *testing.T) map[string]AlertMessage {
	t.Helper()
	out := map[string]AlertMessage{}
	for kind, m := range slacktest.EdrMessages(t) {
		out[kind] = AlertMessage{Blocks: m.Blocks, Attachments: m.Attachments}
	}
	return out
}

// TestRecognizeRealEdrMessages: every payload edr monitor really posts is recognised, names the right node first,
// and is matched by the alert it is about (and not by another alert of the same run).
func TestRecognizeRealEdrMessages(t *testing.T) {
	msgs := edrMessages(t)
	notNull := AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "order_id", Test: "not_null",
		UniqueIDs: []string{"test.shop.not_null_orders_order_id.abc1234567.order_id.generic",
			"test.shop.not_null_orders_order_id.abc1234567", "model.shop.orders"}}
	unique := AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "order_id", Test: "unique",
		UniqueIDs: []string{"test.shop.unique_orders_order_id.def7654321.order_id.generic",
			"test.shop.unique_orders_order_id.def7654321", "model.shop.orders"}}
	ordersModel := AlertMatch{Kind: "model", Name: "orders", UniqueIDs: []string{"model.shop.orders"}}
	payments := AlertMatch{Kind: "source_freshness", Name: "stripe.PAYMENTS_V2",
		UniqueIDs: []string{"inv3.source.shop.stripe.payments", "source.shop.stripe.payments"}}
	schema := AlertMatch{Kind: "test", Table: "analytics.prod.orders", Column: "discount", Test: "schema_changes",
		UniqueIDs: []string{"test.shop.elementary_schema_changes_orders_.1a2b3c4d5e.discount.column_added",
			"test.shop.elementary_schema_changes_orders_.1a2b3c4d5e", "model.shop.orders"}}
	for _, tc := range []struct {
		payload, kind, node, table, column string
		matches, notMatches                []AlertMatch
	}{
		{"test_dbt", "test", "test.shop.not_null_orders_order_id.abc1234567", "analytics.prod.orders", "order_id",
			[]AlertMatch{notNull}, []AlertMatch{unique, ordersModel}},
		{"test_dbt_no_report_url", "test", "prod.orders", "analytics.prod.orders", "order_id",
			[]AlertMatch{notNull}, []AlertMatch{unique}},
		{"test_anomaly", "test", "test.shop.elementary_volume_anomalies_orders_.9a8b7c6d5e", "analytics.prod.orders", "",
			nil, []AlertMatch{notNull}},
		{"test_schema_change", "schema_change", "test.shop.elementary_schema_changes_orders_.1a2b3c4d5e",
			"analytics.prod.orders", "discount", []AlertMatch{schema}, []AlertMatch{notNull}},
		{"test_long_header", "test", "dbt_marts_finance.fct_customer_lifetime_value_daily",
			"analytics_prod.dbt_marts_finance.fct_customer_lifetime_value_daily", "customer_email_address",
			[]AlertMatch{{Kind: "test", Table: "ANALYTICS_PROD.DBT_MARTS_FINANCE.FCT_CUSTOMER_LIFETIME_VALUE_DAILY",
				Column: "customer_email_address", Test: "expect_column_values_to_match_regex"}},
			[]AlertMatch{{Kind: "test", Table: "analytics_prod.dbt_marts_finance.fct_customer_lifetime_value_daily",
				Column: "customer_id", Test: "expect_column_values_to_match_regex"}}},
		{"model", "model", "model.shop.orders", "", "", []AlertMatch{ordersModel}, []AlertMatch{notNull}},
		{"snapshot", "snapshot", "snapshot.shop.orders_snapshot", "", "",
			[]AlertMatch{{Kind: "model", Name: "orders_snapshot", UniqueIDs: []string{"snapshot.shop.orders_snapshot"}}},
			[]AlertMatch{ordersModel}},
		{"model_no_materialization", "model", "model.shop.orders", "", "", []AlertMatch{ordersModel}, nil},
		{"source_freshness", "source", "source.shop.stripe.payments", "", "", []AlertMatch{payments}, []AlertMatch{ordersModel}},
		{"source_freshness_runtime_error", "source", "source.shop.stripe.payments", "", "", []AlertMatch{payments}, nil},
		{"group_by_table_tests_only", "group", "orders", "", "", []AlertMatch{unique, notNull}, []AlertMatch{payments}},
		{"group_by_table_with_model", "group", "model.shop.orders", "", "", []AlertMatch{unique, ordersModel}, nil},
		{"group_all", "all", "model.shop.orders", "", "", []AlertMatch{ordersModel, unique, notNull}, []AlertMatch{payments}},
	} {
		t.Run(tc.payload, func(t *testing.T) {
			msg, ok := msgs[tc.payload]
			if !ok {
				t.Fatalf("no payload %q in edr-slack-messages.json", tc.payload)
			}
			a, ok := RecognizeAlert(msg)
			if !ok {
				t.Fatal("not recognised as an Elementary alert")
			}
			if a.Kind != tc.kind || a.Node() != tc.node || a.Table != tc.table || a.Column != tc.column {
				t.Errorf("read kind %q node %q table %q column %q; want %q %q %q %q (%+v)", a.Kind, a.Node(), a.Table,
					a.Column, tc.kind, tc.node, tc.table, tc.column, a)
			}
			for _, m := range tc.matches {
				if !m.Matches(a) {
					t.Errorf("not matched by %+v", m)
				}
			}
			for _, m := range tc.notMatches {
				if m.Matches(a) {
					t.Errorf("matched by another alert %+v", m)
				}
			}
		})
	}
	if len(msgs) != 13 {
		t.Errorf("%d payloads; this test names 13 (a new one needs a case)", len(msgs))
	}
}

// TestRecognizeOtherEdrForms: the forms the shared payloads do not hold — a Slack Workflows post (the alert's data
// as JSON in text) and the legacy `dbt failed to build None "x"` header.
func TestRecognizeOtherEdrForms(t *testing.T) {
	for _, tc := range []struct {
		name  string
		msg   AlertMessage
		kind  string
		cands []string
	}{
		{"workflow test", AlertMessage{Text: `{"id":"a1","alert_class_id":"test.shop.not_null_orders_order_id.abc.order_id.generic","test_unique_id":"test.shop.not_null_orders_order_id.abc","model_unique_id":"model.shop.orders","database_name":"ANALYTICS","schema_name":"PROD","table_name":"ORDERS","column_name":"order_id","test_short_name":"not_null","status":"fail","elementary_unique_id":"test.shop.not_null_orders_order_id.abc.order_id.generic"}`},
			"test", []string{"test.shop.not_null_orders_order_id.abc", "model.shop.orders"}},
		{"workflow model", AlertMessage{Text: `{"id":"a2","unique_id":"model.shop.orders","alias":"orders","status":"error","message":"boom"}`},
			"model", []string{"model.shop.orders"}},
		{"workflow freshness", AlertMessage{Text: `{"id":"a3","unique_id":"source.shop.stripe.payments","source_freshness_execution_id":"inv.source.shop.stripe.payments","source_name":"stripe","identifier":"payments","status":"error"}`},
			"source", []string{"source.shop.stripe.payments"}},
		{"legacy None materialization", AlertMessage{Blocks: json.RawMessage(`[{"type":"header","text":{"type":"plain_text","text":"Error: dbt failed to build None \"orders\""}},{"type":"section","text":{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}}]`)},
			"model", []string{"orders"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, ok := RecognizeAlert(tc.msg)
			if !ok || a.Kind != tc.kind || !slices.Equal(a.Candidates, tc.cands) {
				t.Errorf("RecognizeAlert = %v, kind %q, candidates %q; want %q %q", ok, a.Kind, a.Candidates, tc.kind, tc.cands)
			}
		})
	}
	for _, text := range []string{`{"hello":"world"}`, `{not json`, `["test.x"]`, "Error: 3 issues detected"} {
		if a, ok := RecognizeAlert(AlertMessage{Text: text}); ok {
			t.Errorf("RecognizeAlert(%q) = %+v, want not an alert", text, a)
		}
	}
}
