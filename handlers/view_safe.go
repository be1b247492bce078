package handlers

import (
	"fmt"

	"github.com/todai-dev/todai/queries"
)

// viewSafe lays out the safe answer: the verdict, what to tell the audience, why (the reasons, unsafe first), since
// when, whom to ask, and how current the data is against what the audience needs.
func viewSafe(p *Printer, a *queries.SafeAnswer, res Result) View {
	word := p.phrase(safeVerdicts, string(a.Verdict))
	title := p.NodeTitle(a.Node)
	if a.Exposure != nil && a.Exposure.Label != "" {
		title = Clean(a.Exposure.Label) + " (" + p.ResourceType(a.Node.ResourceType) + ")"
	}
	v := View{Mark: HealthMark(safeHealth(a.Verdict)), Title: title, Subtitle: word, Node: &a.Node,
		Summary: Line{Words(p.Tr(upperFirst(word), word))}}
	if len(a.Reasons) > 0 {
		v.Summary = append(v.Summary, Words(p.Tr(": ", ": ")+p.SafeReason(a.Reasons[0].Code)))
	}
	v.Blocks = append(v.Blocks, Note{Label: p.Tr("Tell the audience", "利用者への一言"), Text: Line{Words(p.tellAudience(a))}})
	since := Line{}
	if a.Since != nil {
		since = Line{Words(p.When(*a.Since))}
	}
	need := Line{}
	if a.NeedSeconds != nil {
		need = Line{Words(p.Tr("at most ", "最大 ") + p.Age(*a.NeedSeconds) + p.Tr(" old", "前まで"))}
	}
	data := Line{}
	if d := a.Data; d != nil && d.AsOf != nil {
		data = Line{Words(p.When(*d.AsOf) + " " + p.phrase(dataVerdicts, string(d.Verdict)))}
		if d.Verdict != queries.DataFresh && d.LimitedBy != nil {
			data = append(data, Words(" — "), Datum(d.LimitedBy.Name), Words(p.limitWords(d.LimitedBy.Kind)))
		}
	}
	facts := Facts{p.idFact(a.Node), {Label: p.Tr("Since", "いつから"), Value: since},
		{Label: p.Tr("Data as of", "データの時点"), Value: data}, {Label: p.Tr("Audience needs", "必要な鮮度"), Value: need},
		{Label: p.Tr("Ask", "相談先"), Value: Owners(a.Ask)}}
	if e := a.Exposure; e != nil && e.URL != "" {
		facts = append(facts, Fact{Label: p.Tr("Open", "開く"), Value: Line{Link(e.URL, FirstClean(e.Label, e.Name))}})
	}
	v.Blocks = append(v.Blocks, facts)
	if len(a.Reasons) > 0 {
		item := func(i int) Item {
			x := a.Reasons[i]
			l := Line{HealthMark(safeHealth(x.Code.Verdict())), Words(" " + p.SafeReason(x.Code) + ": "),
				Datum(FirstClean(x.Name, x.UniqueID))}
			if x.Count > 1 {
				l = append(l, Words(p.Tr(fmt.Sprintf(" and %d more", x.Count-1), fmt.Sprintf(" ほか %d 件", x.Count-1))))
			}
			if x.Incident != 0 {
				l = append(l, Words(p.Tr(fmt.Sprintf(" (incident %d)", x.Incident), fmt.Sprintf("（インシデント %d）", x.Incident))))
			}
			if x.Since != nil {
				l = append(l, Words(p.Tr(", since ", "、開始 ")+p.When(*x.Since)))
			}
			if who := Owners(x.Owners); len(who) > 0 {
				l = append(append(l, Words(p.Tr(" — ask ", " — 相談先: "))), who...)
			}
			return Item{Text: l}
		}
		v.Blocks = append(v.Blocks, listOf(p.count("Why", "理由", len(a.Reasons)), len(a.Reasons), item))
	}
	return v
}

// safeHealth is the health mark of a verdict: ok, warn or error.
func safeHealth(v queries.SafeVerdict) queries.Health {
	return markOf(v, queries.Unsafe, queries.Caution)
}

// tellAudience is what to tell the people who look at it, by verdict: don't rely on it (since when, and why),
// use it with care (why), or use it (its data's time).
func (p *Printer) tellAudience(a *queries.SafeAnswer) string {
	name := FirstClean(a.Node.Name, a.Node.UniqueID)
	if a.Exposure != nil {
		name = FirstClean(a.Exposure.Label, a.Exposure.Name)
	}
	asOf := ""
	if a.Data != nil && a.Data.AsOf != nil {
		asOf = p.When(*a.Data.AsOf)
	}
	why := ""
	if len(a.Reasons) > 0 {
		why = p.SafeReason(a.Reasons[0].Code)
	}
	switch a.Verdict {
	case queries.Unsafe:
		if asOf != "" {
			return p.Tr("Don't rely on "+name+" for decisions yet: its numbers stop at "+asOf+" ("+why+"). Todai will say when it is safe again.",
				name+" はまだ判断に使わないでください。数字は "+asOf+" 時点で止まっています（"+why+"）。安全に戻ったら Todai がお知らせします。")
		}
		return p.Tr("Don't rely on "+name+" for decisions yet: "+why+". Todai will say when it is safe again.",
			name+" はまだ判断に使わないでください（"+why+"）。安全に戻ったら Todai がお知らせします。")
	case queries.Caution:
		return p.Tr(name+" can be used, with care: "+why+".", name+" は使えますが、注意してください（"+why+"）。")
	}
	if asOf != "" {
		return p.Tr(name+" is safe to use: its data is as of "+asOf+" and its tests pass.",
			name+" は使って大丈夫です。データは "+asOf+" 時点で、テストも通っています。")
	}
	return p.Tr(name+" is safe to use.", name+" は使って大丈夫です。")
}

// upperFirst capitalises the first letter of an English phrase.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// SafeReason names a reason something is not safe to use.
func (p *Printer) SafeReason(c queries.SafeReasonCode) string {
	return p.phrase(safeReasons, string(c))
}

// HeadsUp is what Todai tells an exposure's audience, unescaped, when it turns unsafe to use ("Revenue dashboard is
// not safe to use: a source stopped loading (stripe.payments), incident 12. …") or, recovered, when it is usable
// again, safe or with care.
func (p *Printer) HeadsUp(a *queries.SafeAnswer, recovered bool) string {
	name := FirstClean(a.Node.Name, a.Node.UniqueID)
	if a.Exposure != nil {
		name = FirstClean(a.Exposure.Label, a.Exposure.Name)
	}
	why := ""
	if len(a.Reasons) > 0 {
		x := a.Reasons[0]
		why = p.SafeReason(x.Code) + p.Tr(" (", "（") + FirstClean(x.Name, x.UniqueID) + p.Tr(")", "）")
	}
	for _, x := range a.Reasons {
		if x.Incident != 0 {
			why += p.Tr(fmt.Sprintf(", incident %d", x.Incident), fmt.Sprintf("、インシデント %d", x.Incident))
			break
		}
	}
	switch {
	case !recovered:
		return p.Tr(name+" is not safe to use: "+why+". Don't rely on it for decisions; Todai will post here when it is safe again.",
			name+" は現在、安全に使える状態ではありません: "+why+"。判断には使わないでください。安全に戻ったらここでお知らせします。")
	case a.Verdict == queries.Caution:
		return p.Tr(name+" can be used again, with care: "+why+".", name+" は再び使えますが、注意してください: "+why+"。")
	}
	return p.Tr(name+" is safe to use again.", name+" は再び使って大丈夫です。")
}
