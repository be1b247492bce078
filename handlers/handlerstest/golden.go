package handlerstest

import (
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// GoldenCase is one question every renderer's golden files answer: Name is the golden file's base name (its
// suffix .en or .ja the asker's language), Setup changes the fake before asking, Exit is `todai ask`'s exit code.
type GoldenCase struct {
	Name  string
	Text  string
	Setup func(*Fake)
	Exit  int
	// UnderAlert asks the question in the thread of an alert detected AlertAt (the fake's Occurrence answers it).
	UnderAlert bool
}

// AlertAt is when the golden questions asked under an alert say it was detected.
var AlertAt = Now.Add(-50 * time.Hour)

// GoldenCases are the golden questions: every intent in English and Japanese, empty answers and every error.
func GoldenCases() []GoldenCase {
	failedSync := func(f *Fake) {
		f.Sync.LastAttempt = Now.Add(-5 * time.Minute)
		f.Sync.LastError = "dial tcp 10.0.0.1:443: i/o timeout"
		f.Sync.LastSuccess = Now.Add(-2 * time.Hour)
	}
	noData := func(f *Fake) { f.Sync = queries.SyncInfo{} }
	return []GoldenCase{
		{Name: "urgent_alert_recovered_failing_now.en", Text: "is fct_orders urgent?", UnderAlert: true},
		{Name: "urgent_alert_recovered_failing_now.ja", Text: "fct_ordersは緊急?", UnderAlert: true},
		{Name: "status_alert_anomaly.en", Text: "status volume_anomalies_fct_orders", UnderAlert: true},
		{Name: "status_alert_anomaly.ja", Text: "volume_anomalies_fct_ordersの状態", UnderAlert: true},
		{Name: "urgent_alert_flaky.en", Text: "urgent stg_flaky", UnderAlert: true},
		{Name: "why_alert_not_run.ja", Text: "emptyはなぜ失敗?", UnderAlert: true},
		{Name: "owner_alert.en", Text: "who owns fct_orders?", UnderAlert: true},
		{Name: "status.en", Text: "status fct_orders"},
		{Name: "status.ja", Text: "fct_ordersの状態"},
		{Name: "status_empty.en", Text: "status empty"},
		{Name: "status_test.en", Text: "status not_null_fct_orders_order_id"},
		{Name: "status_test.ja", Text: "not_null_fct_orders_order_idの状態"},
		{Name: "describe_test.en", Text: "describe not_null_fct_orders_order_id"},
		{Name: "status_anomaly.en", Text: "status volume_anomalies_fct_orders"},
		{Name: "status_anomaly.ja", Text: "volume_anomalies_fct_ordersの状態"},
		{Name: "owner.en", Text: "who owns fct_orders?"},
		{Name: "owner.ja", Text: "fct_ordersのオーナーは誰?"},
		{Name: "owner_empty.ja", Text: "emptyのオーナーは誰?"},
		{Name: "last-run.en", Text: "when did fct_orders last run"},
		{Name: "last-run.ja", Text: "fct_ordersの最終実行"},
		{Name: "last-run_empty.en", Text: "last-run empty"},
		{Name: "updated.en", Text: "When was fct_orders updated?"},
		{Name: "updated.ja", Text: "fct_ordersはいつ更新された?"},
		{Name: "updated_source.en", Text: "When was stripe.payments last updated?"},
		{Name: "describe_seed.ja", Text: "fct_ordersは、どういうデータ?"},
		{Name: "urgent_seed.ja", Text: "fct_ordersは、緊急度高いやつ?"},
		{Name: "why_seed.ja", Text: "なぜfct_ordersのデータ更新されていないのか?"},
		{Name: "failures.en", Text: "failures since yesterday"},
		{Name: "failures.ja", Text: "昨日からのテスト失敗"},
		{Name: "failures_team.en", Text: "test failures for team finance"},
		{Name: "failures_team.ja", Text: "financeチームの失敗"},
		{Name: "failures_empty.en", Text: "failures team:empty since 3d"},
		{Name: "failures_empty.ja", Text: "emptyチームの失敗"},
		{Name: "freshness.en", Text: "freshness"},
		{Name: "freshness.ja", Text: "ソースの鮮度"},
		{Name: "freshness_empty.en", Text: "is empty fresh?"},
		{Name: "upstream.en", Text: "what feeds fct_orders"},
		{Name: "upstream.ja", Text: "fct_ordersの上流"},
		{Name: "upstream_empty.en", Text: "upstream empty"},
		{Name: "downstream.en", Text: "what depends on fct_orders"},
		{Name: "downstream.ja", Text: "fct_ordersの下流"},
		{Name: "downstream_empty.ja", Text: "emptyの下流"},
		{Name: "describe.en", Text: "what is fct_orders"},
		{Name: "describe.ja", Text: "fct_ordersとは?"},
		{Name: "describe_empty.ja", Text: "emptyとは?"},
		{Name: "why.en", Text: "why is fct_orders stale"},
		{Name: "why.ja", Text: "fct_ordersが更新されていないのはなぜ?"},
		{Name: "why_empty.en", Text: "why empty"},
		{Name: "why_stale_source.en", Text: "why is orders_stale stale?"},
		{Name: "why_stale_source.ja", Text: "orders_staleが更新されていないのはなぜ?"},
		{Name: "why_stopped.en", Text: "why is orders_nightly stale?"},
		{Name: "why_stopped.ja", Text: "orders_nightlyが更新されていないのはなぜ?"},
		{Name: "why_changed.en", Text: "why orders_changed"},
		{Name: "safe.en", Text: "is the revenue dashboard safe to use?"},
		{Name: "safe.ja", Text: "売上ダッシュボードは使って大丈夫？"},
		{Name: "safe_caution.en", Text: "can we trust stg_flaky?"},
		{Name: "safe_caution.ja", Text: "stg_flakyは使っても大丈夫?"},
		{Name: "safe_ok.en", Text: "safe empty"},
		{Name: "safe_ok.ja", Text: "emptyは安全?"},
		{Name: "downstream_stale.en", Text: "what depends on stripe.payments?"},
		{Name: "downstream_stale.ja", Text: "stripe.paymentsの下流"},
		{Name: "up_to_date.en", Text: "is fct_orders up to date?"},
		{Name: "up_to_date.ja", Text: "fct_ordersは最新？"},
		{Name: "why_changed.ja", Text: "orders_changedはなぜ失敗した?"},
		{Name: "urgent.en", Text: "is fct_orders urgent?"},
		{Name: "urgent.ja", Text: "fct_ordersは緊急?"},
		{Name: "urgent_empty.ja", Text: "emptyは緊急?"},
		{Name: "urgent_low.en", Text: "is stg_flaky urgent?"},
		{Name: "urgent_low.ja", Text: "stg_flakyは緊急?"},
		{Name: "tests.en", Text: "what tests run on fct_orders?"},
		{Name: "tests.ja", Text: "fct_ordersのテスト一覧"},
		{Name: "tests_empty.en", Text: "tests empty"},
		{Name: "health.en", Text: "how healthy is finance's data?"},
		{Name: "health.ja", Text: "financeのデータの健全性は？"},
		{Name: "health_project.en", Text: "health"},
		{Name: "health_degraded.en", Text: "health fct_orders"},
		{Name: "health_degraded.ja", Text: "fct_ordersの健全性"},
		{Name: "health_caution.en", Text: "health stg_flaky"},
		{Name: "health_caution.ja", Text: "stg_flakyの健全性"},
		{Name: "health_healthy.en", Text: "how healthy is empty?"},
		{Name: "health_healthy.ja", Text: "emptyの健全性は？"},
		{Name: "health_project.ja", Text: "プロジェクト全体のデータ品質"},
		{Name: "incidents.en", Text: "incidents stats finance since 30d"},
		{Name: "incidents.ja", Text: "financeのインシデントの統計"},
		{Name: "incidents_all.en", Text: "what's the time to acknowledge?"},
		{Name: "incidents_unknown_team.en", Text: "incidents stats marketing", Exit: 1},
		{Name: "help.en", Text: "help"},
		{Name: "help.ja", Text: "ヘルプ"},
		{Name: "not_found.en", Text: "status missing_orders", Exit: 1},
		{Name: "not_found.ja", Text: "missing_ordersの状態", Exit: 1},
		{Name: "ambiguous.en", Text: "owner orders", Exit: 1},
		{Name: "ambiguous.ja", Text: "ordersのオーナーは?", Exit: 1},
		{Name: "unavailable.en", Text: "status fct_orders", Setup: noData, Exit: 2},
		{Name: "unavailable.ja", Text: "fct_ordersの状態", Setup: noData, Exit: 2},
		{Name: "internal.en", Text: "status boom", Exit: 2},
		{Name: "too_long.en", Text: strings.Repeat("why ", 600), Exit: 1},
		{Name: "too_long.ja", Text: strings.Repeat("なぜ", 1001), Exit: 1},
		{Name: "unknown.en", Text: "hello there", Exit: 1},
		{Name: "unknown.ja", Text: "こんにちは", Exit: 1},
		{Name: "missing_node.en", Text: "owner", Exit: 1},
		{Name: "missing_node.ja", Text: "オーナーは誰?", Exit: 1},
		{Name: "bad_since.en", Text: "failures since someday", Exit: 1},
		{Name: "bad_since.ja", Text: "failures since いつか", Exit: 1},
		{Name: "sync_failed.en", Text: "status fct_orders", Setup: failedSync},
		{Name: "sync_failed.ja", Text: "fct_ordersの状態", Setup: failedSync},
	}
}
