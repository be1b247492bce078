package handlers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// withAlert puts the alert a question was asked under first: what its run reported then (status, time, failing
// rows, an anomaly's value, its message) and what has happened since, the latest run where it is another, the
// charts of both; then the answer about now. The summary says what has happened since before the answer's own.
func (p *Printer) withAlert(v View, res Result) View {
	o := res.Alert
	blocks := []Block{Note{Icon: IconAlert, Label: p.Tr("Alert", "アラート"), Text: p.alertThen(o)}}
	if o.Then != nil && o.Then.Message != nil {
		blocks = append(blocks, Note{Label: p.Tr("It reported", "報告内容"), Text: Line{Quote(*o.Then.Message, messageRunes)}})
	}
	blocks = append(blocks, Note{Label: p.Tr("Since", "その後"), Text: Line{Words(p.AlertSince(o, healthNow(res)))}})
	if o.Latest != nil && o.Since != queries.SinceRecovered {
		blocks = append(blocks, Note{Label: p.Tr("Latest run", "最新の実行"), Text: p.briefRun(*o.Latest)})
	}
	if c := p.ChartBlock(o.Chart); c != nil {
		c.Title = p.Tr("At the alert: ", "アラート時: ") + c.Title
		blocks = append(blocks, c)
	}
	if c := p.ChartBlock(o.LatestChart); c != nil {
		c.Title = p.Tr("Latest: ", "最新: ") + c.Title
		blocks = append(blocks, c)
	}
	if o.Chart != nil {
		// The answer's own chart of an anomaly test is its latest run's: drawn above already, or the alert's own.
		v.Blocks = slices.DeleteFunc(v.Blocks, func(b Block) bool {
			c, ok := b.(*Chart)
			return ok && c.Data != nil && c.Data.Subject == queries.ChartAnomaly
		})
	}
	v.Blocks = append(blocks, v.Blocks...)
	v.Summary = append(Line{Words(p.AlertSinceWord(o) + " · ")}, v.Summary...)
	return v
}

// alertThen says what the alert's run reported: "fail 2026-07-01 13:05 UTC (2 days ago), 12 failing rows, value
// 412 (expected 950–1,450)"; or, when the mirror holds no such run, the time asked about.
func (p *Printer) alertThen(o *queries.Occurrence) Line {
	if o.Then == nil {
		return Line{Words(p.When(o.DetectedAt))}
	}
	l := p.briefRun(*o.Then)
	if o.Value != nil {
		c := o.Chart
		value := p.Tr("value ", "値 ") + p.chartValue(c, o.Value)
		if o.Low != nil && o.High != nil {
			value += p.Tr(" (expected ", "（想定 ") + p.chartValue(c, o.Low) + "–" + p.chartValue(c, o.High) + p.Tr(")", "）")
		}
		l = append(l, Words(p.Tr(", ", "、")+value))
	}
	return l
}

// briefRun says a run in a few words: its status, when, and its failing rows.
func (p *Printer) briefRun(r queries.Run) Line {
	l := Line{Status(r.Status), Words(" "), Datum(r.Status), Words(" " + p.WhenPtr(r.CompletedAt))}
	if r.Failures != nil && *r.Failures > 0 {
		l = append(l, Words(p.Tr(", ", "、")+p.FailingRows(*r.Failures)))
	}
	return l
}

// AlertSinceWord names what has happened since an alert in a word or two: "recovered", "still failing".
func (p *Printer) AlertSinceWord(o *queries.Occurrence) string {
	if o.Flaky {
		return p.Tr("Alert flaky", "アラート: 不安定")
	}
	return p.phrase(alertSinces, string(o.Since))
}

// healthNow is the node's health now as the answer says it; "" when the answer does not say.
func healthNow(res Result) queries.Health {
	switch a := res.Answer.(type) {
	case *queries.StatusAnswer:
		return a.Health
	case *queries.WhyAnswer:
		return a.Health
	case *queries.UrgencyAnswer:
		return a.Health
	}
	return ""
}

// AlertSince says what has happened since an alert's run, as plainly as a reader needs it: "recovered — no action
// needed: passed on Jul 2 13:00 and Jul 3 13:00", "still failing — 3 runs in a row, since …", "not run again". now
// is the node's health now ("" when unknown): "no action needed" is said only of a node healthy now, and a node
// with another problem now is said to have one.
func (p *Printer) AlertSince(o *queries.Occurrence, now queries.Health) string {
	pass := p.passWord(o.Kind)
	switch o.Since {
	case queries.SinceRecovered:
		how := p.passedHow(o, pass)
		if o.Flaky {
			return p.Tr(fmt.Sprintf("flaky — it recovered and failed again since the alert (%d flips); %s", o.Flips, how[0]),
				fmt.Sprintf("不安定 — アラート後に回復と失敗を繰り返しています（切り替わり %d 回）。%s", o.Flips, how[1]))
		}
		runs := ""
		if o.RunsSince > len(o.PassedAt) {
			runs = p.Tr(fmt.Sprintf(" (%s since the alert)", p.runsWord(o)), fmt.Sprintf("（アラート後の実行 %s 回）", p.runsCount(o)))
		}
		switch now {
		case queries.HealthOK:
			return p.Tr("recovered — no action needed: "+how[0]+runs, "回復済み — 対応不要です。"+how[1]+runs)
		case "", queries.HealthUnknown:
			return p.Tr("recovered — "+how[0]+runs, "回復済み — "+how[1]+runs)
		}
		return p.Tr("recovered — "+how[0]+runs+"; it has another problem now (below)",
			"回復済み — "+how[1]+runs+"。ただし現在は別の問題があります（下記）")
	case queries.SinceStillFailing:
		since := ""
		if o.FailingSince != nil {
			since = p.Tr(", since "+p.clock(*o.FailingSince), "、"+p.clock(*o.FailingSince)+" から")
		}
		if o.Flaky {
			return p.Tr(fmt.Sprintf("failed again — it recovered after the alert, then failed again (%d flips); %d in a row%s",
				o.Flips, o.Streak, since),
				fmt.Sprintf("再び失敗 — アラート後に一度回復し、また失敗しています（切り替わり %d 回）。%d 回連続%s", o.Flips, o.Streak, since))
		}
		return p.Tr(fmt.Sprintf("still failing — %d in a row%s; %s since the alert", o.Streak, since, p.runsWord(o)),
			fmt.Sprintf("失敗が続いています — %d 回連続%s。アラート後の実行 %s 回", o.Streak, since, p.runsCount(o)))
	case queries.SinceNowFailing:
		since := ""
		if o.FailingSince != nil {
			since = p.Tr(", since "+p.clock(*o.FailingSince), "、"+p.clock(*o.FailingSince)+" から")
		}
		return p.Tr(fmt.Sprintf("failing now — it %s then; %d in a row%s", pass[0], o.Streak, since),
			fmt.Sprintf("現在は失敗しています — このときは%sしていました。%d 回連続%s", pass[1], o.Streak, since))
	case queries.SinceStillPassing:
		return p.Tr(fmt.Sprintf("%s then, and every run since (%s)", pass[0], p.runsWord(o)),
			fmt.Sprintf("このときも%sし、その後の実行もすべて%sしています（%s 回）", pass[1], pass[1], p.runsCount(o)))
	case queries.SinceNotRun:
		return p.Tr("not run again — the alert's run is its latest", "まだ再実行されていません — アラートの実行が最新です")
	}
	return p.Tr("the mirror holds no run of it at that time; below is its state now",
		"ミラーにはその時刻の実行がありません。以下は現在の状態です")
}

// passWord says a run passed, by the alert's kind: a test passed, a model built, a source was fresh.
func (p *Printer) passWord(kind string) [2]string {
	switch kind {
	case "test":
		return [2]string{"passed", "合格"}
	case "source_freshness":
		return [2]string{"fresh", "鮮度OK"}
	}
	return [2]string{"built", "ビルド成功"}
}

// passedHow says how a recovered node has passed since, English then Japanese: "passed on Jul 2 13:00 and Jul 3
// 13:00" when that is every run of its passing streak, else "passed every run since Jul 2 13:00 (the last on …)".
func (p *Printer) passedHow(o *queries.Occurrence, pass [2]string) [2]string {
	if len(o.PassedAt) == 0 {
		return [2]string{pass[0], pass[1]}
	}
	if o.RecoveredAt == nil || o.RecoveredAt.Equal(o.PassedAt[0]) {
		when := p.times(o.PassedAt)
		return [2]string{pass[0] + " on " + when, when + " に" + pass[1]}
	}
	since, last := p.clock(*o.RecoveredAt), p.clock(o.PassedAt[len(o.PassedAt)-1])
	return [2]string{fmt.Sprintf("%s every run since %s (the last on %s)", pass[0], since, last),
		fmt.Sprintf("%s 以降すべての実行で%s（最新 %s）", since, pass[1], last)}
}

// runsWord is "1 run", "3 runs", "1,000+ runs" (more than were counted).
func (p *Printer) runsWord(o *queries.Occurrence) string {
	if o.RunsSince == 1 {
		return "1 run"
	}
	return p.runsCount(o) + " runs"
}

// runsCount is the runs since an alert as a number: "3", "1,000+".
func (p *Printer) runsCount(o *queries.Occurrence) string {
	n := thousands(int64(o.RunsSince))
	if o.Capped {
		n += "+"
	}
	return n
}

// times lists times as "Jul 2 13:00 and Jul 3 13:00" (「7/2 13:00、7/3 13:00」).
func (p *Printer) times(ts []time.Time) string {
	words := make([]string, len(ts))
	for i, t := range ts {
		words[i] = p.clock(t)
	}
	if p.l == LangJA || len(words) < 2 {
		return strings.Join(words, "、")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
