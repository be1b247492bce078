package queries

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
)

// anomalyBucket is one time bucket of an anomaly test's result: its metric's value against the expected range.
type anomalyBucket struct {
	end       time.Time
	value     *float64
	low, high *float64
	anomalous bool
	dimension string
}

// anomalyChart charts the buckets of an anomaly test's result (its id in elementary_test_results): the metric per
// bucket, oldest first, the last MaxChartPoints, against the expected range Elementary computed (min_value and
// max_value: for an anomalous bucket, the previous bucket's bounds), the anomalous buckets marked. A dimension
// test's buckets are those of the dimension value that was anomalous last (else the one with the most buckets).
// Nil when the result is not an anomaly test's or has no buckets in the mirror; found says it is an anomaly test's,
// with its metric and column.
func (r *Reader) anomalyChart(ctx context.Context, resultID string) (_ *Chart, found *anomalyResult, _ error) {
	var testType, metric, column, inline *string
	err := r.q.QueryRowContext(ctx, `SELECT test_type, test_sub_type, column_name, result_rows
		FROM elementary_test_results WHERE id = ?`, resultID).Scan(&testType, &metric, &column, &inline)
	if errors.Is(err, sql.ErrNoRows) || str(testType) != "anomaly_detection" {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("anomaly result %s: %w", resultID, err)
	}
	found = &anomalyResult{metric: str(metric), column: str(column)}
	rows, err := r.q.QueryContext(ctx, `SELECT result_row FROM test_result_rows WHERE elementary_test_results_id = ?
		ORDER BY row_index`, resultID)
	if err != nil {
		return nil, found, fmt.Errorf("anomaly buckets of %s: %w", resultID, err)
	}
	defer rows.Close()
	var raw []string
	for rows.Next() {
		var row *string
		if err := rows.Scan(&row); err != nil {
			return nil, found, fmt.Errorf("anomaly buckets of %s: %w", resultID, err)
		}
		if row != nil {
			raw = append(raw, *row)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, found, fmt.Errorf("anomaly buckets of %s: %w", resultID, err)
	}
	if len(raw) == 0 && inline != nil { // an older install: the rows inline, as one JSON array
		var list []json.RawMessage
		if json.Unmarshal([]byte(*inline), &list) == nil {
			for _, x := range list {
				raw = append(raw, string(x))
			}
		}
	}
	buckets := parseBuckets(raw)
	if len(buckets) == 0 {
		return nil, found, nil
	}
	return bucketChart(str(metric), buckets), found, nil
}

// anomalyResult is what an anomaly test's result says it measured.
type anomalyResult struct{ metric, column string }

// metricHistory charts what Elementary's monitor measured for an anomaly test whose result kept no buckets: its
// metric's last MaxChartPoints buckets of the table the test is on (data_monitoring_metrics, the whole table's,
// not a dimension's), without an expected range — the monitor's history does not hold one. Nil when it has none.
func (r *Reader) metricHistory(ctx context.Context, n *nodeInfo, a *anomalyResult) (*Chart, error) {
	c, err := r.catalog(ctx)
	if err != nil {
		return nil, err
	}
	parent := c.byID[n.test.parent]
	if parent == nil || parent.database == "" || parent.schema == "" || parent.alias == "" {
		return nil, nil
	}
	table := strings.ToUpper(parent.database + "." + parent.schema + "." + parent.alias)
	type point struct {
		end   time.Time
		value *float64
	}
	points, err := localdb.Collect(ctx, r.q, "metric history", `SELECT bucket_end, metric_value
		FROM data_monitoring_metrics WHERE full_table_name = ?1 AND metric_name = ?2
		AND upper(coalesce(column_name, '')) = upper(?3) AND dimension IS NULL AND bucket_end IS NOT NULL
		ORDER BY bucket_end DESC LIMIT ?4`, []any{table, a.metric, a.column, MaxChartPoints},
		func(rows *sql.Rows) (point, error) {
			var p point
			var end string
			err := rows.Scan(&end, &p.value)
			if t, ok := parseTime(end); ok {
				p.end = t
			}
			return p, err
		})
	if err != nil || len(points) == 0 {
		return nil, err
	}
	slices.Reverse(points)
	ch := &Chart{Subject: ChartAnomaly, Kind: ChartLine, Step: StepBucket, Unit: metricUnit(a.metric), Metric: a.metric}
	value := ChartSeries{Code: SeriesValue}
	for _, p := range points {
		ch.Categories = append(ch.Categories, p.end)
		value.Values = append(value.Values, p.value)
	}
	ch.Series = []ChartSeries{value}
	return ch, nil
}

// parseBuckets reads the rows of an anomaly test's result: JSON objects whose keys are in the warehouse's case
// (upper on Snowflake), values numbers or numeric text. Rows without a bucket end are left out.
func parseBuckets(raw []string) []anomalyBucket {
	var out []anomalyBucket
	for _, s := range raw {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			continue
		}
		get := func(keys ...string) any {
			for _, k := range keys {
				for key, v := range m {
					if strings.EqualFold(key, k) && v != nil {
						return v
					}
				}
			}
			return nil
		}
		end, ok := anyTime(get("end_time", "bucket_end"))
		if !ok {
			continue
		}
		b := anomalyBucket{end: end, value: anyNumber(get("value", "metric_value")),
			low: anyNumber(get("min_value")), high: anyNumber(get("max_value")),
			anomalous: anyBool(get("is_anomalous")), dimension: scalarString(get("dimension_value"))}
		out = append(out, b)
	}
	return out
}

// bucketChart charts buckets: one dimension value's (see anomalyChart), by bucket end, the last MaxChartPoints.
func bucketChart(metric string, buckets []anomalyBucket) *Chart {
	byDim := map[string][]anomalyBucket{}
	for _, b := range buckets {
		byDim[b.dimension] = append(byDim[b.dimension], b)
	}
	dim := ""
	var lastAnomaly time.Time
	for d, bs := range byDim {
		for _, b := range bs {
			if b.anomalous && b.end.After(lastAnomaly) {
				dim, lastAnomaly = d, b.end
			}
		}
	}
	if lastAnomaly.IsZero() {
		for d, bs := range byDim {
			if len(bs) > len(byDim[dim]) || len(bs) == len(byDim[dim]) && d < dim {
				dim = d
			}
		}
	}
	bs := byDim[dim]
	slices.SortStableFunc(bs, func(x, y anomalyBucket) int { return x.end.Compare(y.end) })
	bs = slices.CompactFunc(bs, func(x, y anomalyBucket) bool { return x.end.Equal(y.end) })
	if len(bs) > MaxChartPoints {
		bs = bs[len(bs)-MaxChartPoints:]
	}
	c := &Chart{Subject: ChartAnomaly, Kind: ChartLine, Step: StepBucket, Unit: metricUnit(metric), Metric: metric,
		Band: &ChartBand{}}
	value := ChartSeries{Code: SeriesValue}
	for i, b := range bs {
		c.Categories = append(c.Categories, b.end)
		value.Values = append(value.Values, b.value)
		c.Band.Low = append(c.Band.Low, b.low)
		c.Band.High = append(c.Band.High, b.high)
		if b.anomalous {
			c.Anomalous = append(c.Anomalous, i)
		}
	}
	c.Series = []ChartSeries{value}
	return c
}

// metricUnit is the unit of an anomaly test's metric.
func metricUnit(metric string) ChartUnit {
	switch metric {
	case "row_count", "dimension", "null_count", "zero_count", "missing_count", "count_true", "count_false":
		return UnitRows
	case "freshness", "event_freshness":
		return UnitSeconds
	}
	return UnitValue
}

func anyNumber(v any) *float64 {
	switch x := v.(type) {
	case float64:
		return &x
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return &f
		}
	}
	return nil
}

func anyBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		b, _ := strconv.ParseBool(strings.TrimSpace(x))
		return b
	}
	return false
}

func anyTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	return elementary.ParseTimestamp(s)
}

// latestResultID is the id of a test's latest result (test_latest's row), "" when it has none.
func (r *Reader) latestResultID(ctx context.Context, testID string) (string, error) {
	var id string
	err := r.q.QueryRowContext(ctx, `SELECT result_id FROM test_latest WHERE test_unique_id = ?`, testID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("latest result of %s: %w", testID, err)
	}
	return id, nil
}

// testChart is a test's picture: an anomaly test's buckets of its latest result (its monitor's metric history when
// the result kept none), else (withHistory) its results per day.
func (r *Reader) testChart(ctx context.Context, n *nodeInfo, withHistory bool) (*Chart, error) {
	id, err := r.latestResultID(ctx, n.UniqueID)
	if err != nil {
		return nil, err
	}
	if id != "" {
		c, found, err := r.anomalyChart(ctx, id)
		if c != nil || err != nil {
			return c, err
		}
		if found != nil {
			if c, err := r.metricHistory(ctx, n, found); c != nil || err != nil {
				return c, err
			}
		}
	}
	if !withHistory {
		return nil, nil
	}
	return r.testHistory(ctx, []string{n.UniqueID}, cmp.Or(r.zoneOf(n), time.UTC))
}

// TestChart returns the chart of a test's latest result when it is an anomaly test's (its buckets against the
// expected range), nil for any other test or node: what an incident notice about the test draws.
func (r *Reader) TestChart(ctx context.Context, testID string) (*Chart, error) {
	return aboutNode(ctx, r, testID, func(r *Reader, _ *catalog, n *nodeInfo) (*Chart, error) {
		if n.test == nil {
			return nil, nil
		}
		return r.testChart(ctx, n, false)
	})
}
