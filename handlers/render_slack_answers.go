package handlers

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/queries"
)

// This file lays out each answer (and each error) as blocks. Every datum goes through SlackEscape (or code, or
// owner); labels are ours.

func (b *slackBuilder) renderAnswer() {
	switch a := b.res.Answer.(type) {
	case *queries.StatusAnswer:
		b.slackStatus(a)
	case *queries.OwnerAnswer:
		b.slackOwner(a)
	case *queries.LastRunAnswer:
		b.slackLastRun(a)
	case *queries.FailuresAnswer:
		b.slackFailures(a)
	case *queries.FreshnessAnswer:
		b.slackFreshness(a)
	case *queries.LineageAnswer:
		b.slackLineage(a, b.res.Intent == string(IntentDownstream))
	case *queries.DescribeAnswer:
		b.slackDescribe(a)
	case *queries.WhyAnswer:
		b.slackWhy(a)
	case *queries.UrgencyAnswer:
		b.slackUrgency(a)
	case *HelpAnswer:
		b.slackHelp(a)
	default:
		b.header(":white_circle:", "Todai")
		b.section(b.tr("No answer.", "回答はありません。"))
	}
}

func (b *slackBuilder) renderError() {
	e := b.res.Err
	emoji := ":warning:"
	title := b.tr("Sorry", "エラー")
	switch e.Code {
	case CodeNotFound:
		emoji, title = ":mag:", b.tr("Not found", "見つかりません")
	case CodeAmbiguous:
		emoji, title = ":twisted_rightwards_arrows:", b.tr("Which one?", "どれのことですか?")
	case CodeUnavailable:
		emoji, title = ":hourglass_flowing_sand:", b.tr("No data", "データがありません")
	case CodeBadRequest:
		title = b.tr("I did not get that", "質問を理解できませんでした")
	}
	b.header(emoji, title)
	msg := SlackEscape(e.Message)
	b.summary = msg
	b.section(msg)
	if len(e.Suggestions) > 0 {
		label := b.tr("Did you mean", "もしかして")
		if e.Code == CodeAmbiguous {
			label = b.tr("Candidates", "候補")
		}
		b.list(label, len(e.Suggestions), func(i int) string { return code(e.Suggestions[i]) })
	}
	if e.Code == CodeBadRequest && (e.Problem == ProblemUnknown || e.Problem == ProblemNone) {
		b.helpSections(Help(b.l))
	}
}

// intentLabel is the header's first word for an intent.
func (b *slackBuilder) intentLabel(intent string) string {
	switch Intent(intent) {
	case IntentStatus:
		return b.tr("Status", "状態")
	case IntentOwner:
		return b.tr("Owner", "オーナー")
	case IntentLastRun:
		return b.tr("Last runs", "最終実行")
	case IntentFailures:
		return b.tr("Test failures", "テスト失敗")
	case IntentFreshness:
		return b.tr("Source freshness", "ソースの鮮度")
	case IntentUpstream:
		return b.tr("Upstream", "上流")
	case IntentDownstream:
		return b.tr("Downstream", "下流")
	case IntentDescribe:
		return b.tr("About", "説明")
	case IntentWhy:
		return b.tr("Why", "原因")
	case IntentUrgent:
		return b.tr("Urgency", "緊急度")
	}
	return "Todai"
}

// nodeHeader adds the header "<emoji> <Label>: fct_orders (model)" and remembers the node for the buttons.
func (b *slackBuilder) nodeHeader(emoji string, n queries.Node) {
	b.node = &n
	b.header(emoji, b.intentLabel(b.res.Intent)+": "+b.nodeTitle(n))
}

// idField is the unique_id as a code span.
func (b *slackBuilder) idField(n queries.Node) slackField {
	return slackField{"unique_id", code(n.UniqueID)}
}

func (b *slackBuilder) ownerFields(n queries.Node) []slackField {
	return []slackField{{b.tr("Owners", "オーナー"), b.owners(n.Owners)}, {b.tr("Team", "チーム"), SlackEscape(n.Team)}}
}

func (b *slackBuilder) run(r queries.Run) string {
	s := statusEmoji(r.Status) + " " + b.p.whenPtr(r.CompletedAt)
	if sec := b.p.seconds(r.ExecutionTime); sec != "" {
		s += ", " + sec
	}
	if r.InvocationID != "" {
		s += b.tr(", invocation ", "、実行ID ") + code(r.InvocationID)
	}
	if r.Invocation != nil && r.Invocation.JobName != "" {
		s += b.tr(", job ", "、ジョブ ") + SlackEscape(r.Invocation.JobName)
	}
	if r.Failures != nil && *r.Failures > 0 {
		s += b.tr(", ", "、") + b.p.failingRows(*r.Failures)
	}
	return s
}

// test renders a test's latest result; name is how the list names it (testNames).
func (b *slackBuilder) test(t queries.TestState, name string) string {
	s := statusEmoji(t.Status) + " *" + SlackEscape(name) + "*"
	if t.Column != "" {
		s += b.tr(" on ", " 対象カラム ") + code(t.Column)
	}
	s += " — " + b.p.whenPtr(t.DetectedAt)
	if st := strings.ToLower(t.Status); t.Severity != "" && st != "pass" && st != "success" {
		s += " (" + SlackEscape(t.Severity) + ")"
	}
	return s
}

func (b *slackBuilder) source(s queries.SourceFreshness) string {
	name := clean(s.Name)
	if name == "" {
		name = clean(s.UniqueID)
	}
	loaded := b.tr("never loaded", "ロード記録なし")
	if s.MaxLoadedAt != nil {
		loaded = b.tr("loaded ", "最終ロード ") + b.p.when(*s.MaxLoadedAt)
	}
	out := statusEmoji(s.Status) + " *" + escapeMarkup(name) + "* " + SlackEscape(b.p.freshMark(s.Status)) + " — " + loaded
	if s.AgeSeconds != nil {
		out += b.tr(", age ", "、経過 ") + b.p.age(*s.AgeSeconds)
	}
	if s.WarnAfter != "" || s.ErrorAfter != "" {
		out += b.tr(" (warn after ", "（警告 ") + orDash(SlackEscape(s.WarnAfter)) + b.tr(", error after ", "、エラー ") +
			orDash(SlackEscape(s.ErrorAfter)) + b.tr(")", "）")
	}
	if s.Error != "" {
		out += "\n   _" + fitEscaped(SlackEscape(s.Error), 300) + "_"
	}
	return out
}

func (b *slackBuilder) lineage(n queries.LineageNode) string {
	name := clean(n.Name)
	if name == "" {
		name = clean(n.UniqueID)
	}
	s := healthEmoji(n.Health) + " " + escapeMarkup(name)
	if n.ResourceType != "" {
		s += " (" + SlackEscape(b.p.resourceType(n.ResourceType)) + ")"
	}
	if n.Depth > 1 {
		s += b.tr(fmt.Sprintf(", %d hops away", n.Depth), fmt.Sprintf("、%d 段先", n.Depth))
	}
	return s
}

func (b *slackBuilder) exposure(e queries.Exposure) string {
	name := clean(e.Label)
	if name == "" {
		name = clean(e.Name)
	}
	s := escapeMarkup(name)
	if e.Type != "" {
		s += " (" + SlackEscape(e.Type) + ")"
	}
	if e.OwnerEmail != "" || e.OwnerName != "" {
		o := SlackEscape(strings.TrimSpace(clean(e.OwnerName) + " " + clean(e.OwnerEmail)))
		if m, ok := b.opts.Mentions[e.OwnerEmail]; ok && validMention(m) {
			o = m
		}
		s += b.tr(" — owner ", " — オーナー ") + o
	}
	if e.URL != "" {
		s += " " + SlackEscape(e.URL)
	}
	return s
}

func (b *slackBuilder) countTitle(en, ja string, n int) string {
	return b.tr(fmt.Sprintf("%s (%d)", en, n), fmt.Sprintf("%s（%d 件）", ja, n))
}

// next adds what to do next, with its owners mentioned.
func (b *slackBuilder) next(n *queries.NextStep) {
	if n == nil {
		return
	}
	s := "*" + b.tr("Next", "次の一手") + "*: " + SlackEscape(b.p.nextAction(n))
	if who := b.owners(n.Owners); who != "" {
		s += b.tr(" — ask ", " — 相談先: ") + who
	}
	b.section(s)
}

// overdue adds the line saying a node missed its usual build, when it did; it leads the fallback text too.
func (b *slackBuilder) overdue(o *queries.Overdue) {
	if o == nil {
		return
	}
	line := SlackEscape(b.p.overdue(o))
	b.summary = b.tr("Overdue: ", "遅延: ") + line
	b.section(":hourglass: *" + b.tr("Overdue", "遅延") + "*: " + line)
}

func (b *slackBuilder) slackStatus(a *queries.StatusAnswer) {
	b.nodeHeader(healthEmoji(a.Health), a.Node)
	b.summary = b.p.healthWord(a.Health)
	b.section("*" + b.p.healthWord(a.Health) + "*")
	b.overdue(a.Overdue)
	last := b.tr("no runs recorded", "実行記録なし")
	if a.LastRun != nil {
		last = b.run(*a.LastRun)
		if a.LastRun.Message != nil && !quiet(a.LastRun.Status) {
			last += "\n_" + fitEscaped(SlackEscape(*a.LastRun.Message), 600) + "_"
		}
	}
	fs := append([]slackField{b.idField(a.Node)}, b.ownerFields(a.Node)...)
	fs = append(fs, slackField{b.tr("Last run", "最終実行"), last})
	b.fields(fs...)
	if len(a.Tests) == 0 {
		b.section("*" + b.tr("Tests", "テスト") + "*\n" + b.tr("none recorded", "記録なし"))
	} else {
		names := stateNames(a.Tests)
		b.list(b.countTitle("Tests", "テスト", len(a.Tests)), len(a.Tests), func(i int) string {
			return b.test(a.Tests[i], names[i])
		})
	}
	b.list(b.tr("Freshness", "鮮度"), len(a.Freshness), func(i int) string { return b.source(a.Freshness[i]) })
}

func (b *slackBuilder) slackOwner(a *queries.OwnerAnswer) {
	b.nodeHeader(":bust_in_silhouette:", a.Node)
	owners := b.owners(a.Owners)
	if owners == "" {
		owners = b.tr("none set (add meta.owner in dbt)", "未設定（dbt の meta.owner で設定できます）")
	}
	b.summary = owners
	fs := []slackField{b.idField(a.Node), {b.tr("Owners", "オーナー"), owners},
		{b.tr("Team", "チーム"), orDash(SlackEscape(a.Team))}}
	if a.Group != nil {
		g := SlackEscape(a.Group.Name)
		if a.Group.OwnerName != "" || a.Group.OwnerEmail != "" {
			o := SlackEscape(strings.TrimSpace(clean(a.Group.OwnerName) + " " + clean(a.Group.OwnerEmail)))
			if m, ok := b.opts.Mentions[a.Group.OwnerEmail]; ok && validMention(m) {
				o = m
			}
			g += " — " + o
		}
		fs = append(fs, slackField{b.tr("Group", "グループ"), g})
	}
	b.fields(fs...)
}

func (b *slackBuilder) slackLastRun(a *queries.LastRunAnswer) {
	h := queries.HealthUnknown
	if len(a.Runs) > 0 {
		switch strings.ToLower(a.Runs[0].Status) {
		case "success":
			h = queries.HealthOK
		case "error":
			h = queries.HealthError
		case "skipped":
			h = queries.HealthWarn
		}
	}
	b.nodeHeader(healthEmoji(h), a.Node)
	b.fields(b.idField(a.Node))
	if a.SuccessfulOnly {
		b.summary = b.tr("No successful build recorded.", "成功したビルドの記録はありません。")
		if len(a.Runs) > 0 {
			b.summary = b.tr("Last successful build: ", "最後に成功したビルド: ") + b.run(a.Runs[0])
		}
		b.section(b.summary)
		return
	}
	if len(a.Runs) == 0 {
		b.section(b.tr("No runs recorded.", "実行記録はありません。"))
		return
	}
	b.summary = b.run(a.Runs[0])
	b.list(b.tr(fmt.Sprintf("Last %d runs, newest first", len(a.Runs)), fmt.Sprintf("直近 %d 回の実行（新しい順）", len(a.Runs))),
		len(a.Runs), func(i int) string {
			r := a.Runs[i]
			s := b.run(r)
			if r.Message != nil && !quiet(r.Status) {
				s += "\n   _" + fitEscaped(SlackEscape(*r.Message), 300) + "_"
			}
			return s
		})
}

func (b *slackBuilder) slackFailures(a *queries.FailuresAnswer) {
	scope := clean(a.Scope)
	if scope == "" {
		scope = b.tr("all nodes", "全ノード")
	}
	if a.Scope != "" && !strings.HasPrefix(a.Scope, "team:") {
		n := queries.Node{UniqueID: a.Scope, ResourceType: strings.SplitN(a.Scope, ".", 2)[0]}
		b.node = &n
	}
	emoji := ":large_green_circle:"
	if len(a.Failures) > 0 {
		emoji = ":red_circle:"
	}
	b.header(emoji, b.intentLabel(b.res.Intent)+": "+scope)
	since := b.p.when(a.Since)
	if len(a.Failures) == 0 {
		b.summary = b.tr("No test failures since "+since+".", since+" 以降、テストの失敗はありません。")
		b.section(b.summary)
		return
	}
	b.summary = b.tr(fmt.Sprintf("%d failing tests since %s.", len(a.Failures), since),
		fmt.Sprintf("%s 以降に失敗したテスト %d 件。", since, len(a.Failures)))
	names := failureNames(a.Failures)
	b.list(b.summary, len(a.Failures), func(i int) string {
		f := a.Failures[i]
		s := statusEmoji(f.Status) + " *" + SlackEscape(names[i]) + "*"
		if f.ModelUniqueID != "" {
			s += b.tr(" on ", " 対象 ") + code(f.ModelUniqueID)
		}
		if f.Column != "" {
			s += b.tr(", column ", "、カラム ") + code(f.Column)
		}
		s += " — " + b.p.whenPtr(f.DetectedAt)
		if f.Count > 1 {
			s += b.tr(fmt.Sprintf(", %d times", f.Count), fmt.Sprintf("、%d 回", f.Count))
		}
		if f.Failures != nil {
			s += b.tr(", ", "、") + b.p.failingRows(*f.Failures)
		}
		if f.LatestStatus != "" && !strings.EqualFold(f.LatestStatus, f.Status) {
			s += b.tr(", now ", "、現在 ") + statusEmoji(f.LatestStatus) + " " + SlackEscape(f.LatestStatus)
		}
		if len(f.Owners) > 0 {
			s += b.tr(" — owners ", " — オーナー ") + b.owners(f.Owners)
		}
		return s
	})
}

func (b *slackBuilder) slackFreshness(a *queries.FreshnessAnswer) {
	h := queries.HealthUnknown
	for i, s := range a.Sources {
		sh := queries.HealthOK
		switch strings.ToLower(strings.TrimSpace(s.Status)) {
		case "error":
			sh = queries.HealthStale
		case "runtime error":
			sh = queries.HealthError
		case "warn":
			sh = queries.HealthWarn
		}
		if i == 0 {
			h = sh
		}
		h = queries.Worse(h, sh)
	}
	if len(a.Sources) == 1 {
		n := queries.Node{UniqueID: a.Sources[0].UniqueID, Name: a.Sources[0].Name, ResourceType: "source"}
		b.node = &n
	}
	b.header(healthEmoji(h), b.intentLabel(b.res.Intent))
	if len(a.Sources) == 0 {
		b.summary = b.tr("No source freshness results recorded.", "ソースの鮮度チェック結果はありません。")
		b.section(b.summary)
		return
	}
	b.list(b.countTitle("Sources", "ソース", len(a.Sources)), len(a.Sources), func(i int) string { return b.source(a.Sources[i]) })
}

func (b *slackBuilder) slackLineage(a *queries.LineageAnswer, down bool) {
	nodes := a.Upstream
	if down {
		nodes = a.Downstream
	}
	h := queries.HealthOK
	if len(nodes) == 0 {
		h = queries.HealthUnknown
	}
	for _, n := range nodes {
		h = queries.Worse(h, n.Health)
	}
	b.nodeHeader(healthEmoji(h), a.Node)
	b.fields(b.idField(a.Node))
	title := b.countTitle("Upstream", "上流", len(nodes))
	if down {
		title = b.countTitle("Downstream", "下流", len(nodes))
	}
	if len(nodes) == 0 {
		b.section("*" + title + "*\n" + b.tr("nothing", "なし"))
	} else {
		b.list(title, len(nodes), func(i int) string { return b.lineage(nodes[i]) })
	}
	if down {
		b.list(b.countTitle("Exposures", "エクスポージャー", len(a.Exposures)), len(a.Exposures),
			func(i int) string { return b.exposure(a.Exposures[i]) })
	}
}

func (b *slackBuilder) slackDescribe(a *queries.DescribeAnswer) {
	b.nodeHeader(":page_facing_up:", a.Node)
	desc := SlackEscape(a.Description)
	if desc == "" {
		desc = "_" + b.tr("(no description)", "（説明なし）") + "_"
	}
	b.summary = fitEscaped(desc, 300)
	b.section(fitEscaped(desc, 1500))
	fs := append([]slackField{b.idField(a.Node)}, b.ownerFields(a.Node)...)
	if a.Test != nil {
		fs = append(fs, slackField{b.tr("Checks", "検査内容"), SlackEscape(b.p.testWhat(a.Test))})
	}
	fs = append(fs,
		slackField{b.tr("Relation", "リレーション"), code(a.Relation)},
		slackField{b.tr("Materialized", "マテリアライズ"), SlackEscape(a.Materialization)},
		slackField{b.tr("Path", "パス"), code(a.Path)},
		slackField{b.tr("Group", "グループ"), SlackEscape(a.Group)},
		slackField{b.tr("Tags", "タグ"), SlackEscape(cleanJoin(a.Tags))})
	b.fields(fs...)
	b.list(b.countTitle("Columns", "カラム", len(a.Columns)), len(a.Columns), func(i int) string {
		c := a.Columns[i]
		s := code(c.Name)
		if c.DataType != "" {
			s += " " + SlackEscape(c.DataType)
		}
		if c.Description != "" {
			s += " — " + fitEscaped(SlackEscape(c.Description), 200)
		}
		return s
	})
	b.list(b.countTitle("Exposures", "エクスポージャー", len(a.Exposures)), len(a.Exposures),
		func(i int) string { return b.exposure(a.Exposures[i]) })
}

func (b *slackBuilder) slackWhy(a *queries.WhyAnswer) {
	failingNames := stateNames(a.FailingTests)
	b.nodeHeader(healthEmoji(a.Health), a.Node)
	b.summary = b.p.healthWord(a.Health)
	b.section("*" + b.p.healthWord(a.Health) + "*")
	b.overdue(a.Overdue)
	last := b.tr("none recorded", "記録なし")
	if a.LastSuccess != nil {
		last = b.p.whenPtr(a.LastSuccess.CompletedAt)
	}
	b.fields(b.idField(a.Node), slackField{b.tr("Last success", "最後の成功"), last})
	if len(a.Chain) > 0 {
		b.section("*" + b.tr("Chain", "経路") + "*\n" + SlackEscape(b.p.chain(a.Chain)))
	}
	b.list(b.tr("Changed since its last success", "最後の成功以降の変更"), len(a.Changes),
		func(i int) string { return SlackEscape(b.p.change(a.Changes[i])) })
	b.next(a.Next)
	if len(a.LikelyCauses) == 0 {
		b.section(b.tr("No cause found in the mirrored data.", "ミラーされたデータからは原因が見つかりませんでした。"))
	} else {
		b.list(b.tr("Causes, most probable first", "原因（可能性の高い順）"), len(a.LikelyCauses), func(i int) string {
			c := a.LikelyCauses[i]
			name := clean(c.Name)
			if name == "" {
				name = clean(c.UniqueID)
			}
			s := SlackEscape(b.p.causeKind(c.Kind)) + ": *" + escapeMarkup(name) + "*"
			if c.Detail != nil {
				s += " — " + fitEscaped(SlackEscape(*c.Detail), 200)
			}
			if c.LoadedAt != nil {
				s += b.tr(", last loaded ", "、最終ロード ") + b.p.when(*c.LoadedAt)
			}
			if c.Confidence != "" {
				s += " _(" + SlackEscape(b.p.confidence(c.Confidence)) + ")_"
			}
			return s
		})
	}
	b.list(b.countTitle("Failed runs since", "それ以降の失敗した実行", len(a.FailedSince)), len(a.FailedSince), func(i int) string {
		r := a.FailedSince[i]
		s := b.run(r)
		if r.Message != nil {
			s += " — _" + fitEscaped(SlackEscape(*r.Message), 200) + "_"
		}
		return s
	})
	b.list(b.countTitle("Failing tests", "失敗中のテスト", len(a.FailingTests)), len(a.FailingTests),
		func(i int) string { return b.test(a.FailingTests[i], failingNames[i]) })
}

func (b *slackBuilder) slackUrgency(a *queries.UrgencyAnswer) {
	failingNames := stateNames(a.FailingTests)
	b.nodeHeader(healthEmoji(a.Health), a.Node)
	word := SlackEscape(b.p.urgencyWord(a.Urgency))
	b.summary = b.tr("Urgency: ", "緊急度: ") + word
	b.section("*" + b.summary + "* — " + b.p.healthWord(a.Health))
	streak := ""
	if a.Streak > 0 {
		streak = b.tr(fmt.Sprintf("%d in a row", a.Streak), fmt.Sprintf("%d 回連続", a.Streak))
		if a.FailingSince != nil {
			streak += b.tr(", since ", "、開始 ") + b.p.whenPtr(a.FailingSince)
		}
	}
	reasons := make([]string, 0, len(a.Reasons))
	for _, r := range a.Reasons {
		if w := SlackEscape(b.p.reason(r)); w != "" {
			reasons = append(reasons, w)
		}
	}
	if a.Likelihood != "" {
		b.section(SlackEscape(b.p.axes(a)))
	}
	b.next(a.Next)
	b.fields(b.idField(a.Node),
		slackField{b.tr("Severity", "重大度"), SlackEscape(a.Severity)},
		slackField{b.tr("Failure streak", "連続失敗"), streak},
		slackField{b.tr("Criticality", "重要度"), SlackEscape(a.Criticality)},
		slackField{b.tr("Downstream models", "下流モデル"), fmt.Sprint(a.DownstreamCount)},
		slackField{b.tr("Because", "理由"), strings.Join(reasons, b.tr("; ", "、"))})
	b.list(b.countTitle("Downstream models", "下流モデル", len(a.DownstreamModels)), len(a.DownstreamModels),
		func(i int) string { return b.lineage(a.DownstreamModels[i]) })
	b.list(b.countTitle("Exposures affected", "影響を受けるエクスポージャー", len(a.Exposures)), len(a.Exposures),
		func(i int) string { return b.exposure(a.Exposures[i]) })
	b.list(b.countTitle("Failing tests", "失敗中のテスト", len(a.FailingTests)), len(a.FailingTests),
		func(i int) string { return b.test(a.FailingTests[i], failingNames[i]) })
}

func (b *slackBuilder) slackHelp(a *HelpAnswer) {
	b.header(":wave:", b.tr("Todai help", "Todai ヘルプ"))
	b.helpSections(a)
}

// helpSections adds the intro and one section per command (examples included).
func (b *slackBuilder) helpSections(a *HelpAnswer) {
	intro := b.tr("I answer questions about your dbt models from Elementary's results. Ask in English or Japanese:",
		"Elementary の結果から dbt モデルについての質問に答えます。日本語でも英語でも質問できます:")
	if b.summary == "" {
		b.summary = intro
	}
	b.section(intro)
	fs := make([]slackField, 0, len(a.Commands))
	for _, c := range a.Commands {
		v := SlackEscape(c.Description)
		for _, e := range c.Examples {
			v += "\n" + b.tr("_e.g._ ", "_例:_ ") + code(e)
		}
		fs = append(fs, slackField{strings.ReplaceAll(SlackEscape(c.Usage), "*", ""), v})
	}
	b.fields(fs...)
}
