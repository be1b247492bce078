package slackui

import (
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// ChartBlock draws a chart as Slack's data_visualization block: a line chart (an anomaly test's metric with its
// expected range as two more lines, a model's run times with their median) or a bar chart (histories and trends;
// Slack groups the bars it cannot stack). A series without a value in some category carries its nearest value
// there (the words under the chart say the real ones); one without any value is left out. ok is false when the
// chart breaks Slack's limits — the caller then says it in words and attaches a picture instead.
func ChartBlock(c *handlers.Chart, blockID string) (block *slack.DataVisualizationBlock, ok bool) {
	if c == nil || len(c.Categories) == 0 {
		return nil, false
	}
	var series []slack.DataVisualizationDataSeries
	add := func(name string, values []*float64) {
		filled, any := carry(values)
		if !any || len(filled) != len(c.Categories) {
			return
		}
		points := make([]slack.DataVisualizationDataPoint, len(filled))
		for i, v := range filled {
			points[i] = slack.NewDataVisualizationDataPoint(c.Categories[i], v)
		}
		series = append(series, slack.NewDataVisualizationDataSeries(name, points...))
	}
	for _, s := range c.Series {
		add(s.Name, s.Values)
	}
	if c.Band != nil {
		add(handlers.Truncate(c.BandNames[0], 20), c.Band.Low)
		add(handlers.Truncate(c.BandNames[1], 20), c.Band.High)
	}
	if len(series) == 0 {
		return nil, false
	}
	axis := slack.NewDataVisualizationAxisConfig(c.Categories...).WithXLabel(handlers.Truncate(c.XLabel, 50))
	if c.YLabel != "" {
		axis = axis.WithYLabel(handlers.Truncate(c.YLabel, 50))
	}
	var chart slack.DataVisualizationChart
	if c.Kind == queries.ChartLine {
		chart = slack.NewDataVisualizationLineChart(axis, series...)
	} else {
		chart = slack.NewDataVisualizationBarChart(axis, series...)
	}
	block = slack.NewDataVisualizationBlock(c.Title, chart, slack.DataVisualizationBlockOptionBlockID(blockID))
	if err := block.Validate(); err != nil {
		return nil, false
	}
	return block, true
}

// carry fills a series' missing values with the nearest earlier value (the first known one before it), and says
// whether it had any value at all.
func carry(values []*float64) ([]float64, bool) {
	out := make([]float64, len(values))
	first := -1
	for i, v := range values {
		if v != nil {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, false
	}
	last := *values[first]
	for i, v := range values {
		if v != nil {
			last = *v
		}
		out[i] = last
	}
	return out, true
}

// ChartWords says a chart's essentials in l, not yet escaped, a line each: its title, then what it shows.
func ChartWords(l handlers.Lang, c *handlers.Chart) []string {
	p := handlers.NewPrinter(l, time.Time{}, Date)
	out := []string{c.Title}
	for _, line := range c.Summary {
		out = append(out, p.Plain(line))
	}
	return out
}
