package handlerstest

import (
	"time"

	"github.com/todai-dev/todai/queries"
)

// DayChart is a chart of days ending on now's day (UTC), one value per series per day, as the read model builds
// them; Totals are each series' sums.
func DayChart(subject queries.ChartSubject, kind queries.ChartKind, now time.Time,
	series map[queries.ChartSeriesCode][]float64, order ...queries.ChartSeriesCode) *queries.Chart {
	n := len(series[order[0]])
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	c := &queries.Chart{Subject: subject, Kind: kind, Step: queries.StepDay, Unit: queries.UnitCount,
		Totals: map[string]int{}}
	for i := n - 1; i >= 0; i-- {
		c.Categories = append(c.Categories, day.AddDate(0, 0, -i))
	}
	for _, code := range order {
		s := queries.ChartSeries{Code: code}
		for _, v := range series[code] {
			s.Values = append(s.Values, f64(v))
			c.Totals[string(code)] += int(v)
		}
		c.Series = append(c.Series, s)
	}
	return c
}

// FlakyHistory is a test's results per day over 14 days: it passes most days and fails on three.
func FlakyHistory() *queries.Chart {
	return DayChart(queries.ChartTestHistory, queries.ChartStackedBar, Now, map[queries.ChartSeriesCode][]float64{
		queries.SeriesPass: {1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0},
		queries.SeriesWarn: {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		queries.SeriesFail: {0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
	}, queries.SeriesPass, queries.SeriesWarn, queries.SeriesFail)
}

// RunTimes is a model's last ten run times, the latest three times its median.
func RunTimes() *queries.Chart {
	times := []float64{11.8, 12.1, 12.6, 11.9, 12.3, 13.0, 12.2, 12.4, 12.0, 36.5}
	c := &queries.Chart{Subject: queries.ChartRunTimes, Kind: queries.ChartLine, Step: queries.StepRun,
		Unit: queries.UnitSeconds}
	med := 12.25
	run, median := queries.ChartSeries{Code: queries.SeriesRunTime}, queries.ChartSeries{Code: queries.SeriesMedian}
	for i, t := range times {
		c.Categories = append(c.Categories, Now.Add(-time.Duration(len(times)-i)*6*time.Hour))
		run.Values = append(run.Values, f64(t))
		median.Values = append(median.Values, &med)
	}
	c.Series = []queries.ChartSeries{run, median}
	return c
}

// AnomalyTest is an Elementary volume anomaly test asked about as a node.
var AnomalyTest = queries.Node{UniqueID: "test.jaffle.elementary_volume_anomalies_fct_orders.9f1c",
	Name: "volume_anomalies_fct_orders", ResourceType: "test", Owners: []string{"@alice"}, Team: "finance"}

// VolumeAnomaly is the row count of fct_orders over 20 hourly buckets against its expected range; the bucket two
// hours ago is anomalous (a drop to 412 rows), its band the previous bucket's, as Elementary writes it.
func VolumeAnomaly() *queries.Chart {
	c := &queries.Chart{Subject: queries.ChartAnomaly, Kind: queries.ChartLine, Step: queries.StepBucket,
		Unit: queries.UnitRows, Metric: "row_count", Band: &queries.ChartBand{}}
	value := queries.ChartSeries{Code: queries.SeriesValue}
	for i := range 20 {
		end := Now.Truncate(time.Hour).Add(-time.Duration(19-i) * time.Hour)
		v, low, high := 1180.0+float64(i%5)*20, 950.0, 1450.0
		if i == 18 {
			v = 412
			c.Anomalous = append(c.Anomalous, i)
		}
		c.Categories = append(c.Categories, end)
		value.Values = append(value.Values, f64(v))
		c.Band.Low, c.Band.High = append(c.Band.Low, f64(low)), append(c.Band.High, f64(high))
	}
	c.Series = []queries.ChartSeries{value}
	return c
}
