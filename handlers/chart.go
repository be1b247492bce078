package handlers

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// Slack's limits on a chart, which every medium keeps so that they draw the same picture.
const (
	maxChartTitle = 50
	maxChartLabel = 20
)

// Chart is a view's picture in the reader's language: its title, the x axis' labels, each series named, the
// expected band, the anomalous categories, and its essentials in words (Summary), which every medium shows
// whether or not it can draw the picture. Data is the read model's chart, for the media that need its numbers.
type Chart struct {
	Title  string
	Kind   queries.ChartKind
	XLabel string
	YLabel string
	// Categories label the x axis: unique, at most 20 runes each.
	Categories []string
	Series     []ChartSeries
	// Band is the expected range per category (nil when none); BandName names it, BandNames its low and high
	// edges (where a medium draws them as two lines).
	Band      *queries.ChartBand
	BandName  string
	BandNames [2]string
	// Anomalous are the indexes of the anomalous categories.
	Anomalous []int
	// Summary says what the picture shows, a line each.
	Summary []Line
	Data    *queries.Chart
}

// ChartSeries is one series named in the reader's language (at most 20 runes, unique in its chart).
type ChartSeries struct {
	Code   queries.ChartSeriesCode
	Name   string
	Values []*float64
}

func (*Chart) block() {}

// chartSubjects title each kind of chart.
var chartSubjects = phrases{
	string(queries.ChartAnomaly):     {"%s vs expected range", "%sと想定範囲"},
	string(queries.ChartTestHistory): {"Results per day, last %d days", "日別の結果（直近%d日）"},
	string(queries.ChartRunTimes):    {"Run time per run", "実行ごとの実行時間"},
	string(queries.ChartTeamTrend):   {"Failures per day, last %d days", "日別の失敗（直近%d日）"},
}

// chartSeries name each series.
var chartSeries = phrases{
	string(queries.SeriesValue):         {"metric", "測定値"},
	string(queries.SeriesPass):          {"passed", "成功"},
	string(queries.SeriesWarn):          {"warned", "警告"},
	string(queries.SeriesFail):          {"failed", "失敗"},
	string(queries.SeriesRunTime):       {"run time (s)", "実行時間（秒）"},
	string(queries.SeriesMedian):        {"median (s)", "中央値（秒）"},
	string(queries.SeriesFailingTests):  {"failing tests", "失敗したテスト"},
	string(queries.SeriesErroredModels): {"errored models", "エラーのモデル"},
}

// anomalyMetrics name the metrics of Elementary's anomaly tests; others are shown as they are.
var anomalyMetrics = phrases{
	"row_count":          {"Row count", "行数"},
	"freshness":          {"Freshness", "鮮度"},
	"event_freshness":    {"Event freshness", "イベント鮮度"},
	"null_count":         {"Null count", "NULL 件数"},
	"null_percent":       {"Null %", "NULL 率"},
	"not_null_percent":   {"Not-null %", "非 NULL 率"},
	"zero_count":         {"Zero count", "ゼロ件数"},
	"zero_percent":       {"Zero %", "ゼロ率"},
	"average":            {"Average", "平均"},
	"min":                {"Minimum", "最小値"},
	"max":                {"Maximum", "最大値"},
	"standard_deviation": {"Std deviation", "標準偏差"},
	"variance":           {"Variance", "分散"},
	"sum":                {"Sum", "合計"},
	"missing_count":      {"Missing count", "欠損件数"},
	"missing_percent":    {"Missing %", "欠損率"},
	"average_length":     {"Average length", "平均長"},
	"min_length":         {"Min length", "最小長"},
	"max_length":         {"Max length", "最大長"},
	"dimension":          {"Rows by dimension", "ディメンション別行数"},
	"count_true":         {"True count", "true 件数"},
	"count_false":        {"False count", "false 件数"},
}

// ChartSubject titles a chart: "Row count vs expected range".
func (p *Printer) ChartSubject(c *queries.Chart) string {
	ph, ok := chartSubjects[string(c.Subject)]
	if !ok {
		return Clean(string(c.Subject))
	}
	f := p.Tr(ph[0], ph[1])
	switch c.Subject {
	case queries.ChartAnomaly:
		return fmt.Sprintf(f, p.Metric(c.Metric))
	case queries.ChartTestHistory, queries.ChartTeamTrend:
		return fmt.Sprintf(f, len(c.Categories))
	}
	return f
}

// Metric names an anomaly test's metric.
func (p *Printer) Metric(m string) string { return p.phrase(anomalyMetrics, m) }

// SeriesName names a series.
func (p *Printer) SeriesName(c *queries.Chart, code queries.ChartSeriesCode) string {
	if code == queries.SeriesValue && c.Metric != "" {
		return p.Metric(c.Metric)
	}
	return p.phrase(chartSeries, string(code))
}

// ChartBlock lays a chart out in the reader's language: nil for none.
func (p *Printer) ChartBlock(c *queries.Chart) *Chart {
	if c == nil || len(c.Categories) == 0 || len(c.Series) == 0 {
		return nil
	}
	v := &Chart{Title: Truncate(p.ChartSubject(c), maxChartTitle), Kind: c.Kind, Band: c.Band,
		Anomalous: c.Anomalous, Data: c, Categories: p.categoryLabels(c)}
	if c.Band != nil {
		v.BandName = p.Tr("expected range", "想定範囲")
		v.BandNames = [2]string{p.Tr("expected low", "想定下限"), p.Tr("expected high", "想定上限")}
	}
	for _, s := range c.Series {
		v.Series = append(v.Series, ChartSeries{Code: s.Code, Name: Truncate(p.SeriesName(c, s.Code), maxChartLabel),
			Values: s.Values})
	}
	v.XLabel = p.axisZone(c)
	v.Summary = p.chartSummary(c, v.Categories)
	return v
}

// categoryLabels label a chart's categories, unique and short: days as "Nov 20" (JA "11/20"), buckets and runs
// with their time ("Nov 20 14:00") in the reader's zone, the day's own zone for days.
func (p *Printer) categoryLabels(c *queries.Chart) []string {
	day := p.Tr("Jan 2", "1/2")
	layout := day + " 15:04"
	if c.Step == queries.StepDay || allMidnight(c.Categories, p.zone()) {
		layout = day
	}
	labels := make([]string, len(c.Categories))
	seen := map[string]int{}
	for i, t := range c.Categories {
		if c.Step != queries.StepDay {
			t = t.In(p.zone())
		}
		l := t.Format(layout)
		if n := seen[l]; n > 0 { // two runs in one minute
			l += " #" + strconv.Itoa(n+1)
		}
		seen[t.Format(layout)]++
		labels[i] = Truncate(l, maxChartLabel)
	}
	return labels
}

// axisZone names the zone of the x axis' times: "UTC", "JST".
func (p *Printer) axisZone(c *queries.Chart) string {
	if len(c.Categories) == 0 {
		return ""
	}
	t := c.Categories[len(c.Categories)-1]
	if c.Step != queries.StepDay {
		t = t.In(p.zone())
	}
	return p.Tr("time", "時刻") + " (" + t.Format("MST") + ")"
}

// zone is the reader's zone for times shown as text (UTC when unknown).
func (p *Printer) zone() *time.Location {
	if p.loc == nil {
		return time.UTC
	}
	return p.loc
}

func allMidnight(ts []time.Time, loc *time.Location) bool {
	for _, t := range ts {
		if t = t.In(loc); t.Hour() != 0 || t.Minute() != 0 {
			return false
		}
	}
	return true
}

// chartSummary says what a chart shows in words: an anomaly test's anomalous buckets against their expected range
// and its latest value; a history's totals and its days with failures; a model's latest run time against its
// median; a team's failures and its worst day.
func (p *Printer) chartSummary(c *queries.Chart, labels []string) []Line {
	var out []Line
	switch c.Subject {
	case queries.ChartAnomaly:
		value, _ := c.Of(queries.SeriesValue)
		describe := func(i int) string {
			s := labels[i] + ": " + p.chartValue(c, value.Values[i])
			if c.Band != nil && c.Band.Low[i] != nil && c.Band.High[i] != nil {
				s += p.Tr(", expected ", "、想定 ") + p.chartValue(c, c.Band.Low[i]) + "–" + p.chartValue(c, c.Band.High[i])
			}
			return s
		}
		shown := 0
		for _, i := range c.Anomalous {
			if shown == 3 {
				out = append(out, Line{Words(p.Tr(fmt.Sprintf("…and %d more anomalous", len(c.Anomalous)-3),
					fmt.Sprintf("…ほか異常 %d 件", len(c.Anomalous)-3)))})
				break
			}
			out = append(out, Line{Words(p.Tr("Anomalous ", "異常 ") + describe(i))})
			shown++
		}
		if last := len(labels) - 1; last >= 0 && !c.IsAnomalous(last) {
			out = append(out, Line{Words(p.Tr("Latest ", "最新 ") + describe(last))})
		}
		switch {
		case c.Band == nil: // the monitor's history: which bucket was anomalous, and against what, is not known
			out = append(out, Line{Words(p.Tr("The test's result kept no buckets: this is its metric's history, without the expected range.",
				"テスト結果に区間データがないため、想定範囲のない測定値の履歴を表示しています。"))})
		case len(c.Anomalous) == 0:
			out = append(out, Line{Words(p.Tr(fmt.Sprintf("No anomalous bucket among the last %d.", len(labels)),
				fmt.Sprintf("直近 %d 区間に異常はありません。", len(labels))))})
		}
	case queries.ChartTestHistory:
		t := c.Totals
		s := p.Tr(fmt.Sprintf("%d passed, %d warned, %d failed", t[string(queries.SeriesPass)],
			t[string(queries.SeriesWarn)], t[string(queries.SeriesFail)]),
			fmt.Sprintf("成功 %d・警告 %d・失敗 %d", t[string(queries.SeriesPass)], t[string(queries.SeriesWarn)],
				t[string(queries.SeriesFail)]))
		if days := daysWith(c, queries.SeriesFail, labels); len(days) > 0 {
			s += p.Tr("; failed on ", "。失敗した日: ") + strings.Join(days, ", ")
		}
		out = append(out, Line{Words(s)})
	case queries.ChartRunTimes:
		runTime, _ := c.Of(queries.SeriesRunTime)
		med, _ := c.Of(queries.SeriesMedian)
		last := len(runTime.Values) - 1
		if last >= 0 && runTime.Values[last] != nil && med.Values[last] != nil {
			latest, m := *runTime.Values[last], *med.Values[last]
			s := p.Tr(fmt.Sprintf("Latest run %s; median of the last %d: %s", p.Seconds(&latest), len(labels), p.Seconds(&m)),
				fmt.Sprintf("最新の実行 %s、直近 %d 回の中央値 %s", p.Seconds(&latest), len(labels), p.Seconds(&m)))
			if m > 0 && latest >= 1.5*m {
				s += p.Tr(fmt.Sprintf(" (%.1f× the median)", latest/m), fmt.Sprintf("（中央値の %.1f 倍）", latest/m))
			}
			out = append(out, Line{Words(s)})
		}
	case queries.ChartTeamTrend:
		t := c.Totals
		failing, errored := queries.SeriesFailingTests, queries.SeriesErroredModels
		s := p.Tr(fmt.Sprintf("%d tests failed and %d models errored", t[string(failing)], t[string(errored)]),
			fmt.Sprintf("失敗したテスト %d 件・エラーのモデル %d 件", t[string(failing)], t[string(errored)]))
		if i, n := worstDay(c); n > 0 {
			s += p.Tr(fmt.Sprintf("; worst day %s (%d)", labels[i], n), fmt.Sprintf("。最多は %s（%d 件）", labels[i], n))
		}
		out = append(out, Line{Words(s)})
	}
	return out
}

// daysWith labels the categories where the series is above zero.
func daysWith(c *queries.Chart, code queries.ChartSeriesCode, labels []string) []string {
	s, _ := c.Of(code)
	var out []string
	for i, v := range s.Values {
		if v != nil && *v > 0 {
			out = append(out, labels[i])
		}
	}
	return out
}

// worstDay is the category with the most of all series together, and that sum.
func worstDay(c *queries.Chart) (int, int) {
	best, most := 0, 0
	for i := range c.Categories {
		sum := 0
		for _, s := range c.Series {
			if v := s.Values[i]; v != nil {
				sum += int(*v)
			}
		}
		if sum > most {
			best, most = i, sum
		}
	}
	return best, most
}

// chartValue shows one value of a chart in its unit: rows with separators, seconds as an age, counts as integers.
func (p *Printer) chartValue(c *queries.Chart, v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return p.Tr("no value", "値なし")
	}
	switch c.Unit {
	case queries.UnitRows, queries.UnitCount:
		return thousands(int64(math.Round(*v)))
	case queries.UnitSeconds:
		if *v >= 3600 {
			return p.Age(*v)
		}
		return p.Seconds(v)
	}
	return strconv.FormatFloat(*v, 'g', 4, 64)
}

// thousands writes n with comma separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Spark draws the chart in characters, one a category: a history's worst result each day (✗ failed, ! warned,
// ✓ passed, · none), else block characters of the first series of a line chart, or of every series together.
func (c *Chart) Spark() string {
	if c.Data != nil && c.Data.Subject == queries.ChartTestHistory {
		var b strings.Builder
		for i := range c.Categories {
			mark := "·"
			for _, x := range []struct {
				code queries.ChartSeriesCode
				mark string
			}{{queries.SeriesFail, "✗"}, {queries.SeriesWarn, "!"}, {queries.SeriesPass, "✓"}} {
				if s, ok := c.Data.Of(x.code); ok && s.Values[i] != nil && *s.Values[i] > 0 {
					mark = x.mark
					break
				}
			}
			b.WriteString(mark)
		}
		return b.String()
	}
	sums := make([]float64, len(c.Categories))
	for k, s := range c.Series {
		if k > 0 && c.Kind == queries.ChartLine {
			break
		}
		for i, v := range s.Values {
			if v != nil && i < len(sums) {
				sums[i] += *v
			}
		}
	}
	if c.Kind == queries.ChartLine && len(sums) > 0 { // a line's shape: from its lowest value to its highest
		lo, hi := slices.Min(sums), slices.Max(sums)
		for i := range sums {
			sums[i] = sums[i] - lo + (hi-lo)/8
		}
	}
	return queries.SparkOf(sums)
}

// addChart adds the chart's block to the view, when there is one.
func (v *View) addChart(p *Printer, c *queries.Chart) {
	if b := p.ChartBlock(c); b != nil {
		v.Blocks = append(v.Blocks, b)
	}
}

// ChartOf returns the chart an answer carries (nil when it has none).
func ChartOf(res Result) *queries.Chart {
	switch a := res.Answer.(type) {
	case *queries.StatusAnswer:
		return a.Chart
	case *queries.LastRunAnswer:
		return a.Chart
	case *queries.TestsAnswer:
		return a.Chart
	case *queries.WhyAnswer:
		return a.Chart
	case *queries.UrgencyAnswer:
		return a.Chart
	}
	return nil
}
