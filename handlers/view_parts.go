package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// The parts several views share: a node's facts, a run, a test, a source, a lineage node, an exposure, the next
// step and an overdue build, each as spans.

// messageRunes bounds a run's or a check's message in a list.
const messageRunes = 200

// idFact is the node's unique_id.
func (p *Printer) idFact(n queries.Node) Fact {
	return Fact{Label: "unique_id", Value: Line{Code(n.UniqueID)}}
}

// ownerFacts are the node's owners and team.
func (p *Printer) ownerFacts(n queries.Node) []Fact {
	return []Fact{{Label: p.Tr("Owners", "オーナー"), Value: Owners(n.Owners)},
		{Label: p.Tr("Team", "チーム"), Value: Line{Datum(n.Team)}}}
}

// runLine is a run: its status, when it completed, how long it took, its invocation and job, and failing rows.
func (p *Printer) runLine(r queries.Run) Line {
	l := Line{Status(r.Status), Words(" " + p.WhenPtr(r.CompletedAt))}
	if s := p.Seconds(r.ExecutionTime); s != "" {
		l = append(l, Words(", "+s))
	}
	if r.InvocationID != "" {
		l = append(l, Words(p.Tr(", invocation ", "、実行ID ")), Code(r.InvocationID))
	}
	if r.Invocation != nil && r.Invocation.JobName != "" {
		l = append(l, Words(p.Tr(", job ", "、ジョブ ")), Datum(r.Invocation.JobName))
	}
	if r.Failures != nil && *r.Failures > 0 {
		l = append(l, Words(p.Tr(", ", "、")+p.FailingRows(*r.Failures)))
	}
	return l
}

// runItem is a run with its message under it unless it succeeded.
func (p *Printer) runItem(r queries.Run) Item {
	it := Item{Text: p.runLine(r)}
	if r.Message != nil && !QuietStatus(r.Status) {
		it.Detail = Line{Quote(*r.Message, messageRunes)}
	}
	return it
}

// testLine is a test's latest result; name is how the list names it (StateNames).
func (p *Printer) testLine(t queries.TestState, name string) Line {
	l := Line{Status(t.Status), Words(" "), Strong(name)}
	if t.Column != "" {
		l = append(l, Words(p.Tr(" on ", " 対象カラム ")), Code(t.Column))
	}
	l = append(l, Words(" — "+p.WhenPtr(t.DetectedAt)))
	if st := strings.ToLower(t.Status); t.Severity != "" && st != "pass" && st != "success" {
		l = append(l, Words(" ("), Datum(t.Severity), Words(")"))
	}
	return l
}

// testItem returns the i-th of a list of tests' latest results, named apart from the others (StateNames).
func (p *Printer) testItem(ts []queries.TestState) func(i int) Item {
	names := StateNames(ts)
	return func(i int) Item { return Item{Text: p.testLine(ts[i], names[i])} }
}

// sourceItem is a source's freshness: its status, when it was loaded, its age and thresholds, and the check's
// error under it.
func (p *Printer) sourceItem(s queries.SourceFreshness) Item {
	l := Line{Fresh(s.Status), Words(" "), Strong(FirstClean(s.Name, s.UniqueID)), Words(" — ")}
	if s.MaxLoadedAt != nil {
		l = append(l, Words(p.Tr("loaded ", "最終ロード ")+p.When(*s.MaxLoadedAt)))
	} else {
		l = append(l, Words(p.Tr("never loaded", "ロード記録なし")))
	}
	if s.AgeSeconds != nil {
		l = append(l, Words(p.Tr(", age ", "、経過 ")+p.Age(*s.AgeSeconds)))
	}
	if s.WarnAfter != "" || s.ErrorAfter != "" {
		l = append(l, Words(p.Tr(" (warn after ", "（警告 ")), Datum(OrDash(p.criterion(s.WarnAfter))),
			Words(p.Tr(", error after ", "、エラー ")), Datum(OrDash(p.criterion(s.ErrorAfter))), Words(p.Tr(")", "）")))
	}
	it := Item{Text: l}
	if s.Error != "" {
		it.Detail = Line{Quote(s.Error, messageRunes)}
	}
	return it
}

// lineageItem is a node up- or downstream: its health, name, type and how many hops away.
func (p *Printer) lineageItem(n queries.LineageNode) Item {
	l := Line{HealthMark(n.Health), Words(" "), Datum(FirstClean(n.Name, n.UniqueID))}
	if n.ResourceType != "" {
		l = append(l, Words(" ("+p.ResourceType(n.ResourceType)+")"))
	}
	if n.Depth > 1 {
		l = append(l, Words(p.Tr(fmt.Sprintf(", %d hops away", n.Depth), fmt.Sprintf("、%d 段先", n.Depth))))
	}
	if d := n.Data; d != nil && d.Verdict == queries.DataStale {
		// Who is affected by what stopped upstream: its data, not only its health.
		l = append(l, Words(" "+p.phrase(dataVerdicts, string(d.Verdict))))
		if d.LimitedBy != nil && d.LimitedBy.UniqueID != n.UniqueID {
			l = append(l, Words(p.Tr(" — ", " — ")), Datum(d.LimitedBy.Name), Words(p.limitWords(d.LimitedBy.Kind)))
		}
	}
	return Item{Text: l}
}

// limitWords say what limits a node's data, after the name of the node that limits it: " stopped loading".
func (p *Printer) limitWords(k queries.DataLimitKind) string {
	words := p.phrase(dataLimits, string(k))
	if p.l == LangJA {
		return words
	}
	return " " + words
}

// DataStops says where a node's data stops and why, in one phrase: "its data stops at 2026-12-03 05:00 UTC (3 d
// ago): stripe.payments stopped loading".
func (p *Printer) DataStops(d *queries.DataAsOf) Line {
	l := Line{Words(p.Tr("its data stops at ", "データの時点は ") + p.WhenPtr(d.AsOf))}
	if d.LimitedBy != nil {
		l = append(l, Words(p.Tr(": ", "。")), Datum(d.LimitedBy.Name), Words(p.limitWords(d.LimitedBy.Kind)))
	}
	return l
}

// dataNote says how current a node's data is when it is not simply fresh: stale, with what stopped it, or unknown,
// with what cannot be told.
func (p *Printer) dataNote(d *queries.DataAsOf) []Block {
	if d == nil || d.Verdict == queries.DataFresh {
		return nil
	}
	l := Line{Words(p.phrase(dataVerdicts, string(d.Verdict)) + " ")}
	if d.AsOf != nil {
		l = append(l, p.DataStops(d)...)
	} else if d.LimitedBy != nil {
		l = append(l, Datum(d.LimitedBy.Name), Words(p.limitWords(d.LimitedBy.Kind)))
	}
	return []Block{Note{Label: p.Tr("Data", "データ"), Text: l}}
}

// exposureItem is an exposure: its name, type, owner (mentioned by email) and URL.
func (p *Printer) exposureItem(e queries.Exposure) Item {
	l := Line{Datum(FirstClean(e.Label, e.Name))}
	if e.Type != "" {
		l = append(l, Words(" ("), Datum(e.Type), Words(")"))
	}
	if e.OwnerName != "" || e.OwnerEmail != "" {
		l = append(l, Words(p.Tr(" — owner ", " — オーナー ")),
			Owner(strings.TrimSpace(Clean(e.OwnerName)+" "+Clean(e.OwnerEmail)), e.OwnerEmail))
	}
	if e.URL != "" {
		l = append(l, Words(" "), Datum(e.URL))
	}
	return Item{Text: l}
}

// lineageList is a titled list of lineage nodes, or nil when there are none.
func (p *Printer) lineageList(title string, ns []queries.LineageNode) []Block {
	if len(ns) == 0 {
		return nil
	}
	return []Block{listOf(title, len(ns), func(i int) Item { return p.lineageItem(ns[i]) })}
}

// exposureList is the "Exposures (n)" list, or nil when there are none.
func (p *Printer) exposureList(en, ja string, es []queries.Exposure) []Block {
	if len(es) == 0 {
		return nil
	}
	return []Block{listOf(p.count(en, ja, len(es)), len(es), func(i int) Item { return p.exposureItem(es[i]) })}
}

// testList is a titled list of test results, or nil when there are none.
func (p *Printer) testList(en, ja string, ts []queries.TestState) []Block {
	if len(ts) == 0 {
		return nil
	}
	return []Block{listOf(p.count(en, ja, len(ts)), len(ts), p.testItem(ts))}
}

// nextNote says what to do next and whom to ask, or nothing.
func (p *Printer) nextNote(n *queries.NextStep) []Block {
	if n == nil {
		return nil
	}
	l := Line{Words(p.NextAction(n))}
	if who := Owners(n.Owners); len(who) > 0 {
		l = append(append(l, Words(p.Tr(" — ask ", " — 相談先: "))), who...)
	}
	if n.Runbook != "" {
		l = append(l, Words(p.Tr(" — ", " — ")), Link(n.Runbook, p.Tr("runbook", "手順書")))
	}
	return []Block{Note{Label: p.Tr("Next", "次の一手"), Text: l}}
}

// overdueNote says a node missed its usual build, or nothing.
func (p *Printer) overdueNote(o *queries.Overdue) []Block {
	if o == nil {
		return nil
	}
	return []Block{Note{Icon: IconOverdue, Label: p.Tr("Overdue", "遅延"), Text: Line{Words(p.Overdue(o))}}}
}

// pipelineNote says, once and first, that the whole dbt pipeline stopped.
func (p *Printer) pipelineNote(s *queries.PipelineStop) []Block {
	if s == nil {
		return nil
	}
	return []Block{Note{Icon: IconStopped, Label: p.Tr("Pipeline stopped", "パイプライン停止"), Text: Line{Words(p.PipelineStop(s))}}}
}

// PipelineStop says that no dbt run of any job came since the last one: "no dbt run of any job since 2026-12-03
// 05:00 UTC (3 d ago; the last: job nightly) — check the orchestrator".
func (p *Printer) PipelineStop(s *queries.PipelineStop) string {
	last := ""
	if s.JobName != "" {
		last = p.Tr("; the last: job ", "、最後はジョブ ") + Clean(s.JobName)
	}
	return p.Tr("no dbt run of any job since ", "どのジョブの dbt 実行もありません。最後の開始 ") + p.When(s.Since) + last +
		p.Tr(" — check the orchestrator", " — オーケストレーターを確認してください")
}

// nodeState is what a node's own answer opens with: its health, its build (overdue or not), the pipeline's state,
// and how current its data is.
type nodeState struct {
	node     queries.Node
	health   queries.Health
	overdue  *queries.Overdue
	pipeline *queries.PipelineStop
	data     *queries.DataAsOf
	// built is its last successful build, when the answer knows it.
	built *time.Time
}

// healthView opens a node's own answer: the stopped pipeline first when it stopped, its health as mark and
// subtitle, the overdue note and how current its data is. The summary is the stopped pipeline of an overdue node,
// else its stale data ("built 1 h ago, but its data stops at … : stripe.payments stopped loading"), else the
// overdue build, else the health.
func (p *Printer) healthView(s nodeState) View {
	n := s.node
	v := View{Mark: HealthMark(s.health), Title: p.NodeTitle(n), Subtitle: p.HealthWord(s.health), Node: &n,
		Summary: Line{Words(p.HealthWord(s.health))}}
	v.Blocks = append(append(p.pipelineNote(s.pipeline), p.overdueNote(s.overdue)...), p.dataNote(s.data)...)
	switch d := s.data; {
	case s.overdue != nil && s.pipeline != nil:
		v.Summary = Line{Words(p.Tr("Pipeline stopped: ", "パイプライン停止: ") + p.PipelineStop(s.pipeline))}
	case d != nil && d.Verdict == queries.DataStale && d.LimitedBy != nil && d.LimitedBy.UniqueID != n.UniqueID:
		v.Summary = Line{}
		if s.built != nil {
			v.Summary = Line{Words(p.Tr("Built "+Relative(p.l, *s.built, p.now)+", but ",
				Relative(p.l, *s.built, p.now)+"にビルドされましたが、"))}
		}
		v.Summary = append(v.Summary, p.DataStops(d)...)
	case s.overdue != nil:
		v.Summary = Line{Words(p.Tr("Overdue: ", "遅延: ") + p.Overdue(s.overdue))}
	}
	return v
}
