package handlers

import (
	"strings"

	"github.com/todai-dev/todai/queries"
)

// The words of the codes Todai's answers carry (healths, statuses, causes, reasons…), English then Japanese, in one
// place: every medium names a code through these tables (Printer.phrase).

// phrases name machine codes in English and Japanese.
type phrases map[string][2]string

// phrase names code in the reader's language; an unknown code is shown as it is.
func (p *Printer) phrase(table phrases, code string) string {
	if ph, ok := table[code]; ok {
		return p.Tr(ph[0], ph[1])
	}
	return Clean(code)
}

// phraseOr names code in the reader's language, or says fallback when the table does not know it.
func (p *Printer) phraseOr(table phrases, code string, fallback [2]string) string {
	if ph, ok := table[code]; ok {
		return p.Tr(ph[0], ph[1])
	}
	return p.Tr(fallback[0], fallback[1])
}

// healthMarkers mark a health in text.
var healthMarkers = phrases{
	string(queries.HealthError):   {"[ERROR]", "[エラー]"},
	string(queries.HealthFailing): {"[FAILING]", "[テスト失敗]"},
	string(queries.HealthStale):   {"[STALE]", "[鮮度切れ]"},
	string(queries.HealthWarn):    {"[warn]", "[警告]"},
	string(queries.HealthOK):      {"[ok]", "[正常]"},
	string(queries.HealthUnknown): {"[?]", "[不明]"},
}

// healthWords say a health.
var healthWords = phrases{
	string(queries.HealthError):   {"the last run errored", "最後の実行がエラーでした"},
	string(queries.HealthFailing): {"tests are failing", "テストが失敗しています"},
	string(queries.HealthStale):   {"source data is stale", "ソースデータが古くなっています"},
	string(queries.HealthWarn):    {"warnings", "警告があります"},
	string(queries.HealthOK):      {"healthy", "正常です"},
	string(queries.HealthUnknown): {"no runs or results yet", "実行・結果がまだありません"},
}

// freshMarkers mark a source freshness status in text (other statuses are marked as runs are).
var freshMarkers = phrases{
	"pass":          {"[fresh]", "[新鮮]"},
	"warn":          {"[warn]", "[警告]"},
	"error":         {"[STALE]", "[鮮度切れ]"},
	"runtime error": {"[CHECK FAILED]", "[チェック失敗]"},
}

// resourceTypes name dbt's resource types.
var resourceTypes = phrases{
	"model":    {"model", "モデル"},
	"source":   {"source", "ソース"},
	"seed":     {"seed", "シード"},
	"snapshot": {"snapshot", "スナップショット"},
	"exposure": {"exposure", "エクスポージャー"},
	"test":     {"test", "テスト"},
}

// urgencyWords name an urgency level.
var urgencyWords = phrases{
	"high":   {"HIGH", "高"},
	"medium": {"medium", "中"},
	"low":    {"low", "低"},
	"none":   {"none", "なし"},
}

// changeKinds name what changed before a node first failed.
var changeKinds = phrases{
	"sql":          {"its SQL changed", "SQL が変更"},
	"parents":      {"its parents changed", "親ノードが変更"},
	"commit":       {"the commit changed", "コミットが変更"},
	"dbt_version":  {"the dbt version changed", "dbt のバージョンが変更"},
	"full_refresh": {"the run was a full refresh", "フルリフレッシュで実行"},
}

// alertSinces name what has happened since an alert (queries.AlertSince), as an answer's summary starts.
var alertSinces = phrases{
	"still_failing": {"Alert still failing", "アラート: 失敗継続中"},
	"recovered":     {"Alert recovered", "アラート: 回復済み"},
	"not_run":       {"Alert not run again", "アラート: 未再実行"},
	"still_passing": {"Passing since", "その後も合格"},
	"now_failing":   {"Failing now", "現在は失敗"},
	"unknown":       {"Alert run not found", "アラート: 該当する実行なし"},
}

// reasons name the urgency reason codes (every queries.Reasons value).
var reasons = phrases{
	"run_error":          {"the last run errored", "最後の実行がエラー"},
	"source_stale":       {"a source is stale", "ソースが古い"},
	"tests_failing":      {"tests are failing", "テストが失敗中"},
	"warn_only":          {"warnings only", "警告のみ"},
	"error_severity":     {"error severity", "重大度 ERROR"},
	"warn_severity":      {"warn severity", "重大度 WARN"},
	"exposure_affected":  {"an exposure is affected", "エクスポージャーに影響"},
	"critical":           {"marked critical in meta", "meta で重要と指定"},
	"wide_impact":        {"many downstream models", "下流モデルが多い"},
	"persistent_failure": {"failing repeatedly", "連続して失敗"},
	"new_failure":        {"a new failure", "新しい失敗"},
	"flaky":              {"a flaky test", "不安定なテスト"},
	"dismissed_often":    {"its alerts were often resolved as false positive or expected", "誤検知・想定どおりとして解決されることが多い"},
	"run_skipped":        {"its run was skipped", "実行がスキップされた"},
	"downstream_models":  {"models are downstream", "下流モデルあり"},
	"recovered":          {"the alert has recovered since", "アラート後に回復済み"},
	"no_downstream":      {"nothing downstream", "下流なし"},
}

// chainStatuses name how a node fared in a skip chain.
var chainStatuses = phrases{
	"error":   {"errored", "エラー"},
	"fail":    {"a test failed", "テスト失敗"},
	"skipped": {"skipped", "スキップ"},
}

// confidences name how strongly the rows prove a cause.
var confidences = phrases{
	queries.ConfidenceHigh:   {"certain", "確実"},
	queries.ConfidenceMedium: {"likely", "可能性高"},
	queries.ConfidenceLow:    {"weak evidence", "根拠弱"},
}

// causeKinds name the kinds of cause (every queries.CauseKinds value).
var causeKinds = phrases{
	"upstream_error":       {"an upstream run errored", "上流の実行がエラー"},
	"upstream_test_failed": {"an upstream test failed (a build skips what is downstream)", "上流のテストが失敗（build は下流をスキップ）"},
	"stale_source":         {"a source is stale", "ソースが古い"},
	"definition_changed":   {"its definition changed before it first failed", "最初の失敗の前に定義が変更"},
	"job_not_run":          {"its job has not run since its last success", "最後の成功以降ジョブが実行されていない"},
	"not_built_by_job":     {"its job ran since without building it", "ジョブは実行されたがビルドされていない"},
	"run_error":            {"its own run errored", "自身の実行がエラー"},
	"run_skipped":          {"its run was skipped, and nothing upstream failed in that run", "実行がスキップされた（その実行で上流の失敗はなし）"},
	"pipeline_stopped":     {"the whole pipeline stopped (no dbt run of any job)", "パイプライン全体が停止（どのジョブの dbt 実行もなし）"},
}

// nextActions say what to do next, of the node (or job) they name: %[1]s, where they name one, is its name.
var nextActions = phrases{
	"fix_error":      {"fix the error of %[1]s (`why %[1]s` shows it)", "%[1]s のエラーを直す（`why %[1]s` で確認）"},
	"fix_root":       {"fix %[1]s, which caused the skip (`why %[1]s`)", "スキップの原因 %[1]s を直す（`why %[1]s`）"},
	"check_run":      {"the rows do not say why %[1]s was skipped: check the run's log", "%[1]s がスキップされた理由はデータにありません。実行ログを確認"},
	"check_loader":   {"check the loader of %[1]s (`freshness %[1]s`)", "%[1]s のロード処理を確認（`freshness %[1]s`）"},
	"check_test":     {"look at the failing test %[1]s (`last-run %[1]s`)", "失敗中のテスト %[1]s を確認（`last-run %[1]s`）"},
	"check_job":      {"check why job %[1]s stopped building it", "ジョブ %[1]s がビルドしなくなった理由を確認"},
	"check_pipeline": {"check the orchestrator: no dbt job has run at all", "オーケストレーターを確認（どの dbt ジョブも実行されていません）"},
	"watch":          {"nothing to fix yet: watch it", "まだ対応は不要です。様子を見る"},
}

// dataLimits say what limits how current a node's data is, of the node that limits it (every queries.DataLimitKinds
// value): "stripe.payments stopped loading".
var dataLimits = phrases{
	"loaded":          {"was last loaded then", "の最終ロード"},
	"stopped_loading": {"stopped loading", "のロードが止まっています"},
	"not_checked":     {"has no freshness check", "に鮮度チェックがありません"},
	"built":           {"was last built then", "の最終ビルド"},
	"not_updated":     {"was not updated by its latest run", "は最新の実行で更新されていません"},
	"never_built":     {"was never built", "は一度もビルドされていません"},
	"overdue":         {"missed its usual build", "はいつものビルドが遅れています"},
}

// dataVerdicts mark how current data is (every queries.DataVerdicts value).
var dataVerdicts = phrases{
	"fresh":   {"[fresh data]", "[データ最新]"},
	"stale":   {"[stale data]", "[データ古い]"},
	"unknown": {"[data age unknown]", "[データ鮮度不明]"},
}

// dataUpToDate answer "is it up to date?" (every queries.DataVerdicts value).
var dataUpToDate = phrases{
	"fresh":   {"up to date", "最新です"},
	"stale":   {"not up to date", "最新ではありません"},
	"unknown": {"cannot be told", "分かりません"},
}

// safeVerdicts name whether something can be relied on (every queries.SafeVerdicts value).
var safeVerdicts = phrases{
	"safe":    {"safe to use", "使って大丈夫です"},
	"caution": {"use with caution", "注意して使ってください"},
	"unsafe":  {"not safe to use", "使わないでください"},
}

// safeReasons name why something is not safe to use, of where it is (every queries.SafeReasonCodes value).
var safeReasons = phrases{
	"data_too_old":   {"its data is older than its audience needs", "データが必要な鮮度より古い"},
	"source_stopped": {"a source stopped loading", "ソースのロードが止まっている"},
	"tests_failing":  {"an ERROR test fails", "ERROR のテストが失敗している"},
	"run_error":      {"a run upstream errored", "上流の実行がエラー"},
	"run_skipped":    {"a run upstream was skipped", "上流の実行がスキップされた"},
	"data_unknown":   {"how current its data is cannot be told", "データの鮮度が分からない"},
	"tests_warning":  {"a test warns", "テストが警告を出している"},
	"incident_open":  {"an incident is open", "インシデントが対応中"},
}

// digestSourceStates say a digest's failing source: stale, or its freshness check failed.
var digestSourceStates = phrases{
	"error":         {"stale", "鮮度切れ"},
	"runtime error": {"freshness check failed", "鮮度チェック失敗"},
}

// freshnessFailures say a source's failing freshness status as a cause's evidence.
var freshnessFailures = phrases{
	"error":         {"freshness error", "鮮度エラー"},
	"runtime error": {"freshness check failed", "鮮度チェック失敗"},
}

// freshnessPeriods name the periods of dbt's freshness criteria (warn_after, error_after) in Japanese, by the
// English the read model words them in ("12 hours").
var freshnessPeriods = map[string]string{"minute": "分", "hour": "時間", "day": "日"}

// criterion says a freshness criterion ("12 hours", as the read model words it) in the reader's language: the
// count is data, the period ours; a criterion of another form is shown as it is.
func (p *Printer) criterion(s string) string {
	count, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	ja, ok := freshnessPeriods[strings.TrimSuffix(unit, "s")]
	if !ok {
		return Clean(s)
	}
	return p.Tr(Clean(s), Clean(count)+ja)
}

// qualityDimensions name the six quality dimensions (every queries.QualityDimensions value).
var qualityDimensions = phrases{
	string(queries.DimFreshness):    {"freshness", "鮮度"},
	string(queries.DimCompleteness): {"completeness", "完全性"},
	string(queries.DimUniqueness):   {"uniqueness", "一意性"},
	string(queries.DimValidity):     {"validity", "妥当性"},
	string(queries.DimAccuracy):     {"accuracy", "正確性"},
	string(queries.DimConsistency):  {"consistency", "整合性"},
}

// nodeVerdicts name a node's health at a glance (every queries.NodeVerdicts value).
var nodeVerdicts = phrases{
	string(queries.VerdictHealthy):  {"healthy", "健全"},
	string(queries.VerdictCaution):  {"caution", "注意"},
	string(queries.VerdictDegraded): {"degraded", "劣化"},
}

// healthReasons say why a node is not healthy (every queries.HealthReasons value).
var healthReasons = phrases{
	string(queries.HealthRunError):     {"its latest run errored", "最新の実行がエラー"},
	string(queries.HealthTestsFailing): {"an ERROR test fails", "ERROR のテストが失敗している"},
	string(queries.HealthDataStale):    {"its data stopped arriving", "データが届かなくなっている"},
	string(queries.HealthRunSkipped):   {"its latest run was skipped", "最新の実行がスキップされた"},
	string(queries.HealthTestsWarning): {"a test warns", "テストが警告を出している"},
	string(queries.HealthNoTests):      {"nothing tests it", "テストがない"},
	string(queries.HealthDataUnknown):  {"how current its data is cannot be told", "データの鮮度が分からない"},
	string(queries.HealthNoOwner):      {"nobody owns it", "オーナーがいない"},
	string(queries.HealthNoDesc):       {"it has no description", "説明がない"},
}

// resolutionWords name how an incident ended (escalation.Resolution).
var resolutionWords = phrases{
	"fixed":            {"fixed", "修正済み"},
	"expected":         {"expected", "想定どおり"},
	"no_action_needed": {"no action needed", "対応不要"},
	"false_positive":   {"false positive", "誤検知"},
	"cleared":          {"cleared by a later run", "後続の実行で解消"},
	"":                 {"resolved before Todai recorded how", "記録前に解決"},
}

// ResolutionWord names how an incident ended in l: fixed, expected, no action needed, false positive, cleared.
func ResolutionWord(l Lang, code string) string {
	return (&Printer{l: NormLang(l)}).phrase(resolutionWords, code)
}
