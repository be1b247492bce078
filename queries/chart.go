package queries

import (
	"math"
	"slices"
	"time"
)

// ChartSubject says what a chart shows; each medium titles and draws it in its own words.
type ChartSubject string

// Chart subjects.
const (
	// ChartAnomaly is an anomaly test's metric per bucket against its expected band.
	ChartAnomaly ChartSubject = "anomaly"
	// ChartTestHistory is a test's (or a node's tests') results per day: pass, warn and fail.
	ChartTestHistory ChartSubject = "test_history"
	// ChartRunTimes is a model's run time per run, with its median.
	ChartRunTimes ChartSubject = "run_times"
	// ChartTeamTrend is a team's failing tests and errored models per day.
	ChartTeamTrend ChartSubject = "team_trend"
)

// ChartSubjects lists every subject.
func ChartSubjects() []ChartSubject {
	return []ChartSubject{ChartAnomaly, ChartTestHistory, ChartRunTimes, ChartTeamTrend}
}

// ChartKind is how a chart is drawn.
type ChartKind string

// Chart kinds.
const (
	ChartLine ChartKind = "line"
	// ChartStackedBar stacks its series in each category (drawn grouped where a medium cannot stack).
	ChartStackedBar ChartKind = "stacked_bar"
	ChartBar        ChartKind = "bar"
)

// ChartStep says what one category is: a day (in the zone the answer is given in), an anomaly test's time bucket,
// or one run.
type ChartStep string

// Chart steps.
const (
	StepDay    ChartStep = "day"
	StepBucket ChartStep = "bucket"
	StepRun    ChartStep = "run"
)

// ChartSeriesCode names a series; each medium says it in its words.
type ChartSeriesCode string

// Series codes.
const (
	SeriesValue         ChartSeriesCode = "value" // an anomaly test's metric
	SeriesPass          ChartSeriesCode = "pass"
	SeriesWarn          ChartSeriesCode = "warn"
	SeriesFail          ChartSeriesCode = "fail" // fail and error results
	SeriesRunTime       ChartSeriesCode = "run_time"
	SeriesMedian        ChartSeriesCode = "median"
	SeriesFailingTests  ChartSeriesCode = "failing_tests"
	SeriesErroredModels ChartSeriesCode = "errored_models"
)

// ChartSeriesCodes lists every series code.
func ChartSeriesCodes() []ChartSeriesCode {
	return []ChartSeriesCode{SeriesValue, SeriesPass, SeriesWarn, SeriesFail, SeriesRunTime, SeriesMedian,
		SeriesFailingTests, SeriesErroredModels}
}

// ChartUnit is the unit of a chart's values.
type ChartUnit string

// Chart units.
const (
	UnitCount   ChartUnit = "count"   // results, tests or models
	UnitSeconds ChartUnit = "seconds" // run time, or an anomaly test's freshness metric
	UnitRows    ChartUnit = "rows"    // an anomaly test's row count
	UnitValue   ChartUnit = "value"   // any other metric
)

// MaxChartPoints is how many categories a chart holds: Slack draws at most 20 points a series.
const MaxChartPoints = 20

// Chart is a picture an answer carries, as data: categories along the x axis (times), series of values (nil where
// a category has none), and for an anomaly test the expected band and the anomalous categories. Each medium draws
// it — Slack as a data_visualization block, the command line as a PNG — and says its essentials in words.
type Chart struct {
	Subject ChartSubject `json:"subject"`
	Kind    ChartKind    `json:"kind"`
	Step    ChartStep    `json:"step"`
	Unit    ChartUnit    `json:"unit"`
	// Metric is an anomaly test's metric (row_count, freshness, null_count …); "" otherwise.
	Metric string `json:"metric,omitempty"`
	// Categories are the times of the points, oldest first: the day's start, the bucket's end, the run's end.
	Categories []time.Time   `json:"categories"`
	Series     []ChartSeries `json:"series"`
	Band       *ChartBand    `json:"band,omitempty"`
	Anomalous  []int         `json:"anomalous,omitempty"` // indexes of the anomalous categories
	// Totals are, for the charts of days, each series' total over them: results for a test's history, distinct
	// tests and models for a team's trend.
	Totals map[string]int `json:"totals,omitempty"`
}

// ChartSeries is one named series of a chart, a value per category.
type ChartSeries struct {
	Code   ChartSeriesCode `json:"code"`
	Values []*float64      `json:"values"`
}

// ChartBand is the range of values expected in each category (an anomaly test's min_value and max_value).
type ChartBand struct {
	Low  []*float64 `json:"low"`
	High []*float64 `json:"high"`
}

// Of returns the series with the code, and whether the chart has it.
func (c *Chart) Of(code ChartSeriesCode) (ChartSeries, bool) {
	for _, s := range c.Series {
		if s.Code == code {
			return s, true
		}
	}
	return ChartSeries{}, false
}

// IsAnomalous reports whether category i is anomalous.
func (c *Chart) IsAnomalous(i int) bool { return slices.Contains(c.Anomalous, i) }

// dayChart builds a chart of days: the last n days up to now's, in loc, each series' count per day (by the
// day's key "2006-01-02" in counts[code]).
func dayChart(subject ChartSubject, kind ChartKind, now time.Time, loc *time.Location, n int,
	codes []ChartSeriesCode, counts map[ChartSeriesCode]map[string]int) *Chart {
	today := startOfDay(now, loc)
	c := &Chart{Subject: subject, Kind: kind, Step: StepDay, Unit: UnitCount, Totals: map[string]int{}}
	for i := n - 1; i >= 0; i-- {
		c.Categories = append(c.Categories, today.AddDate(0, 0, -i))
	}
	for _, code := range codes {
		s := ChartSeries{Code: code, Values: make([]*float64, n)}
		for i, day := range c.Categories {
			v := float64(counts[code][day.Format(time.DateOnly)])
			s.Values[i] = &v
			c.Totals[string(code)] += int(v)
		}
		c.Series = append(c.Series, s)
	}
	return c
}

// median is the median of xs (NaN when empty).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
