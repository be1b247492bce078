package escalation

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

func TestMirrorElementaryAlert(t *testing.T) {
	ctx := context.Background()
	db := localdbtest.Open(t, "")
	for _, q := range []string{
		`INSERT INTO nodes (unique_id, resource_type, name, name_key, database_name, schema_name, alias, meta) VALUES
			('model.shop.orders', 'model', 'orders', 'orders', 'ANALYTICS', 'prod', 'fct_orders', '{"channel": "#data-shop"}'),
			('source.shop.stripe.payments', 'source', 'stripe.payments', 'payments', 'RAW', 'stripe', 'payments', '{}')`,
		`INSERT INTO dbt_tests (unique_id, name, short_name, test_column_name, parent_model_unique_id, meta) VALUES
			('test.shop.not_null_orders_id', 'not_null_orders_id', 'not_null', 'order_id', 'model.shop.orders',
			 '{"alerts_config": {"channel": "shop-alerts"}}')`,
		`INSERT INTO alerts_v2 (alert_id, alert_class_id, type, detected_at, updated_at, status, sent_at, data) VALUES
			('a-payload', 'test.shop.not_null_orders_id.order_id.None', 'test', '2026-03-10T09:00:00.000000Z',
			 '2026-03-10T09:20:00.000000Z', 'sent', '2026-03-10T09:20:00.000000Z',
			 '{"database_name": "ANALYTICS", "schema_name": "PROD", "table_name": "FCT_ORDERS", "column_name": "order_id",
			   "test_short_name": "not_null", "test_unique_id": "test.shop.not_null_orders_id",
			   "elementary_unique_id": "test.shop.not_null_orders_id.order_id.None", "model_unique_id": "model.shop.orders",
			   "test_meta": "{\"channel\": \"dq-alerts\"}", "model_meta": {"channel": "data-shop"}}'),
			('a-bare', 'test.shop.not_null_orders_id.order_id.None', 'test', '2026-03-10T09:00:00.000000Z',
			 '2026-03-10T09:20:00.000000Z', 'sent', '2026-03-10T09:20:00.000000Z', '{}'),
			('a-model', 'model.shop.orders', 'model', '2026-03-10T09:00:00.000000Z',
			 '2026-03-10T09:20:00.000000Z', 'sent', '2026-03-10T09:20:00.000000Z', 'not json'),
			('a-fresh', 'source.shop.stripe.payments', 'source_freshness', '2026-03-10T09:00:00.000000Z',
			 '2026-03-10T09:20:00.000000Z', 'sent', NULL, '{"source_name": "stripe", "identifier": "payments_v2"}')`,
	} {
		if _, err := db.Write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	sent, detected := time.Date(2026, 3, 10, 9, 20, 0, 0, time.UTC), time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	test := Incident{Kind: KindTest, Key: "test.shop.not_null_orders_id.order_id.None", NodeID: "model.shop.orders",
		TestID: "test.shop.not_null_orders_id"}
	model := Incident{Kind: KindModel, Key: "model.shop.orders", NodeID: "model.shop.orders"}
	fresh := Incident{Kind: KindFreshness, Key: "source.shop.stripe.payments", NodeID: "source.shop.stripe.payments"}
	with := func(inc Incident, alert string) Incident { inc.ElementaryAlertID = alert; return inc }
	tests := []struct {
		name   string
		inc    Incident
		want   queries.ElementaryAlert
		wantOK bool
	}{
		{name: "a test alert read from its payload; the test meta's channel wins", inc: with(test, "a-payload"), wantOK: true,
			want: queries.ElementaryAlert{ID: "a-payload", Type: "test", SentAt: sent, DetectedAt: detected,
				NodeID: "model.shop.orders", TestID: "test.shop.not_null_orders_id", Table: "analytics.prod.fct_orders",
				Column: "order_id", Test: "not_null", Channel: "dq-alerts",
				UniqueIDs: []string{"test.shop.not_null_orders_id.order_id.None", "test.shop.not_null_orders_id", "model.shop.orders"}}},
		{name: "a test alert without payload: the definitions say the asset and alerts_config.channel", inc: with(test, "a-bare"), wantOK: true,
			want: queries.ElementaryAlert{ID: "a-bare", Type: "test", SentAt: sent, DetectedAt: detected,
				NodeID: "model.shop.orders", TestID: "test.shop.not_null_orders_id", Table: "analytics.prod.fct_orders",
				Column: "order_id", Test: "not_null", Channel: "shop-alerts",
				UniqueIDs: []string{"test.shop.not_null_orders_id.order_id.None", "test.shop.not_null_orders_id", "model.shop.orders"}}},
		{name: "a model alert with a malformed payload: the alias, the model's channel without #", inc: with(model, "a-model"), wantOK: true,
			want: queries.ElementaryAlert{ID: "a-model", Type: "model", SentAt: sent, DetectedAt: detected,
				NodeID: "model.shop.orders", Name: "fct_orders", Channel: "data-shop",
				UniqueIDs: []string{"model.shop.orders"}}},
		{name: "a freshness alert names source_name.identifier; no sent_at", inc: with(fresh, "a-fresh"), wantOK: true,
			want: queries.ElementaryAlert{ID: "a-fresh", Type: "source_freshness", DetectedAt: detected,
				NodeID: "source.shop.stripe.payments", Name: "stripe.payments_v2",
				UniqueIDs: []string{"source.shop.stripe.payments"}}},
		{name: "an alert not in the mirror", inc: with(model, "gone")},
		{name: "no alert linked", inc: model},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := queries.NewReader(db, queries.ReaderOptions{}).ElementaryAlert(ctx, tc.inc.ElementaryAlertID, tc.inc.NodeID, tc.inc.TestID)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.wantOK || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ElementaryAlert = %+v, %v\nwant %+v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
