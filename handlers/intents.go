package handlers

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// Intent is what a question asks for.
type Intent string

// Intents.
const (
	IntentStatus     Intent = "status"
	IntentOwner      Intent = "owner"
	IntentLastRun    Intent = "last-run"
	IntentFailures   Intent = "failures"
	IntentFreshness  Intent = "freshness"
	IntentUpstream   Intent = "upstream"
	IntentDownstream Intent = "downstream"
	IntentDescribe   Intent = "describe"
	IntentWhy        Intent = "why"
	IntentUrgent     Intent = "urgent"
	IntentTests      Intent = "tests"
	// IntentSafe asks whether what a node shows can be relied on ("is the revenue dashboard safe to use?").
	IntentSafe Intent = "safe"
	// IntentHealth asks how healthy data is: a team's, a node's or the project's scores and blind spots.
	IntentHealth  Intent = "health"
	IntentHelp    Intent = "help"
	IntentUnknown Intent = "unknown"
	// IntentDigest asks for a team's daily health digest now ("digest finance", "finance のダイジェスト").
	IntentDigest Intent = "digest"
	// IntentMute creates a silence ("mute node:fct_orders for 2h reason"); Args holds the rest as written.
	IntentMute Intent = "mute"
	// IntentSilences lists the active silences.
	IntentSilences Intent = "silences"
	// IntentIncident shows an incident's timeline ("incident 42"); Args holds the id.
	IntentIncident Intent = "incident"
	// IntentTake makes the asker an incident's assignee ("take 42"); IntentAssign gives it to someone ("assign 42
	// @ana"); IntentSeverity sets its severity ("severity 42 high"); IntentResolve resolves it with a reason and an
	// optional note ("resolve 42 false positive the backfill"). Args holds the rest as written.
	// IntentIncidents asks how a team's incidents were handled ("incidents stats finance since 30d"): time to
	// acknowledge and to resolve, how they ended, the tests reopened most.
	IntentIncidents Intent = "incidents"
	IntentTake      Intent = "take"
	IntentAssign    Intent = "assign"
	IntentSeverity  Intent = "severity"
	IntentResolve   Intent = "resolve"
)

// SlackOnly lists the intents the Slack bot answers itself, from Todai's own state rather than the read model.
func SlackOnly(i Intent) bool {
	switch i {
	case IntentDigest, IntentMute, IntentSilences, IntentIncident, IntentTake, IntentAssign, IntentSeverity, IntentResolve:
		return true
	}
	return false
}

// NodeUse says whether an intent is about a node.
type NodeUse int

// How an intent uses a node.
const (
	// NoNode: the intent is not about a node (help, digest, mute…).
	NoNode NodeUse = iota
	// OptionalNode: a node narrows the answer (failures of a node, freshness of a source).
	OptionalNode
	// NeedsNode: there is no answer without a node.
	NeedsNode
)

// Reader is the read model the registry's intents ask (and Ask, for names and the last sync); *queries.Reader
// satisfies it. Answers come back by value; Result.Answer holds a pointer to each.
type Reader interface {
	Resolve(ctx context.Context, name string) (queries.Node, error)
	NodeIn(ctx context.Context, text, picked string) (queries.Node, error)
	Status(ctx context.Context, name string) (queries.StatusAnswer, error)
	Owner(ctx context.Context, name string) (queries.OwnerAnswer, error)
	LastRuns(ctx context.Context, name string, limit int) (queries.LastRunAnswer, error)
	LastSuccess(ctx context.Context, name string) (queries.LastRunAnswer, error)
	Failures(ctx context.Context, q queries.FailuresQuery) (queries.FailuresAnswer, error)
	Freshness(ctx context.Context, source string) (queries.FreshnessAnswer, error)
	Upstream(ctx context.Context, name string) (queries.LineageAnswer, error)
	Downstream(ctx context.Context, name string) (queries.LineageAnswer, error)
	Describe(ctx context.Context, name string) (queries.DescribeAnswer, error)
	Why(ctx context.Context, name string) (queries.WhyAnswer, error)
	Urgency(ctx context.Context, name string) (queries.UrgencyAnswer, error)
	Tests(ctx context.Context, name string) (queries.TestsAnswer, error)
	Safe(ctx context.Context, name string) (queries.SafeAnswer, error)
	Health(ctx context.Context, q queries.HealthQuery) (queries.HealthAnswer, error)
	IncidentStats(ctx context.Context, q queries.IncidentStatsQuery) (queries.IncidentStatsAnswer, error)
	SyncInfo(ctx context.Context) (queries.SyncInfo, error)
	Occurrence(ctx context.Context, q queries.OccurrenceQuery) (queries.Occurrence, error)
}

// Args are what a question may give besides its node, as an intent's registry entry declares them: the parser
// reads those, and only those.
type Args uint8

// Arguments.
const (
	// ArgTeam is a team: "team:NAME", "team NAME", "NAME team", "NAMEチーム", "チーム NAME".
	ArgTeam Args = 1 << iota
	// ArgTeamWord is a team named by the first word that is not filler ("digest finance"); nothing else is read.
	ArgTeamWord
	// ArgSince is the start of a window: "since 3d", "yesterday", "2026-11-20", "昨日から".
	ArgSince
	// ArgLimit is a count: "last 10 runs", "10件".
	ArgLimit
	// ArgUpdated is the question "when was it updated?" (「いつ更新された?」), rather than "when did it run?".
	ArgUpdated
	// ArgText is the rest of a command as written (mute, incident); nothing else is read.
	ArgText
)

func (a Args) has(arg Args) bool { return a&arg != 0 }

// IntentSpec is one intent, the unit Todai answers: how it is asked (its command words, its English and Japanese
// phrasings), what it takes (a node, a team, a window…), the read-model call that answers it, its answer type, its
// view, its help entry and its label. Adding an intent is an entry here, its read-model query and answer type, and
// its view: the parser, the help, the renderers and the tests that walk every intent read it from here.
type IntentSpec struct {
	Intent Intent
	// Words are the command form's first words ("status fct_orders").
	Words []string
	// EN and JA match a natural question; nil when the intent is asked by command only. Phrasings are tried in
	// Rank order (lower first), the first match wins; every help example must be claimed by its own intent first.
	EN, JA *regexp.Regexp
	Rank   int
	Node   NodeUse
	// Args are what else it takes.
	Args Args
	// AboutRun says the answer is about the node's state: asked under an alert (Question.Alert), it starts with the
	// run the alert reported and what has happened since.
	AboutRun bool
	// Zero returns a new zero value of its answer (a pointer), for the tests that fill and render every answer;
	// nil for the intents the Slack bot answers itself.
	Zero func() any
	// Tool names the intent as a tool for AI assistants (`todai mcp`): get_status, why_stale … Every intent the read
	// model answers has one.
	Tool string
	// Answer asks the read model; nil for the intents the Slack bot answers itself (digest, mute, silences,
	// incident) and help.
	Answer func(ctx context.Context, r Reader, q Question, now time.Time) (any, error)
	// View lays the answer out for every medium (view_*.go); nil for the intents the Slack bot answers itself.
	View func(p *Printer, res Result) (View, bool)
	// Label names the intent in an answer's title, English then Japanese.
	Label [2]string
	// Help is its help entry, English then Japanese; an intent with no usage is not listed.
	Help [2]HelpEntry
}

// intents is the registry, in the order help lists it. It is never modified.
var intents = []IntentSpec{
	{Intent: IntentStatus, AboutRun: true, Tool: "get_status", Words: []string{"status", "state"}, Rank: 110, Node: NeedsNode,
		Zero: zeroOf[queries.StatusAnswer],
		EN:   regexp.MustCompile(`\bwhat'?s up\b|\bstatus\b|\bwrong\b|\bhealth(y)?\b|\bok(ay)?\b|\bstate\b|\bbroken\b|\bfailing\b|\bfailed\b|\berror(s|ed)?\b|\bhow is\b|\bhow's\b|\bworking\b|\bissues?\b|\bproblems?\b|\bgreen\b|\bred\b|\bgood\b|\bfine\b`),
		JA:   regexp.MustCompile(`状態|ステータス|状況|大丈夫|健康|正常|問題|エラー|調子|どう\b|どう？|どう$`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Status(ctx, q.Node))
		},
		View:  viewOf(viewStatus),
		Label: [2]string{"Status", "状態"},
		Help: [2]HelpEntry{{"status", "status NODE", "a node's health: last run, tests, freshness", []string{"status fct_orders", "what's wrong with fct_orders?"}},
			{"status", "status NODE", "ノードの状態（最終実行・テスト・鮮度）", []string{"fct_ordersの状態", "fct_ordersは大丈夫?"}}}},
	{Intent: IntentOwner, Tool: "get_owner", Words: []string{"owner", "owners", "who-owns"}, Rank: 50, Node: NeedsNode,
		Zero: zeroOf[queries.OwnerAnswer],
		EN:   regexp.MustCompile(`\bowns?\b|\bowners?\b|\bowned\b|\bresponsible\b|\bmaintains?\b|\bmaintainers?\b|\bwho (should|do|can|to) (i |we )?(ask|ping|contact|talk to)\b`),
		JA:   regexp.MustCompile(`オーナー|所有者|担当|持ち主|管理者|責任者|誰の|誰が|だれ`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Owner(ctx, q.Node))
		},
		View:  viewOf(viewOwner),
		Label: [2]string{"Owner", "オーナー"},
		Help: [2]HelpEntry{{"owner", "owner NODE", "who owns it, and the team", []string{"who owns fct_orders?"}},
			{"owner", "owner NODE", "オーナーとチーム", []string{"fct_ordersのオーナーは誰?"}}}},
	{Intent: IntentLastRun, AboutRun: true, Tool: "get_last_runs", Words: []string{"last-run", "lastrun", "last_run", "runs", "history"}, Rank: 80, Node: NeedsNode,
		Args: ArgLimit | ArgUpdated, Zero: zeroOf[queries.LastRunAnswer],
		EN: regexp.MustCompile(`\blast[ _-]?run\b|\blast ran\b|\bran last\b|\bwhen did \S+ (last )?(run|build|ran)\b|\bwhen was \S+ (last )?(run|built|updated|refreshed)\b|\b(recent|latest|last \d+) runs\b|\brun history\b|\bruns? of\b|\bruns? for\b|\b(did|has) \S+ (run|ran|build|built)\b`),
		JA: regexp.MustCompile(`^(履歴|りれき)$|いつ更新|最終更新|いつ最新|最後に更新|最後の更新|最終実行|最後の実行|前回の実行|実行履歴|最近の実行|いつ実行|最後に実行|最新の実行|実行結果|直近の実行|回の実行|いつ動|の実行$`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			if q.LastSuccess {
				return ptr(r.LastSuccess(ctx, q.Node))
			}
			limit := q.Limit
			if limit <= 0 {
				limit = DefaultLimit
			}
			return ptr(r.LastRuns(ctx, q.Node, min(limit, MaxLimit)))
		},
		View:  viewOf(viewLastRun),
		Label: [2]string{"Last runs", "最終実行"},
		Help: [2]HelpEntry{{"last-run", "last-run NODE", "recent runs (5 by default)", []string{"when did fct_orders last run?", "last 10 runs of fct_orders"}},
			{"last-run", "last-run NODE", "最近の実行（既定 5 件）", []string{"fct_ordersの最終実行", "fct_ordersの実行履歴 10件"}}}},
	{Intent: IntentFailures, Tool: "list_failures", Words: []string{"failures", "failure", "fails", "failed", "failing"}, Rank: 90, Node: OptionalNode,
		Args: ArgTeam | ArgSince, Zero: zeroOf[queries.FailuresAnswer],
		EN: regexp.MustCompile(`\bfailures?\b|\b(failing|failed|broken) tests\b|\btests? (failing|failed|fail)\b|\bwhat (has )?(failed|broke)\b|\bwhat('s| is) (failing|broken)\b|\bwhich tests\b|\bincidents?\b`),
		JA: regexp.MustCompile(`失敗|落ちた|落ちて|エラー一覧|コケ`),
		Answer: func(ctx context.Context, r Reader, q Question, now time.Time) (any, error) {
			return ptr(r.Failures(ctx, queries.FailuresQuery{Node: q.Node, Team: q.Team, Since: q.Since.Resolve(now, q.Zone)}))
		},
		View:  viewOf(viewFailures),
		Label: [2]string{"Test failures", "テスト失敗"},
		Help: [2]HelpEntry{{"failures", "failures [NODE | team:NAME] [since 24h|3d|2026-11-20|2026-11-20T18:00Z|yesterday]", "test failures in a window (last 24 hours by default)", []string{"failures since yesterday", "test failures for team finance"}},
			{"failures", "failures [NODE | team:NAME] [since 24h|3d|2026-11-20|2026-11-20T18:00Z|yesterday]", "期間内のテスト失敗（既定は直近 24 時間）", []string{"昨日からのテスト失敗", "financeチームの失敗"}}}},
	{Intent: IntentFreshness, AboutRun: true, Tool: "get_freshness", Words: []string{"freshness", "fresh"}, Rank: 100, Node: OptionalNode,
		Zero: zeroOf[queries.FreshnessAnswer],
		EN:   regexp.MustCompile(`\bfresh(ness)?\b|\bstale\b|\bup[ -]to[ -]date\b|\bold data\b|\blate\b|\bbehind\b|\bloaded\b`),
		JA:   regexp.MustCompile(`鮮度|新鮮|古い|更新され|最新`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Freshness(ctx, q.Node))
		},
		View:  viewOf(viewFreshness),
		Label: [2]string{"Source freshness", "ソースの鮮度"},
		Help: [2]HelpEntry{{"freshness", "freshness [SOURCE]", "source freshness", []string{"freshness", "is stripe.payments fresh?"}},
			{"freshness", "freshness [SOURCE]", "ソースの鮮度", []string{"ソースの鮮度", "stripe.paymentsの鮮度"}}}},
	{Intent: IntentUpstream, Tool: "get_upstream", Words: []string{"upstream", "parents"}, Rank: 70, Node: NeedsNode,
		Zero: zeroOf[queries.LineageAnswer],
		EN:   regexp.MustCompile(`\bupstream\b|\bwhat feeds\b|\bfeeds? into\b|\bfeeding\b|\bparents?\b|\bdepends? on\b|\bdepend on\b|\binputs?\b|\bbuilt from\b|\bcomes? from\b|\bsources of\b|\bwhere does \S+ come from\b`),
		JA:   regexp.MustCompile(`上流|依存元|依存して|元データ|入力|どこから`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Upstream(ctx, q.Node))
		},
		View:  viewOf(viewLineage),
		Label: [2]string{"Upstream", "上流"},
		Help: [2]HelpEntry{{"upstream", "upstream NODE", "what feeds it, with health", []string{"what feeds fct_orders?"}},
			{"upstream", "upstream NODE", "上流のノードとその状態", []string{"fct_ordersの上流"}}}},
	{Intent: IntentDownstream, Tool: "get_downstream", Words: []string{"downstream", "children", "impact"}, Rank: 60, Node: NeedsNode,
		Zero: zeroOf[queries.LineageAnswer],
		EN:   regexp.MustCompile(`\b(what|who|which)( \w+)? (depends|depend|relies|rely) on\b|\bdownstream\b|\bchildren\b|\bconsumers?\b|\baffected\b|\bimpacted\b|\bimpact\b|\bblast radius\b|\bused by\b|\bwhat uses\b|\bwho uses\b|\bwhat does \S+ feed\b|\bbreaks? if\b`),
		JA:   regexp.MustCompile(`下流|依存先|影響範囲|影響|使っている|使われて|利用して|参照して|に依存`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Downstream(ctx, q.Node))
		},
		View:  viewOf(viewLineage),
		Label: [2]string{"Downstream", "下流"},
		Help: [2]HelpEntry{{"downstream", "downstream NODE", "what depends on it (models and exposures), with health", []string{"what depends on fct_orders?"}},
			{"downstream", "downstream NODE", "下流のノード・エクスポージャーとその状態", []string{"fct_ordersの下流"}}}},
	{Intent: IntentDescribe, Tool: "describe", Words: []string{"describe", "desc", "info", "docs"}, Rank: 120, Node: NeedsNode,
		Zero: zeroOf[queries.DescribeAnswer],
		EN:   regexp.MustCompile(`^what (is|are)\b|^what's\b|^whats\b|\bdescribe\b|\bdescription\b|\btell me about\b|\bdocs?\b|\bdocumentation\b|\bcolumns?\b|\bexplain\b|\bdefinition\b|\bwhat does \S+ (contain|mean|do|hold)\b|\bmeaning of\b|\binfo\b`),
		JA:   regexp.MustCompile(`とは|説明|について|どんな|どういう|なに|何|概要|カラム|ドキュメント`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Describe(ctx, q.Node))
		},
		View:  viewOf(viewDescribe),
		Label: [2]string{"About", "説明"},
		Help: [2]HelpEntry{{"describe", "describe NODE", "description, columns, tags", []string{"what is fct_orders?"}},
			{"describe", "describe NODE", "説明・カラム・タグ", []string{"fct_ordersとは?"}}}},
	{Intent: IntentWhy, AboutRun: true, Tool: "why_stale", Words: []string{"why"}, Rank: 30, Node: NeedsNode,
		Zero: zeroOf[queries.WhyAnswer],
		EN:   regexp.MustCompile(`\bwhy\b|\broot cause\b|\bwhat caused\b`),
		JA:   regexp.MustCompile(`なぜ|なんで|どうして|理由|原因`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Why(ctx, q.Node))
		},
		View:  viewOf(viewWhy),
		Label: [2]string{"Why", "原因"},
		Help: [2]HelpEntry{{"why", "why NODE", "likely reasons it is stale or failing", []string{"why is fct_orders stale?"}},
			{"why", "why NODE", "古い・失敗している理由の候補", []string{"fct_ordersが更新されていないのはなぜ?"}}}},
	{Intent: IntentUrgent, AboutRun: true, Tool: "is_urgent", Words: []string{"urgent", "urgency"}, Rank: 40, Node: NeedsNode,
		Zero: zeroOf[queries.UrgencyAnswer],
		EN:   regexp.MustCompile(`\burgent\b|\burgency\b|\bhow bad\b|\bhow serious\b|\bcritical\b|\bhow important\b|\bdoes it matter\b|\bdoes this matter\b|\bpriority\b|\bshould i care\b`),
		JA:   regexp.MustCompile(`緊急|急ぎ|至急|重要|優先|深刻|やばい|ヤバい|影響度`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Urgency(ctx, q.Node))
		},
		View:  viewOf(viewUrgency),
		Label: [2]string{"Urgency", "緊急度"},
		Help: [2]HelpEntry{{"urgent", "urgent NODE", "how much a failure matters: reach, severity, streak", []string{"is fct_orders urgent?"}},
			{"urgent", "urgent NODE", "失敗の緊急度（影響範囲・重大度・連続失敗）", []string{"fct_ordersは緊急?"}}}},
	{Intent: IntentTests, AboutRun: true, Tool: "list_tests", Words: []string{"tests"}, Rank: 95, Node: NeedsNode,
		Zero: zeroOf[queries.TestsAnswer],
		EN:   regexp.MustCompile(`\bwhat tests\b|\btests (on|of)\b|\bpass rate\b|\btest coverage\b`),
		JA:   regexp.MustCompile(`のテスト(一覧)?$|テスト一覧|合格率|どんなテスト`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Tests(ctx, q.Node))
		},
		View:  viewOf(viewTests),
		Label: [2]string{"Tests", "テスト"},
		Help: [2]HelpEntry{{"tests", "tests NODE", "its tests: latest status and 14-day pass rate", []string{"what tests run on fct_orders?"}},
			{"tests", "tests NODE", "テスト一覧（最新の結果と 14 日間の合格率）", []string{"fct_ordersのテスト一覧"}}}},
	{Intent: IntentSafe, AboutRun: true, Tool: "is_safe_to_use", Words: []string{"safe", "trust"}, Rank: 35, Node: NeedsNode, Zero: zeroOf[queries.SafeAnswer],
		EN: regexp.MustCompile(`\bsafe\b|\bcan (i|we) (still )?(use|trust|rely on)\b|\btrust(worthy)?\b|\breliable\b|\busable\b|\brely on\b`),
		JA: regexp.MustCompile(`使って(も)?大丈夫|使っても(いい|良い)|使える|信頼でき|信用でき|安全`),
		Answer: func(ctx context.Context, r Reader, q Question, _ time.Time) (any, error) {
			return ptr(r.Safe(ctx, q.Node))
		},
		View:  viewOf(viewSafe),
		Label: [2]string{"Safe to use?", "使って大丈夫?"},
		Help: [2]HelpEntry{{"safe", "safe NODE", "whether a dashboard (or any node) can be relied on now, why, and what to tell its audience", []string{"is the revenue dashboard safe to use?"}},
			{"safe", "safe NODE", "ダッシュボードなどを今使って大丈夫か、その理由と利用者への一言", []string{"売上ダッシュボードは使って大丈夫？"}}}},
	{Intent: IntentHealth, Tool: "get_health", Words: []string{"health", "quality", "coverage"}, Rank: 33, Node: OptionalNode,
		Args: ArgTeam | ArgSince, Zero: zeroOf[queries.HealthAnswer],
		EN: regexp.MustCompile(`\bhealth\b|\bhow healthy\b|\bhealth scores?\b|\bdata quality\b|\bquality scores?\b|\bcoverage\b|\bblind spots?\b`),
		JA: regexp.MustCompile(`健全性|健全度|品質スコア|データ品質|カバレッジ|死角`),
		Answer: func(ctx context.Context, r Reader, q Question, now time.Time) (any, error) {
			hq := queries.HealthQuery{Team: q.Team, Since: now.Add(-queries.HealthWindow)} // not the failures' window
			if q.Since.Kind != SinceNone {
				hq.Since = q.Since.Resolve(now, q.Zone)
			}
			if hq.Team == "" && q.Node != "" {
				// "how healthy is finance's data?": a team when one is called so, else a node.
				hq.Team = q.Node
				a, err := r.Health(ctx, hq)
				var nf *queries.NotFoundError
				if !errors.As(err, &nf) {
					return ptr(a, err)
				}
				hq.Team, hq.Node = "", q.Node
			}
			return ptr(r.Health(ctx, hq))
		},
		View:  viewOf(viewHealth),
		Label: [2]string{"Health", "健全性"},
		Help: [2]HelpEntry{{"health", "health [TEAM | NODE] [since 7d]", "health scores by quality dimension against a week before, the weakest tests and the blind spots (no tests, no owner, no description); a node's verdict", []string{"how healthy is finance's data?", "health fct_orders"}},
			{"health", "health [TEAM | NODE] [since 7d]", "品質の観点別の健全性スコアと先週比、弱いテスト、死角（テスト・オーナー・説明がないもの）。ノードなら判定", []string{"financeのデータの健全性は？", "fct_ordersの健全性"}}}},
	{Intent: IntentIncidents, Tool: "get_incident_stats", Words: []string{"incidents"}, Rank: 34, Node: OptionalNode, Args: ArgTeam | ArgSince,
		Zero: zeroOf[queries.IncidentStatsAnswer],
		EN:   regexp.MustCompile(`\bincidents? (stats|statistics|figures|numbers|metrics)\b|\btime to (acknowledge|ack|resolve)\b|\bmtt[ar]\b`),
		JA:   regexp.MustCompile(`インシデント(の)?(統計|数字|実績)|確認までの時間|解決までの時間`),
		Answer: func(ctx context.Context, r Reader, q Question, now time.Time) (any, error) {
			sq := queries.IncidentStatsQuery{Team: q.Team, Since: now.Add(-queries.IncidentStatsWindow)}
			if q.Since.Kind != SinceNone {
				sq.Since = q.Since.Resolve(now, q.Zone)
			}
			if sq.Team == "" && q.Node != "" {
				sq.Team = q.Node // "incidents stats finance": the word is a team
			}
			return ptr(r.IncidentStats(ctx, sq))
		},
		View:  viewOf(viewIncidentStats),
		Label: [2]string{"Incident figures", "インシデントの実績"},
		Help: [2]HelpEntry{{"incidents", "incidents stats [TEAM] [since 7d]", "how a team's incidents were handled: time to acknowledge and to resolve, how they ended, the tests reopened most", []string{"incidents stats finance since 30d"}},
			{"incidents", "incidents stats [TEAM] [since 7d]", "チームのインシデント対応の実績（確認・解決までの時間、解決の内訳、再発の多いテスト）", []string{"financeのインシデントの統計"}}}},
	{Intent: IntentHelp, Words: []string{"help", "-h", "--help", "usage", "commands"}, Rank: 20,
		Zero:  zeroOf[HelpAnswer],
		EN:    regexp.MustCompile(`^(help|\?|usage)\b|\bhelp me\b|\bwhat can you do\b|\bhow do i use\b|\bhow does this work\b|^commands$`),
		JA:    regexp.MustCompile(`ヘルプ|使い方|助けて|何ができ|なにができ|コマンド一覧|どう使`),
		View:  viewOf(viewHelp),
		Label: [2]string{"Todai help", "Todai ヘルプ"},
		Help:  [2]HelpEntry{{"help", "help", "this list", []string{"help"}}, {"help", "help", "この説明", []string{"ヘルプ"}}}},
	{Intent: IntentDigest, Args: ArgTeamWord, Words: []string{"digest", "summary"}, Rank: 10,
		EN: regexp.MustCompile(`\bdigest\b|\bdaily (summary|report)\b`),
		JA: regexp.MustCompile(`ダイジェスト|日報|デイリーレポート`)},
	{Intent: IntentMute, Args: ArgText, Words: []string{"mute", "silence", "snooze", "ミュート"}},
	{Intent: IntentSilences, Args: ArgText, Words: []string{"silences", "mutes", "ミュート一覧"}},
	{Intent: IntentIncident, Args: ArgText, Words: []string{"incident", "インシデント"}},
	{Intent: IntentTake, Args: ArgText, Words: []string{"take", "担当"}},
	{Intent: IntentAssign, Args: ArgText, Words: []string{"assign", "割り当て"}},
	{Intent: IntentSeverity, Args: ArgText, Words: []string{"severity", "重大度"}},
	{Intent: IntentResolve, Args: ArgText, Words: []string{"resolve", "解決"}},
}

// zeroOf returns a new zero answer of type A.
func zeroOf[A any]() any { return new(A) }

// Specs returns the registry, in the order help lists it (a copy).
func Specs() []IntentSpec { return slices.Clone(intents) }

// byRank is the registry in the order natural phrasings are tried.
var byRank = func() []IntentSpec {
	out := slices.Clone(intents)
	slices.SortStableFunc(out, func(a, b IntentSpec) int { return a.Rank - b.Rank })
	return out
}()

// Spec returns the registry's entry for an intent.
func Spec(i Intent) (IntentSpec, bool) {
	for _, s := range intents {
		if s.Intent == i {
			return s, true
		}
	}
	return IntentSpec{}, false
}

// commandIntent is the intent a command form's first word names, or "".
func commandIntent(lower string) Intent {
	first, rest, _ := strings.Cut(lower, " ")
	if second, _, _ := strings.Cut(strings.TrimSpace(rest), " "); first == "incident" && (second == "stats" || second == "statistics") {
		return IntentIncidents // "incident stats finance" asks for the figures, not incident number "stats"
	}
	for _, s := range intents {
		if slices.Contains(s.Words, first) {
			return s.Intent
		}
	}
	return ""
}

// phrasedIntent is the intent a natural question in lang asks, by the registry's phrasings in rank order;
// Japanese text may still use English words ("fct_ordersのstatus").
func phrasedIntent(lower string, lang Lang) Intent {
	if lang == LangJA {
		for _, s := range byRank {
			if s.JA != nil && s.JA.MatchString(lower) {
				return s.Intent
			}
		}
	}
	for _, s := range byRank {
		if s.EN != nil && s.EN.MatchString(lower) {
			return s.Intent
		}
	}
	return IntentUnknown
}

// nodeUse is how an intent uses a node.
func (i Intent) nodeUse() NodeUse {
	s, _ := Spec(i)
	return s.Node
}

// needsNode reports whether the intent cannot be answered without a node.
func (i Intent) needsNode() bool { return i.nodeUse() == NeedsNode }

// Help returns the help answer in lang: every intent with a help entry, in the registry's order.
func Help(lang Lang) *HelpAnswer {
	h := &HelpAnswer{Commands: []HelpEntry{}}
	for _, s := range intents {
		if e := s.Help[0]; e.Usage != "" {
			if lang == LangJA {
				e = s.Help[1]
			}
			h.Commands = append(h.Commands, e)
		}
	}
	return h
}
