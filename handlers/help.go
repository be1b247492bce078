package handlers

// HelpEntry is one command in the help answer.
type HelpEntry struct {
	Intent      string   `json:"intent"`
	Usage       string   `json:"usage"`
	Description string   `json:"description"`
	Examples    []string `json:"examples"`
}

// HelpAnswer answers "help": what Todai can answer, with examples in the asker's language.
type HelpAnswer struct {
	Commands []HelpEntry `json:"commands"`
}

// Help returns the help answer in lang.
func Help(lang Lang) *HelpAnswer {
	if lang == LangJA {
		return &HelpAnswer{Commands: []HelpEntry{
			{"status", "status NODE", "ノードの状態（最終実行・テスト・鮮度）", []string{"fct_ordersの状態", "fct_ordersは大丈夫?"}},
			{"owner", "owner NODE", "オーナーとチーム", []string{"fct_ordersのオーナーは誰?"}},
			{"last-run", "last-run NODE", "最近の実行（既定 5 件）", []string{"fct_ordersの最終実行", "fct_ordersの実行履歴 10件"}},
			{"failures", "failures [NODE | team:NAME] [since 24h|3d|2026-11-20|2026-11-20T18:00Z|yesterday]", "期間内のテスト失敗（既定は直近 24 時間）", []string{"昨日からのテスト失敗", "financeチームの失敗"}},
			{"freshness", "freshness [SOURCE]", "ソースの鮮度", []string{"ソースの鮮度", "stripe.paymentsの鮮度"}},
			{"upstream", "upstream NODE", "上流のノードとその状態", []string{"fct_ordersの上流"}},
			{"downstream", "downstream NODE", "下流のノード・エクスポージャーとその状態", []string{"fct_ordersの下流"}},
			{"describe", "describe NODE", "説明・カラム・タグ", []string{"fct_ordersとは?"}},
			{"why", "why NODE", "古い・失敗している理由の候補", []string{"fct_ordersが更新されていないのはなぜ?"}},
			{"urgent", "urgent NODE", "失敗の緊急度（影響範囲・重大度・連続失敗）", []string{"fct_ordersは緊急?"}},
			{"help", "help", "この説明", []string{"ヘルプ"}},
		}}
	}
	return &HelpAnswer{Commands: []HelpEntry{
		{"status", "status NODE", "a node's health: last run, tests, freshness", []string{"status fct_orders", "what's wrong with fct_orders?"}},
		{"owner", "owner NODE", "who owns it, and the team", []string{"who owns fct_orders?"}},
		{"last-run", "last-run NODE", "recent runs (5 by default)", []string{"when did fct_orders last run?", "last 10 runs of fct_orders"}},
		{"failures", "failures [NODE | team:NAME] [since 24h|3d|2026-11-20|2026-11-20T18:00Z|yesterday]", "test failures in a window (last 24 hours by default)", []string{"failures since yesterday", "test failures for team finance"}},
		{"freshness", "freshness [SOURCE]", "source freshness", []string{"freshness", "is stripe.payments fresh?"}},
		{"upstream", "upstream NODE", "what feeds it, with health", []string{"what feeds fct_orders?"}},
		{"downstream", "downstream NODE", "what depends on it (models and exposures), with health", []string{"what depends on fct_orders?"}},
		{"describe", "describe NODE", "description, columns, tags", []string{"what is fct_orders?"}},
		{"why", "why NODE", "likely reasons it is stale or failing", []string{"why is fct_orders stale?"}},
		{"urgent", "urgent NODE", "how much a failure matters: reach, severity, streak", []string{"is fct_orders urgent?"}},
		{"help", "help", "this list", []string{"help"}},
	}}
}

// exampleFor returns an example question for an intent in lang.
func exampleFor(lang Lang, intent Intent) string {
	for _, c := range Help(lang).Commands {
		if c.Intent == string(intent) && len(c.Examples) > 0 {
			return c.Examples[0]
		}
	}
	return Tr(lang, "status fct_orders", "fct_ordersの状態")
}
