package slackui

import (
	"fmt"
	"strings"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// This file lays out each answer (and each error) as blocks. Every datum goes through Escape (or code, or
// owner); labels are ours.

func (b *builder) renderAnswer() {
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
		b.slackLineage(a, b.res.Intent == string(handlers.IntentDownstream))
	case *queries.DescribeAnswer:
		b.slackDescribe(a)
	case *queries.WhyAnswer:
		b.slackWhy(a)
	case *queries.UrgencyAnswer:
		b.slackUrgency(a)
	case *queries.TestsAnswer:
		b.slackTests(a)
	case *handlers.HelpAnswer:
		b.slackHelp(a)
	default:
		b.header(":white_circle:", "Todai")
		b.section(b.tr("No answer.", "回答はありません。"))
	}
}

func (b *builder) renderError() {
	e := b.res.Err
	emoji := ":warning:"
	title := b.tr("Sorry", "エラー")
	switch e.Code {
	case handlers.CodeNotFound:
		emoji, title = ":mag:", b.tr("Not found", "見つかりません")
	case handlers.CodeAmbiguous:
		emoji, title = ":twisted_rightwards_arrows:", b.tr("Which one?", "どれのことですか?")
	case handlers.CodeUnavailable:
		emoji, title = ":hourglass_flowing_sand:", b.tr("No data", "データがありません")
	case handlers.CodeBadRequest:
		title = b.tr("I did not get that", "質問を理解できませんでした")
	}
	b.header(emoji, title)
	msg := Escape(e.Message)
	b.summary = msg
	b.section(msg)
	if len(e.Suggestions) > 0 {
		label := b.tr("Did you mean", "もしかして")
		if e.Code == handlers.CodeAmbiguous {
			label = b.tr("Candidates", "候補")
		}
		b.list(label, len(e.Suggestions), func(i int) string { return code(e.Suggestions[i]) })
	}
	if e.Code == handlers.CodeBadRequest && (e.Problem == handlers.ProblemUnknown || e.Problem == handlers.ProblemNone) {
		b.helpSections(handlers.Help(b.l))
	}
}

// intentLabel is the header's first word for an intent.
func (b *builder) intentLabel(intent string) string {
	return handlers.Label(handlers.Intent(intent), b.l)
}

// nodeHeader adds the header "<emoji> <Label>: fct_orders (model)" and remembers the node for the buttons.
func (b *builder) nodeHeader(emoji string, n queries.Node) {
	b.node = &n
	b.header(emoji, b.intentLabel(b.res.Intent)+": "+b.nodeTitle(n))
}

// idField is the unique_id as a code span.
func (b *builder) idField(n queries.Node) field {
	return field{"unique_id", code(n.UniqueID)}
}

func (b *builder) ownerFields(n queries.Node) []field {
	return []field{{b.tr("Owners", "オーナー"), b.owners(n.Owners)}, {b.tr("Team", "チーム"), Escape(n.Team)}}
}

func (b *builder) run(r queries.Run) string {
	s := statusEmoji(r.Status) + " " + b.p.WhenPtr(r.CompletedAt)
	if sec := b.p.Seconds(r.ExecutionTime); sec != "" {
		s += ", " + sec
	}
	if r.InvocationID != "" {
		s += b.tr(", invocation ", "、実行ID ") + code(r.InvocationID)
	}
	if r.Invocation != nil && r.Invocation.JobName != "" {
		s += b.tr(", job ", "、ジョブ ") + Escape(r.Invocation.JobName)
	}
	if r.Failures != nil && *r.Failures > 0 {
		s += b.tr(", ", "、") + b.p.FailingRows(*r.Failures)
	}
	return s
}

// test renders a test's latest result; name is how the list names it (testNames).
func (b *builder) test(t queries.TestState, name string) string {
	s := statusEmoji(t.Status) + " *" + Escape(name) + "*"
	if t.Column != "" {
		s += b.tr(" on ", " 対象カラム ") + code(t.Column)
	}
	s += " — " + b.p.WhenPtr(t.DetectedAt)
	if st := strings.ToLower(t.Status); t.Severity != "" && st != "pass" && st != "success" {
		s += " (" + Escape(t.Severity) + ")"
	}
	return s
}

func (b *builder) source(s queries.SourceFreshness) string {
	name := handlers.Clean(s.Name)
	if name == "" {
		name = handlers.Clean(s.UniqueID)
	}
	loaded := b.tr("never loaded", "ロード記録なし")
	if s.MaxLoadedAt != nil {
		loaded = b.tr("loaded ", "最終ロード ") + b.p.When(*s.MaxLoadedAt)
	}
	out := statusEmoji(s.Status) + " *" + escapeMarkup(name) + "* " + Escape(b.p.FreshMark(s.Status)) + " — " + loaded
	if s.AgeSeconds != nil {
		out += b.tr(", age ", "、経過 ") + b.p.Age(*s.AgeSeconds)
	}
	if s.WarnAfter != "" || s.ErrorAfter != "" {
		out += b.tr(" (warn after ", "（警告 ") + handlers.OrDash(Escape(s.WarnAfter)) + b.tr(", error after ", "、エラー ") +
			handlers.OrDash(Escape(s.ErrorAfter)) + b.tr(")", "）")
	}
	if s.Error != "" {
		out += "\n   _" + fitEscaped(Escape(s.Error), 300) + "_"
	}
	return out
}

func (b *builder) lineage(n queries.LineageNode) string {
	name := handlers.Clean(n.Name)
	if name == "" {
		name = handlers.Clean(n.UniqueID)
	}
	s := healthEmoji(n.Health) + " " + escapeMarkup(name)
	if n.ResourceType != "" {
		s += " (" + Escape(b.p.ResourceType(n.ResourceType)) + ")"
	}
	if n.Depth > 1 {
		s += b.tr(fmt.Sprintf(", %d hops away", n.Depth), fmt.Sprintf("、%d 段先", n.Depth))
	}
	return s
}

func (b *builder) exposure(e queries.Exposure) string {
	name := handlers.Clean(e.Label)
	if name == "" {
		name = handlers.Clean(e.Name)
	}
	s := escapeMarkup(name)
	if e.Type != "" {
		s += " (" + Escape(e.Type) + ")"
	}
	if e.OwnerEmail != "" || e.OwnerName != "" {
		o := Escape(strings.TrimSpace(handlers.Clean(e.OwnerName) + " " + handlers.Clean(e.OwnerEmail)))
		if m, ok := b.opts.Mentions[e.OwnerEmail]; ok && validMention(m) {
			o = m
		}
		s += b.tr(" — owner ", " — オーナー ") + o
	}
	if e.URL != "" {
		s += " " + Escape(e.URL)
	}
	return s
}

func (b *builder) countTitle(en, ja string, n int) string {
	return b.tr(fmt.Sprintf("%s (%d)", en, n), fmt.Sprintf("%s（%d 件）", ja, n))
}

// next adds what to do next, with its owners mentioned.
func (b *builder) next(n *queries.NextStep) {
	if n == nil {
		return
	}
	s := "*" + b.tr("Next", "次の一手") + "*: " + Escape(b.p.NextAction(n))
	if who := b.owners(n.Owners); who != "" {
		s += b.tr(" — ask ", " — 相談先: ") + who
	}
	b.section(s)
}

// overdue adds the line saying a node missed its usual build, when it did; it leads the fallback text too.
func (b *builder) overdue(o *queries.Overdue) {
	if o == nil {
		return
	}
	line := Escape(b.p.Overdue(o))
	b.summary = b.tr("Overdue: ", "遅延: ") + line
	b.section(":hourglass: *" + b.tr("Overdue", "遅延") + "*: " + line)
}

// healthHeader opens a node's health answer: the header with its health's emoji, the health in words, and how late
// it is when it missed its usual build.
func (b *builder) healthHeader(n queries.Node, h queries.Health, o *queries.Overdue) {
	b.nodeHeader(healthEmoji(h), n)
	b.summary = b.p.HealthWord(h)
	b.section("*" + b.p.HealthWord(h) + "*")
	b.overdue(o)
}

func (b *builder) slackStatus(a *queries.StatusAnswer) {
	b.healthHeader(a.Node, a.Health, a.Overdue)
	last := b.tr("no runs recorded", "実行記録なし")
	if a.LastRun != nil {
		last = b.run(*a.LastRun)
		if a.LastRun.Message != nil && !handlers.QuietStatus(a.LastRun.Status) {
			last += "\n_" + fitEscaped(Escape(*a.LastRun.Message), 600) + "_"
		}
	}
	fs := append([]field{b.idField(a.Node)}, b.ownerFields(a.Node)...)
	fs = append(fs, field{b.tr("Last run", "最終実行"), last})
	b.fields(fs...)
	if len(a.Tests) == 0 {
		b.section("*" + b.tr("Tests", "テスト") + "*\n" + b.tr("none recorded", "記録なし"))
	} else {
		names := handlers.StateNames(a.Tests)
		b.list(b.countTitle("Tests", "テスト", len(a.Tests)), len(a.Tests), func(i int) string {
			return b.test(a.Tests[i], names[i])
		})
	}
	b.list(b.tr("Freshness", "鮮度"), len(a.Freshness), func(i int) string { return b.source(a.Freshness[i]) })
}

func (b *builder) slackOwner(a *queries.OwnerAnswer) {
	b.nodeHeader(":bust_in_silhouette:", a.Node)
	owners := b.owners(a.Owners)
	if owners == "" {
		owners = b.tr("none set (add meta.owner in dbt)", "未設定（dbt の meta.owner で設定できます）")
	}
	b.summary = owners
	fs := []field{b.idField(a.Node), {b.tr("Owners", "オーナー"), owners},
		{b.tr("Team", "チーム"), handlers.OrDash(Escape(a.Team))}}
	if a.Group != nil {
		g := Escape(a.Group.Name)
		if a.Group.OwnerName != "" || a.Group.OwnerEmail != "" {
			o := Escape(strings.TrimSpace(handlers.Clean(a.Group.OwnerName) + " " + handlers.Clean(a.Group.OwnerEmail)))
			if m, ok := b.opts.Mentions[a.Group.OwnerEmail]; ok && validMention(m) {
				o = m
			}
			g += " — " + o
		}
		fs = append(fs, field{b.tr("Group", "グループ"), g})
	}
	b.fields(fs...)
}

func (b *builder) slackLastRun(a *queries.LastRunAnswer) {
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
			if r.Message != nil && !handlers.QuietStatus(r.Status) {
				s += "\n   _" + fitEscaped(Escape(*r.Message), 300) + "_"
			}
			return s
		})
}

func (b *builder) slackFailures(a *queries.FailuresAnswer) {
	scope := handlers.Clean(a.Scope)
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
	since := b.p.When(a.Since)
	if len(a.Failures) == 0 {
		b.summary = b.tr("No test failures since "+since+".", since+" 以降、テストの失敗はありません。")
		b.section(b.summary)
		return
	}
	b.summary = b.tr(fmt.Sprintf("%d failing tests since %s.", len(a.Failures), since),
		fmt.Sprintf("%s 以降に失敗したテスト %d 件。", since, len(a.Failures)))
	names := handlers.FailureNames(a.Failures)
	b.list(b.summary, len(a.Failures), func(i int) string {
		f := a.Failures[i]
		s := statusEmoji(f.Status) + " *" + Escape(names[i]) + "*"
		if f.ModelUniqueID != "" {
			s += b.tr(" on ", " 対象 ") + code(f.ModelUniqueID)
		}
		if f.Column != "" {
			s += b.tr(", column ", "、カラム ") + code(f.Column)
		}
		s += " — " + b.p.WhenPtr(f.DetectedAt)
		if f.Count > 1 {
			s += b.tr(fmt.Sprintf(", %d times", f.Count), fmt.Sprintf("、%d 回", f.Count))
		}
		if f.Failures != nil {
			s += b.tr(", ", "、") + b.p.FailingRows(*f.Failures)
		}
		if f.LatestStatus != "" && !strings.EqualFold(f.LatestStatus, f.Status) {
			s += b.tr(", now ", "、現在 ") + statusEmoji(f.LatestStatus) + " " + Escape(f.LatestStatus)
		}
		if len(f.Owners) > 0 {
			s += b.tr(" — owners ", " — オーナー ") + b.owners(f.Owners)
		}
		return s
	})
}

func (b *builder) slackFreshness(a *queries.FreshnessAnswer) {
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

func (b *builder) slackLineage(a *queries.LineageAnswer, down bool) {
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

func (b *builder) slackDescribe(a *queries.DescribeAnswer) {
	b.nodeHeader(":page_facing_up:", a.Node)
	desc := Escape(a.Description)
	if desc == "" {
		desc = "_" + b.tr("(no description)", "（説明なし）") + "_"
	}
	b.summary = fitEscaped(desc, 300)
	b.section(fitEscaped(desc, 1500))
	fs := append([]field{b.idField(a.Node)}, b.ownerFields(a.Node)...)
	if a.Test != nil {
		fs = append(fs, field{b.tr("Checks", "検査内容"), Escape(b.p.TestWhat(a.Test))})
	}
	fs = append(fs,
		field{b.tr("Relation", "リレーション"), code(a.Relation)},
		field{b.tr("Materialized", "マテリアライズ"), Escape(a.Materialization)},
		field{b.tr("Path", "パス"), code(a.Path)},
		field{b.tr("Group", "グループ"), Escape(a.Group)},
		field{b.tr("Tags", "タグ"), Escape(handlers.CleanJoin(a.Tags))})
	b.fields(fs...)
	b.list(b.countTitle("Columns", "カラム", len(a.Columns)), len(a.Columns), func(i int) string {
		c := a.Columns[i]
		s := code(c.Name)
		if c.DataType != "" {
			s += " " + Escape(c.DataType)
		}
		if c.Description != "" {
			s += " — " + fitEscaped(Escape(c.Description), 200)
		}
		return s
	})
	b.list(b.countTitle("Exposures", "エクスポージャー", len(a.Exposures)), len(a.Exposures),
		func(i int) string { return b.exposure(a.Exposures[i]) })
}

func (b *builder) slackWhy(a *queries.WhyAnswer) {
	failingNames := handlers.StateNames(a.FailingTests)
	b.healthHeader(a.Node, a.Health, a.Overdue)
	last := b.tr("none recorded", "記録なし")
	if a.LastSuccess != nil {
		last = b.p.WhenPtr(a.LastSuccess.CompletedAt)
	}
	b.fields(b.idField(a.Node), field{b.tr("Last success", "最後の成功"), last})
	if len(a.Chain) > 0 {
		b.section("*" + b.tr("Chain", "経路") + "*\n" + Escape(b.p.Chain(a.Chain)))
	}
	b.list(b.tr("Changed since its last success", "最後の成功以降の変更"), len(a.Changes),
		func(i int) string {
			c := a.Changes[i]
			s := Escape(b.p.Change(c))
			if l := link(c.CompareURL, b.tr("compare", "比較")); l != "" {
				s += " · " + l
			}
			return s
		})
	b.next(a.Next)
	if len(a.LikelyCauses) == 0 {
		b.section(b.tr("No cause found in the mirrored data.", "ミラーされたデータからは原因が見つかりませんでした。"))
	} else {
		b.list(b.tr("Causes, most probable first", "原因（可能性の高い順）"), len(a.LikelyCauses), func(i int) string {
			c := a.LikelyCauses[i]
			name := handlers.Clean(c.Name)
			if name == "" {
				name = handlers.Clean(c.UniqueID)
			}
			s := Escape(b.p.CauseKind(c.Kind)) + ": *" + escapeMarkup(name) + "*"
			if c.Detail != nil {
				s += " — " + fitEscaped(Escape(*c.Detail), 200)
			}
			if c.LoadedAt != nil {
				s += b.tr(", last loaded ", "、最終ロード ") + b.p.When(*c.LoadedAt)
			}
			if c.Confidence != "" {
				s += " _(" + Escape(b.p.Confidence(c.Confidence)) + ")_"
			}
			return s
		})
	}
	b.list(b.countTitle("Failed runs since", "それ以降の失敗した実行", len(a.FailedSince)), len(a.FailedSince), func(i int) string {
		r := a.FailedSince[i]
		s := b.run(r)
		if r.Message != nil {
			s += " — _" + fitEscaped(Escape(*r.Message), 200) + "_"
		}
		return s
	})
	b.list(b.countTitle("Failing tests", "失敗中のテスト", len(a.FailingTests)), len(a.FailingTests),
		func(i int) string { return b.test(a.FailingTests[i], failingNames[i]) })
}

func (b *builder) slackUrgency(a *queries.UrgencyAnswer) {
	failingNames := handlers.StateNames(a.FailingTests)
	b.nodeHeader(healthEmoji(a.Health), a.Node)
	word := Escape(b.p.UrgencyWord(a.Urgency))
	b.summary = b.tr("Urgency: ", "緊急度: ") + word
	b.section("*" + b.summary + "* — " + b.p.HealthWord(a.Health))
	streak := ""
	if a.Streak > 0 {
		streak = b.tr(fmt.Sprintf("%d in a row", a.Streak), fmt.Sprintf("%d 回連続", a.Streak))
		if a.FailingSince != nil {
			streak += b.tr(", since ", "、開始 ") + b.p.WhenPtr(a.FailingSince)
		}
	}
	reasons := make([]string, 0, len(a.Reasons))
	for _, r := range a.Reasons {
		if w := Escape(b.p.Reason(r)); w != "" {
			reasons = append(reasons, w)
		}
	}
	if a.Likelihood != "" {
		b.section(Escape(b.p.Axes(a)))
	}
	b.next(a.Next)
	b.fields(b.idField(a.Node),
		field{b.tr("Severity", "重大度"), Escape(a.Severity)},
		field{b.tr("Failure streak", "連続失敗"), streak},
		field{b.tr("Criticality", "重要度"), Escape(a.Criticality)},
		field{b.tr("Downstream models", "下流モデル"), fmt.Sprint(a.DownstreamCount)},
		field{b.tr("Because", "理由"), strings.Join(reasons, b.tr("; ", "、"))})
	b.list(b.countTitle("Downstream models", "下流モデル", len(a.DownstreamModels)), len(a.DownstreamModels),
		func(i int) string { return b.lineage(a.DownstreamModels[i]) })
	b.list(b.countTitle("Exposures affected", "影響を受けるエクスポージャー", len(a.Exposures)), len(a.Exposures),
		func(i int) string { return b.exposure(a.Exposures[i]) })
	b.list(b.countTitle("Failing tests", "失敗中のテスト", len(a.FailingTests)), len(a.FailingTests),
		func(i int) string { return b.test(a.FailingTests[i], failingNames[i]) })
}

func (b *builder) slackHelp(a *handlers.HelpAnswer) {
	b.header(":wave:", b.tr("Todai help", "Todai ヘルプ"))
	b.helpSections(a)
}

// helpSections adds the intro and one section per command (examples included).
func (b *builder) helpSections(a *handlers.HelpAnswer) {
	intro := b.tr("I answer questions about your dbt models from Elementary's results. Ask in English or Japanese:",
		"Elementary の結果から dbt モデルについての質問に答えます。日本語でも英語でも質問できます:")
	if b.summary == "" {
		b.summary = intro
	}
	b.section(intro)
	fs := make([]field, 0, len(a.Commands))
	for _, c := range a.Commands {
		v := Escape(c.Description)
		for _, e := range c.Examples {
			v += "\n" + b.tr("_e.g._ ", "_例:_ ") + code(e)
		}
		fs = append(fs, field{strings.ReplaceAll(Escape(c.Usage), "*", ""), v})
	}
	b.fields(fs...)
}

func (b *builder) slackTests(a *queries.TestsAnswer) {
	b.nodeHeader(":test_tube:", a.Node)
	b.fields(b.ownerFields(a.Node)...)
	if len(a.Tests) == 0 {
		b.summary = b.tr("No tests on it.", "テストはありません。")
		b.section(b.summary)
		return
	}
	failing := 0
	states := make([]queries.TestState, len(a.Tests))
	for i, t := range a.Tests {
		states[i] = t.TestState
		if t.Status == "fail" || t.Status == "error" {
			failing++
		}
	}
	b.summary = b.tr(fmt.Sprintf("%d test(s), %d failing", len(a.Tests), failing),
		fmt.Sprintf("テスト %d 件、うち失敗 %d 件", len(a.Tests), failing))
	names := handlers.StateNames(states)
	b.list(b.countTitle(fmt.Sprintf("Tests, pass rate over %d days", a.WindowDays),
		fmt.Sprintf("テストと %d 日間の合格率", a.WindowDays), len(a.Tests)), len(a.Tests),
		func(i int) string {
			return b.test(a.Tests[i].TestState, names[i]) + " · " + Escape(b.p.PassRate(a.Tests[i]))
		})
}
