package handlers

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	day := 24 * time.Hour
	dur := func(d time.Duration) Since { return Since{Kind: SinceDuration, Duration: d} }
	date := func(y int, m time.Month, d int) Since {
		return Since{Kind: SinceDate, Date: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
	}
	yesterday := Since{Kind: SinceYesterday}
	today := Since{Kind: SinceToday}
	instant := func(t time.Time) Since { return Since{Kind: SinceTime, Date: t, Zoned: true} }
	wall := func(y int, m time.Month, d, h, min int) Since {
		return Since{Kind: SinceTime, Date: time.Date(y, m, d, h, min, 0, 0, time.UTC)}
	}
	tests := []struct {
		in      string
		intent  Intent
		node    string
		team    string
		since   Since
		limit   int
		lang    Lang
		problem Problem
	}{
		// Command form.
		{in: "status fct_orders", intent: IntentStatus, node: "fct_orders"},
		{in: "owner fct_orders", intent: IntentOwner, node: "fct_orders"},
		{in: "last-run fct_orders", intent: IntentLastRun, node: "fct_orders"},
		{in: "last-run fct_orders 10", intent: IntentLastRun, node: "fct_orders", limit: 10},
		{in: "last-run fct_orders --limit 500", intent: IntentLastRun, node: "fct_orders", limit: MaxLimit},
		{in: "failures", intent: IntentFailures},
		{in: "failures fct_orders", intent: IntentFailures, node: "fct_orders"},
		{in: "failures team:finance", intent: IntentFailures, team: "finance"},
		{in: "failures team:Finance since 3d", intent: IntentFailures, team: "Finance", since: dur(3 * day)},
		{in: "failures since 24h", intent: IntentFailures, since: dur(24 * time.Hour)},
		{in: "failures since 90m", intent: IntentFailures, since: dur(90 * time.Minute)},
		{in: "failures since 1w", intent: IntentFailures, since: dur(7 * day)},
		{in: "failures fct_orders since 2026-11-20", intent: IntentFailures, node: "fct_orders", since: date(2026, 11, 20)},
		{in: "failures since yesterday", intent: IntentFailures, since: yesterday},
		{in: "failures since today", intent: IntentFailures, since: today},
		{in: "failures since soon", intent: IntentFailures, problem: ProblemBadSince},
		{in: "failures since 2026-02-31", intent: IntentFailures, problem: ProblemBadSince},
		{in: "failures 3d", intent: IntentFailures, since: dur(3 * day)},
		// ISO 8601 and RFC 3339 times, with or without zone, seconds and fraction.
		{in: "failures since 2026-11-19T18:00:00Z", intent: IntentFailures, since: instant(time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC))},
		{in: "failures since 2026-11-19T18:00Z", intent: IntentFailures, since: instant(time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC))},
		{in: "failures fct_orders since 2026-11-19T18:00:00.250Z", intent: IntentFailures, node: "fct_orders", since: instant(time.Date(2026, 11, 19, 18, 0, 0, 250e6, time.UTC))},
		{in: "failures team:finance since 2026-11-19T18:00+09:00", intent: IntentFailures, team: "finance", since: instant(time.Date(2026, 11, 19, 9, 0, 0, 0, time.UTC))},
		{in: "failures since 2026-11-19T18:00:00-0500", intent: IntentFailures, since: instant(time.Date(2026, 11, 19, 23, 0, 0, 0, time.UTC))},
		{in: "failures since 2026-11-19 18:00 JST", intent: IntentFailures, since: instant(time.Date(2026, 11, 19, 9, 0, 0, 0, time.UTC))},
		{in: "failures since 2026-11-19 18:00", intent: IntentFailures, since: wall(2026, 11, 19, 18, 0)},
		{in: "failures since 2026-11-19T18:00", intent: IntentFailures, since: wall(2026, 11, 19, 18, 0)},
		{in: "failures since 2026/11/19 18:30", intent: IntentFailures, since: wall(2026, 11, 19, 18, 30)},
		{in: "2026-11-19T18:00Z以降の失敗", intent: IntentFailures, since: instant(time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC)), lang: LangJA},
		{in: "2026年11月19日 18時30分からの失敗", intent: IntentFailures, since: wall(2026, 11, 19, 18, 30), lang: LangJA},
		{in: "2026年11月19日からの失敗", intent: IntentFailures, since: date(2026, 11, 19), lang: LangJA},
		{in: "failures since 2026-11-19T25:00Z", intent: IntentFailures, problem: ProblemBadSince},
		{in: "failures since 2026-11-19T18:61", intent: IntentFailures, problem: ProblemBadSince},
		{in: "failures since 2026-11-19T18:00+15:00", intent: IntentFailures, problem: ProblemBadSince},
		{in: "failures since 2026-11-190", intent: IntentFailures, problem: ProblemBadSince},
		{in: "freshness", intent: IntentFreshness},
		{in: "freshness stripe.payments", intent: IntentFreshness, node: "stripe.payments"},
		{in: "upstream fct_orders", intent: IntentUpstream, node: "fct_orders"},
		{in: "downstream model.jaffle.fct_orders", intent: IntentDownstream, node: "model.jaffle.fct_orders"},
		{in: "describe fct_orders", intent: IntentDescribe, node: "fct_orders"},
		{in: "why fct_orders", intent: IntentWhy, node: "fct_orders"},
		{in: "urgent fct_orders", intent: IntentUrgent, node: "fct_orders"},
		{in: "help", intent: IntentHelp},
		{in: "", intent: IntentHelp},
		{in: "   ", intent: IntentHelp},
		{in: "status", intent: IntentStatus, problem: ProblemMissingNode},
		{in: "why", intent: IntentWhy, problem: ProblemMissingNode},
		{in: "STATUS Fct_Orders", intent: IntentStatus, node: "Fct_Orders"},
		{in: "status my-model-2", intent: IntentStatus, node: "my-model-2"},
		{in: "status test", intent: IntentStatus, node: "test"},
		{in: "owner of orders", intent: IntentOwner, node: "orders"},
		{in: "describe the customers", intent: IntentDescribe, node: "customers"},
		{in: "/todai status fct_orders", intent: IntentStatus, node: "fct_orders"},
		{in: "<@U0123ABC> status fct_orders", intent: IntentStatus, node: "fct_orders"},
		{in: "@todai owner fct_orders", intent: IntentOwner, node: "fct_orders"},
		{in: "status `fct_orders`", intent: IntentStatus, node: "fct_orders"},
		{in: "status *fct_orders*", intent: IntentStatus, node: "fct_orders"},
		{in: `status "fct_orders"`, intent: IntentStatus, node: "fct_orders"},
		{in: "status 'fct_orders'", intent: IntentStatus, node: "fct_orders"},
		{in: "status <https://docs.example.com/fct_orders|fct_orders>", intent: IntentStatus, node: "fct_orders"},
		{in: "ｓｔａｔｕｓ　ｆｃｔ＿ｏｒｄｅｒｓ", intent: IntentStatus, node: "fct_orders"},
		{in: "status fct_orders --public", intent: IntentStatus, node: "fct_orders"},
		{in: "status \x1b[31mfct_orders\x1b[0m", intent: IntentStatus, node: "fct_orders"},
		{in: "fct_orders", intent: IntentStatus, node: "fct_orders"},
		{in: "fct_orders?", intent: IntentStatus, node: "fct_orders"},
		// English free text.
		{in: "who owns fct_orders?", intent: IntentOwner, node: "fct_orders"},
		{in: "Who is the owner of fct_orders?", intent: IntentOwner, node: "fct_orders"},
		{in: "what's wrong with fct_orders", intent: IntentStatus, node: "fct_orders"},
		{in: "what’s wrong with fct_orders?", intent: IntentStatus, node: "fct_orders"},
		{in: "is fct_orders healthy?", intent: IntentStatus, node: "fct_orders"},
		{in: "how is fct_orders doing", intent: IntentStatus, node: "fct_orders"},
		{in: "is fct_orders urgent?", intent: IntentUrgent, node: "fct_orders"},
		{in: "how bad is the fct_orders failure", intent: IntentUrgent, node: "fct_orders"},
		{in: "why is fct_orders stale", intent: IntentWhy, node: "fct_orders"},
		{in: "why did fct_orders fail?", intent: IntentWhy, node: "fct_orders"},
		{in: "what is fct_orders", intent: IntentDescribe, node: "fct_orders"},
		{in: "tell me about `fct_orders`", intent: IntentDescribe, node: "fct_orders"},
		{in: "what columns does fct_orders have?", intent: IntentDescribe, node: "fct_orders"},
		{in: "when did fct_orders last run", intent: IntentLastRun, node: "fct_orders"},
		{in: "last 3 runs of fct_orders", intent: IntentLastRun, node: "fct_orders", limit: 3},
		{in: "what feeds fct_orders", intent: IntentUpstream, node: "fct_orders"},
		{in: "what does fct_orders depend on?", intent: IntentUpstream, node: "fct_orders"},
		{in: "what depends on fct_orders", intent: IntentDownstream, node: "fct_orders"},
		{in: "what is downstream of fct_orders?", intent: IntentDownstream, node: "fct_orders"},
		{in: "what breaks if stg_orders fails", intent: IntentDownstream, node: "stg_orders"},
		{in: "failures since yesterday", intent: IntentFailures, since: yesterday},
		{in: "test failures for team finance", intent: IntentFailures, team: "finance"},
		{in: "failing tests for the finance team", intent: IntentFailures, team: "finance"},
		{in: "test failures in the last 3 days", intent: IntentFailures, since: dur(3 * day)},
		{in: "test failures on fct_orders since 2026-11-20", intent: IntentFailures, node: "fct_orders", since: date(2026, 11, 20)},
		{in: "what failed today?", intent: IntentFailures, since: today},
		{in: "is stripe.payments fresh?", intent: IntentFreshness, node: "stripe.payments"},
		{in: "is source.jaffle.stripe.payments up to date", intent: IntentFreshness, node: "source.jaffle.stripe.payments"},
		{in: "hello there", intent: IntentUnknown, problem: ProblemUnknown},
		{in: "what's the status of fct_orders?", intent: IntentStatus, node: "fct_orders"},
		{in: "whats up with fct_orders", intent: IntentStatus, node: "fct_orders"},
		{in: "Is model.kumo.fct_orders OK?", intent: IntentStatus, node: "model.kumo.fct_orders"},
		{in: "who should I ping about fct_orders", intent: IntentOwner, node: "fct_orders"},
		{in: "fct_orders is broken, who owns it?", intent: IntentOwner, node: "fct_orders"},
		{in: "fct_orders upstream", intent: IntentUpstream, node: "fct_orders"},
		{in: "where does fct_orders come from?", intent: IntentUpstream, node: "fct_orders"},
		{in: "did fct_orders run today?", intent: IntentLastRun, node: "fct_orders"},
		{in: "show me the docs for dim_customers", intent: IntentDescribe, node: "dim_customers"},
		{in: "show me failures for fct_orders in the last 24 hours", intent: IntentFailures, node: "fct_orders", since: dur(24 * time.Hour)},
		{in: "failures for finance team since monday", intent: IntentFailures, team: "finance", since: Since{Kind: SinceWeekday, Weekday: time.Monday}},
		{in: "team finance failures", intent: IntentFailures, team: "finance"},
		{in: "what can you do?", intent: IntentHelp},
		// Japanese.
		{in: "fct_ordersのオーナーは誰?", intent: IntentOwner, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersのオーナーは誰？", intent: IntentOwner, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersの担当者は?", intent: IntentOwner, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersが更新されていないのはなぜ?", intent: IntentWhy, node: "fct_orders", lang: LangJA},
		{in: "昨日からのテスト失敗", intent: IntentFailures, since: yesterday, lang: LangJA},
		{in: "今日のテスト失敗", intent: IntentFailures, since: today, lang: LangJA},
		{in: "過去3日間の失敗", intent: IntentFailures, since: dur(3 * day), lang: LangJA},
		{in: "２０２６年１１月２０日からの失敗", intent: IntentFailures, since: date(2026, 11, 20), lang: LangJA},
		{in: "fct_ordersの状態", intent: IntentStatus, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersの状態。", intent: IntentStatus, node: "fct_orders", lang: LangJA},
		{in: "ｆｃｔ＿ｏｒｄｅｒｓの状態", intent: IntentStatus, node: "fct_orders", lang: LangJA},
		{in: "「fct_orders」は大丈夫？", intent: IntentStatus, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersは緊急?", intent: IntentUrgent, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersとは?", intent: IntentDescribe, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersについて教えて", intent: IntentDescribe, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersの上流", intent: IntentUpstream, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersの下流", intent: IntentDownstream, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersの最終実行", intent: IntentLastRun, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersの実行履歴 10件", intent: IntentLastRun, node: "fct_orders", limit: 10, lang: LangJA},
		{in: "ソースの鮮度", intent: IntentFreshness, lang: LangJA},
		{in: "stripe.paymentsの鮮度は?", intent: IntentFreshness, node: "stripe.payments", lang: LangJA},
		{in: "financeチームの失敗", intent: IntentFailures, team: "finance", lang: LangJA},
		{in: "チーム finance の失敗", intent: IntentFailures, team: "finance", lang: LangJA},
		{in: "直近の失敗 チーム Finance", intent: IntentFailures, team: "Finance", lang: LangJA},
		{in: "昨日からの経理チームの失敗", intent: IntentFailures, team: "経理", since: yesterday, lang: LangJA},
		{in: "ヘルプ", intent: IntentHelp, lang: LangJA},
		{in: "fct_ordersに依存しているモデル", intent: IntentDownstream, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersが依存しているモデル", intent: IntentUpstream, node: "fct_orders", lang: LangJA},
		{in: "stg_ordersは何に使われている?", intent: IntentDownstream, node: "stg_orders", lang: LangJA},
		{in: "fct_ordersの影響範囲", intent: IntentDownstream, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersの直近3回の実行", intent: IntentLastRun, node: "fct_orders", limit: 3, lang: LangJA},
		{in: "fct_ordersはいつ実行された?", intent: IntentLastRun, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersはなぜ失敗している?", intent: IntentWhy, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersって何?", intent: IntentDescribe, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersの持ち主", intent: IntentOwner, node: "fct_orders", lang: LangJA},
		{in: "ステータス fct_orders", intent: IntentStatus, node: "fct_orders", lang: LangJA},
		{in: "fct_ordersのテスト失敗", intent: IntentFailures, node: "fct_orders", lang: LangJA},
		{in: "過去24時間の失敗", intent: IntentFailures, since: dur(24 * time.Hour), lang: LangJA},
		{in: "先週からの失敗", intent: IntentFailures, since: dur(7 * day), lang: LangJA},
		{in: "今週の失敗", intent: IntentFailures, since: dur(7 * day), lang: LangJA},
		{in: "what failed this week?", intent: IntentFailures, since: dur(7 * day)},
		{in: "failures this month", intent: IntentFailures, since: dur(30 * day)},
		{in: "月曜日からの失敗", intent: IntentFailures, since: Since{Kind: SinceWeekday, Weekday: time.Monday}, lang: LangJA},
		{in: "最近3日間のfinanceチームのテスト失敗", intent: IntentFailures, team: "finance", since: dur(3 * day), lang: LangJA},
		{in: "こんにちは", intent: IntentUnknown, problem: ProblemUnknown, lang: LangJA},
		{in: "状態", intent: IntentStatus, problem: ProblemMissingNode, lang: LangJA},
		{in: "履歴", intent: IntentLastRun, problem: ProblemMissingNode, lang: LangJA}, // a one-word reply in a thread
		{in: "履歴？", intent: IntentLastRun, problem: ProblemMissingNode, lang: LangJA},
		{in: "<@U0123ABC> fct_ordersのオーナーは誰?", intent: IntentOwner, node: "fct_orders", lang: LangJA},
		// Refusals.
		{in: strings.Repeat("a", MaxQuestionRunes+1), intent: IntentUnknown, problem: ProblemTooLong},
		{in: strings.Repeat("状", MaxQuestionRunes+1), intent: IntentUnknown, problem: ProblemTooLong, lang: LangJA},
		{in: "status " + strings.Repeat("x", 300), intent: IntentStatus, problem: ProblemBadNode},
	}
	for _, tc := range tests {
		name := tc.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			q := Parse(tc.in)
			wantLang := tc.lang
			if wantLang == "" {
				wantLang = LangEN
			}
			wantLimit := tc.limit
			if wantLimit == 0 {
				wantLimit = DefaultLimit
			}
			if q.Intent != tc.intent || q.Node != tc.node || q.Team != tc.team || !sameSince(q.Since, tc.since) ||
				q.Lang != wantLang || q.Problem != tc.problem || q.Limit != wantLimit {
				t.Errorf("Parse(%q) =\n intent=%q node=%q team=%q since=%+v lang=%q problem=%q limit=%d\nwant\n intent=%q node=%q team=%q since=%+v lang=%q problem=%q limit=%d",
					tc.in, q.Intent, q.Node, q.Team, q.Since, q.Lang, q.Problem, q.Limit,
					tc.intent, tc.node, tc.team, tc.since, wantLang, tc.problem, wantLimit)
			}
		})
	}
}

// sameSince compares two Sinces, their dates as instants.
func sameSince(a, b Since) bool {
	return a.Kind == b.Kind && a.Duration == b.Duration && a.Weekday == b.Weekday && a.Zoned == b.Zoned &&
		a.Date.Equal(b.Date)
}

func TestParsePublic(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"status fct_orders --public", true},
		{"--public status fct_orders", true},
		{"status fct_orders —public", true}, // Slack on macOS turns "--" into an em dash
		{"status fct_orders", false},
		{"status public_orders", false},
		{"status fct_orders public", true}, // a bare "public" at either end, as Slack users type it
		{"public status fct_orders", true},
	} {
		if got := Parse(tc.in).Public; got != tc.want {
			t.Errorf("Parse(%q).Public = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"status fct_orders", true},
		{"", true},
		{"who owns fct_orders?", false},
		{"fct_ordersの状態", false},
	} {
		if got := Parse(tc.in).Command; got != tc.want {
			t.Errorf("Parse(%q).Command = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestAskLocale(t *testing.T) {
	for _, tc := range []struct {
		lang Lang
		want Lang
	}{{"ja", LangJA}, {"ja-JP", LangJA}, {"JA_jp.UTF-8", LangJA}, {"en-US", LangEN}, {"", LangEN}, {"fr", LangEN}} {
		q := Parse("status fct_orders")
		q.Lang = tc.lang
		if got := Ask(t.Context(), newFake(), q, testNow).Lang; got != tc.want {
			t.Errorf("Ask with Lang %q answered in %q, want %q", tc.lang, got, tc.want)
		}
	}
}

func TestSinceResolve(t *testing.T) {
	now := time.Date(2026, 11, 24, 13, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		s    Since
		want time.Time
	}{
		{Since{}, now.Add(-24 * time.Hour)},
		{Since{Kind: SinceDuration, Duration: 90 * time.Minute}, now.Add(-90 * time.Minute)},
		{Since{Kind: SinceToday}, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{Since{Kind: SinceYesterday}, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{Since{Kind: SinceWeekday, Weekday: time.Tuesday}, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{Since{Kind: SinceWeekday, Weekday: time.Monday}, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{Since{Kind: SinceWeekday, Weekday: time.Wednesday}, time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)},
		{Since{Kind: SinceDate, Date: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
	} {
		if got := tc.s.Resolve(now.In(time.FixedZone("JST", 9*3600)), nil); !got.Equal(tc.want) {
			t.Errorf("%+v.Resolve = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestSinceResolveInAskersZone(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	now := time.Date(2026, 11, 24, 20, 30, 0, 0, time.UTC) // 05:30 on the 25th in Tokyo
	for _, tc := range []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"failures since 2026-11-19 18:00", nil, time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC)},
		{"failures since 2026-11-19 18:00", tokyo, time.Date(2026, 11, 19, 9, 0, 0, 0, time.UTC)},
		{"failures since 2026-11-19T18:00Z", tokyo, time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC)},
		{"failures since 2026-11-19T18:00+09:00", nil, time.Date(2026, 11, 19, 9, 0, 0, 0, time.UTC)},
		{"failures since 2026-11-19", tokyo, time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)},
		{"failures since today", tokyo, time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)},
		{"failures since yesterday", tokyo, time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)},
		{"failures since today", nil, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{"failures since 3h", tokyo, now.Add(-3 * time.Hour)},
		{"昨日からの失敗", tokyo, time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)},
	} {
		q := Parse(tc.in)
		if q.Problem != ProblemNone {
			t.Fatalf("Parse(%q): problem %s", tc.in, q.Problem)
		}
		if got := q.Since.Resolve(now, tc.loc); !got.Equal(tc.want) {
			t.Errorf("%q in %v resolves to %v, want %v", tc.in, tc.loc, got.UTC(), tc.want)
		}
	}
}

// FuzzParseSince: whatever follows "since", Parse never panics and never misreads silently: text holding a
// date-like number either parses to a date or time that prints back to the same digits, or is bad_since.
func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"2026-11-19T18:00:00Z", "2026-11-19 18:00", "2026-11-19T18:00+09:00", "24h", "3 days",
		"yesterday", "2026-02-31", "2026-11-19T24:00Z", "9999-12-31T23:59:59.999999999-14:00", "2026/1/2 3:04 jst",
		"2026-11-19t18:00:00,5z", "2026年11月19日 18時"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Parse("failures since " + s)
		if q.Intent != IntentFailures {
			return // the text changed the intent (e.g. it held "help"): nothing to check here
		}
		at := q.Since.Resolve(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), time.FixedZone("X", -7*3600))
		if q.Problem == ProblemNone && q.Since.Kind == SinceNone && reDateTime.MatchString(strings.ToLower(normalize(s))) {
			t.Fatalf("%q holds a date but was read as no window", s)
		}
		if q.Since.Kind == SinceTime || q.Since.Kind == SinceDate {
			d := q.Since.Date
			written := fmt.Sprintf("%04d", d.Year())
			if !strings.Contains(s, written) {
				t.Fatalf("%q read as %v, a year it does not hold", s, d)
			}
			if at.IsZero() {
				t.Fatalf("%q resolved to the zero time", s)
			}
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"status fct_orders", "failures team:finance since 3d", "fct_ordersのオーナーは誰?",
		"昨日からのテスト失敗", "<https://x|y>", "\x1b[31m", "failures since 2026-11-20", "ｆｃｔ", "last-run x 10",
		"\xff\xfe", strings.Repeat("é", 2001)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Parse(s)
		if q.Lang != LangEN && q.Lang != LangJA {
			t.Fatalf("lang %q", q.Lang)
		}
		if q.Intent == "" {
			t.Fatalf("empty intent for %q", s)
		}
		if q.Limit < 1 || q.Limit > MaxLimit {
			t.Fatalf("limit %d", q.Limit)
		}
		if !utf8.ValidString(q.Node) || !utf8.ValidString(q.Team) || !utf8.ValidString(q.Text) {
			t.Fatalf("invalid utf8 in %+v", q)
		}
		if len(q.Node) > MaxNodeLen {
			t.Fatalf("node too long: %d", len(q.Node))
		}
		for _, r := range q.Node {
			if !isIdentByte(byte(r)) || r > 127 {
				t.Fatalf("node %q holds %q", q.Node, r)
			}
		}
		if q.Problem == ProblemNone && q.Intent.needsNode() && q.Node == "" {
			t.Fatalf("intent %s without node and without problem", q.Intent)
		}
	})
}

func TestParseScheduledCommands(t *testing.T) {
	for _, tc := range []struct {
		in     string
		intent Intent
		team   string
		args   string
		lang   Lang
	}{
		{in: "digest", intent: IntentDigest},
		{in: "digest finance", intent: IntentDigest, team: "finance"},
		{in: "/todai digest Finance", intent: IntentDigest, team: "Finance"},
		{in: "digest team:growth", intent: IntentDigest, team: "growth"},
		{in: "show me the daily digest for marketing", intent: IntentDigest, team: "marketing"},
		{in: "finance のダイジェスト", intent: IntentDigest, team: "finance", lang: LangJA},
		{in: "今日のダイジェスト", intent: IntentDigest, lang: LangJA},
		{in: "ファイナンスチームのダイジェスト", intent: IntentDigest, team: "ファイナンス", lang: LangJA},
		{in: "mute node:fct_orders for 2h deploy in progress", intent: IntentMute,
			args: "node:fct_orders for 2h deploy in progress"},
		{in: "mute", intent: IntentMute},
		{in: "silences", intent: IntentSilences},
		{in: "incident 42", intent: IntentIncident, args: "42"},
		{in: "インシデント 42", intent: IntentIncident, args: "42", lang: LangJA},
		{in: "take 42", intent: IntentTake, args: "42"},
		{in: "incident stats", intent: IntentIncidents},
		{in: "assign #42 @ana", intent: IntentAssign, args: "#42 @ana"},
		{in: "severity 42 high", intent: IntentSeverity, args: "42 high"},
		{in: "resolve 42 false positive backfill of May", intent: IntentResolve, args: "42 false positive backfill of May"},
		{in: "解決 42 expected 月末の再集計", intent: IntentResolve, args: "42 expected 月末の再集計", lang: LangJA},
	} {
		q := Parse(tc.in)
		lang := tc.lang
		if lang == "" {
			lang = LangEN
		}
		if q.Intent != tc.intent || q.Team != tc.team || q.Args != tc.args || q.Lang != lang || q.Problem != ProblemNone {
			t.Errorf("Parse(%q) = intent %q team %q args %q lang %q problem %q; want %q %q %q %q", tc.in, q.Intent,
				q.Team, q.Args, q.Lang, q.Problem, tc.intent, tc.team, tc.args, lang)
		}
	}
	// The words that used to mean failures still do when they are not the command.
	if q := Parse("any incidents today?"); q.Intent != IntentFailures {
		t.Errorf("Parse(any incidents today?) intent = %q, want failures", q.Intent)
	}
	res := Ask(t.Context(), newFake(), Parse("digest finance"), testNow)
	if res.Err == nil || res.Err.Code != CodeBadRequest || !strings.Contains(res.Err.Message, "todai digest") {
		t.Errorf("Ask(digest) = %+v, want a bad request pointing to todai digest", res.Err)
	}
}

// TestCommandLiteral: in the command form, the whole argument is tried as the node first (quotes, spaces and
// semicolons kept); words picked out of it apply only when it names nothing.
func TestCommandLiteral(t *testing.T) {
	for _, tc := range []struct {
		in, literal, asked string
	}{
		{in: "status orders; legacy", literal: "orders; legacy", asked: "orders; legacy"},
		{in: "/todai status orders; legacy --public", literal: "orders; legacy", asked: "orders; legacy"},
		{in: "status \"my model\"", literal: "\"my model\"", asked: ""}, // names nothing: "which model?"
		{in: "owner fct_orders", literal: "fct_orders", asked: "fct_orders"},
		{in: "status fct_orders?", literal: "fct_orders?", asked: "fct_orders"},
		{in: "status a &amp; b", literal: "a & b", asked: "b"},
		{in: "failures team:finance since 3d", literal: "", asked: ""},
		{in: "last-run fct_orders 10", literal: "", asked: "fct_orders"},
		{in: "who owns fct_orders", literal: "", asked: "fct_orders"},
	} {
		q := Parse(tc.in)
		if q.Literal != tc.literal {
			t.Errorf("Parse(%q).Literal = %q, want %q", tc.in, q.Literal, tc.literal)
		}
		res := Ask(t.Context(), newFake(), q, testNow)
		if res.Question.Node != tc.asked {
			t.Errorf("Ask(%q) asked about %q, want %q", tc.in, res.Question.Node, tc.asked)
		}
	}
}
