package bot

import (
	"encoding/json"
	"slices"
	"testing"
)

// Realistic Elementary alerts: the current block layout (header, "Powered by", subtitle, divider, details in
// attachments[0].blocks) and the legacy workflows layout (same header, context subtitle, no attribution).
const (
	alertTestNewBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Failure: \"not_null\" test failed on analytics.prod.orders.order_id","emoji":true}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}]},
 {"type":"section","text":{"type":"mrkdwn","text":"*Test:* not_null | *Status:* fail | *Time:* 2024-05-01 13:05:22 UTC\n<https://report.example.com/report/test-runs/test.shop.not_null_orders_order_id.abc123.order_id.generic/|View test runs>"}},
 {"type":"divider"}]`
	alertTestNewAttachments = `[{"color":"#ff0000","blocks":[
 {"type":"section","text":{"type":"mrkdwn","text":"ℹ️ *Details*"}},
 {"type":"section","fields":[{"type":"mrkdwn","text":"*Table*\nanalytics.prod.orders"},{"type":"mrkdwn","text":"*Column*\norder_id"}]},
 {"type":"section","fields":[{"type":"mrkdwn","text":"*Owners*\n<@U123>, @alice"}]}]}]`

	alertModelLegacyBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Error: dbt failed to build table \"fct_orders\""}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"*Model:* fct_orders     |  *Status:* error     |  *2024-05-01 13:05:22 UTC*"}]}]`
	alertModelLegacyAttachments = `[{"color":"#ff0000","blocks":[
 {"type":"section","text":{"type":"mrkdwn","text":"<https://report.example.com/report/model-runs/model.kumo.fct_orders/|View model runs>"}},
 {"type":"section","text":{"type":"mrkdwn","text":"*Result Message*\n` + "```" + `Database Error in model fct_orders` + "```" + `"}}]}]`

	alertFreshBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Warning: Freshness exceeded the acceptable times on source \"raw.stripe.payments\""}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}]},
 {"type":"section","text":{"type":"mrkdwn","text":"*Source:* stripe.payments | *Status:* warn | *Time:* 2024-05-01 13:05:22 UTC"}}]`

	alertGroupBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Failure: fct_revenue: 3 issues detected"}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}]},
 {"type":"section","text":{"type":"mrkdwn","text":"*Model:* fct_revenue | <https://r.example.com/report/test-runs/?treeNode=%7B%22id%22%3A%22model.kumo.fct_revenue%22%7D|View test runs>"}}]`

	alertSchemaBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Column Added on analytics.prod.orders.discount"}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}]}]`

	alertSnapshotBlocks = `[{"type":"header","text":{"type":"plain_text","text":"Runtime Error: dbt failed to build snapshot \"orders_snapshot\""}}]`

	// Powered-by line and a Model subtitle but a header cut to Slack's limit: recognised from the subtitle.
	alertCutHeaderBlocks = `[
 {"type":"header","text":{"type":"plain_text","text":"Error: something we do not know…"}},
 {"type":"context","elements":[{"type":"mrkdwn","text":"Powered by <https://www.elementary-data.com/|Elementary>"}]},
 {"type":"section","text":{"type":"mrkdwn","text":"*Model:* dim_customers | *Status:* error"}}]`

	plainBlocks = `[{"type":"section","text":{"type":"mrkdwn","text":"Deploy finished: 3 models built"}}]`
)

func TestRecognizeAlert(t *testing.T) {
	tests := []struct {
		name     string
		msg      AlertMessage
		ok       bool
		kind     string
		status   string
		table    string
		column   string
		test     string
		uniqueID string
		cands    []string
	}{
		{name: "test, new layout", msg: AlertMessage{Blocks: json.RawMessage(alertTestNewBlocks), Attachments: json.RawMessage(alertTestNewAttachments)},
			ok: true, kind: "test", status: "Failure", table: "analytics.prod.orders", column: "order_id", test: "not_null",
			cands: []string{"test.shop.not_null_orders_order_id.abc123", "prod.orders", "orders"}}, // the test itself first: tests answer as nodes
		{name: "model, legacy layout", msg: AlertMessage{Blocks: json.RawMessage(alertModelLegacyBlocks), Attachments: json.RawMessage(alertModelLegacyAttachments)},
			ok: true, kind: "model", status: "Error", uniqueID: "model.kumo.fct_orders", cands: []string{"model.kumo.fct_orders", "fct_orders"}},
		{name: "model, legacy layout, attachments only", msg: AlertMessage{Attachments: json.RawMessage(`[{"color":"#ff0000","blocks":` + alertModelLegacyBlocks + `}]`)},
			ok: true, kind: "model", status: "Error", cands: []string{"fct_orders"}},
		{name: "source freshness", msg: AlertMessage{Blocks: json.RawMessage(alertFreshBlocks)},
			ok: true, kind: "source", status: "Warning", cands: []string{"stripe.payments", "raw.stripe.payments"}},
		{name: "table group", msg: AlertMessage{Blocks: json.RawMessage(alertGroupBlocks)},
			ok: true, kind: "group", status: "Failure", uniqueID: "model.kumo.fct_revenue", cands: []string{"model.kumo.fct_revenue", "fct_revenue"}},
		{name: "schema change", msg: AlertMessage{Blocks: json.RawMessage(alertSchemaBlocks)},
			ok: true, kind: "schema_change", table: "analytics.prod.orders", column: "discount", cands: []string{"prod.orders", "orders"}},
		{name: "snapshot", msg: AlertMessage{Blocks: json.RawMessage(alertSnapshotBlocks)},
			ok: true, kind: "snapshot", status: "Runtime Error", cands: []string{"orders_snapshot"}},
		{name: "cut header, subtitle", msg: AlertMessage{Blocks: json.RawMessage(alertCutHeaderBlocks)},
			ok: true, kind: "model", cands: []string{"dim_customers"}},
		{name: "legacy text-only attachment", msg: AlertMessage{Attachments: json.RawMessage(`[{"fallback":"Failure: \"unique\" test failed on db.sch.customers","text":"*Test:* unique"}]`)},
			ok: true, kind: "test", status: "Failure", table: "db.sch.customers", test: "unique", cands: []string{"sch.customers", "customers"}},
		{name: "sub type in test name", msg: AlertMessage{Blocks: json.RawMessage(`[{"type":"header","text":{"type":"plain_text","text":"Warning: \"volume_anomalies - Row Count\" test failed on analytics.prod.orders"}}]`)},
			ok: true, kind: "test", status: "Warning", table: "analytics.prod.orders", test: "volume_anomalies", cands: []string{"prod.orders", "orders"}},
		{name: "not an alert", msg: AlertMessage{Text: "Deploy finished", Blocks: json.RawMessage(plainBlocks)}},
		{name: "powered by alone is not enough", msg: AlertMessage{Text: "see https://www.elementary-data.com/ Elementary"}},
		{name: "malformed JSON", msg: AlertMessage{Blocks: json.RawMessage(`[{"type":`), Attachments: json.RawMessage(`nope`)}},
		{name: "empty", msg: AlertMessage{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := RecognizeAlert(tt.msg)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, a)
			}
			if !ok {
				return
			}
			if a.Kind != tt.kind || a.Status != tt.status || a.Table != tt.table || a.Column != tt.column ||
				a.Test != tt.test || a.UniqueID != tt.uniqueID {
				t.Errorf("got %+v", a)
			}
			if !slices.Equal(a.Candidates, tt.cands) {
				t.Errorf("candidates = %q, want %q", a.Candidates, tt.cands)
			}
			if a.Node() != tt.cands[0] {
				t.Errorf("Node() = %q", a.Node())
			}
		})
	}
}
