package handlerstest

import (
	"context"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// Health answers "health": team finance (scores, a week's change, weak tests, blind spots), the nodes fct_orders
// (degraded), stg_flaky (caution) and empty (healthy), and the project; any other team is not found.
func (f *Fake) Health(_ context.Context, q queries.HealthQuery) (queries.HealthAnswer, error) {
	f.record("Health team:" + q.Team + " node:" + q.Node)
	since := Now.Add(-7 * 24 * time.Hour)
	if q.Node != "" {
		if err := f.resolve(q.Node); err != nil {
			return queries.HealthAnswer{}, err
		}
		n := f.node(q.Node)
		a := queries.HealthAnswer{Scope: "node", Node: &n, Since: since, Reasons: []queries.HealthReason{}}
		switch q.Node {
		case "empty":
			a.Verdict, a.Total, a.Dimensions = queries.VerdictHealthy, f64(100), dims(map[queries.QualityDimension]float64{
				queries.DimCompleteness: 100}, nil)
		case "stg_flaky":
			n.Name, n.UniqueID = "stg_flaky", "model.jaffle.stg_flaky"
			a.Verdict, a.Reasons = queries.VerdictCaution, []queries.HealthReason{queries.HealthTestsWarning, queries.HealthNoOwner}
			a.Total, a.Dimensions = f64(75), dims(map[queries.QualityDimension]float64{queries.DimValidity: 50,
				queries.DimCompleteness: 100}, nil)
		default:
			a.Verdict, a.Reasons = queries.VerdictDegraded, []queries.HealthReason{queries.HealthTestsFailing,
				queries.HealthDataStale, queries.HealthNoDesc}
			a.Total, a.TotalBefore, a.Change = f64(50), f64(100), f64(-50)
			a.Dimensions = dims(map[queries.QualityDimension]float64{queries.DimUniqueness: 0, queries.DimCompleteness: 100},
				map[queries.QualityDimension]float64{queries.DimUniqueness: 100, queries.DimCompleteness: 100})
			a.Dimensions[2].Lowest = &queries.ScoredTest{UniqueID: "test.jaffle.unique_fct_orders_order_id",
				Name: "unique_fct_orders_order_id", Status: "fail", DetectedAt: Ago(2 * time.Hour), Owners: []string{"@alice"}}
			a.Coverage.Counts = queries.CoverageCounts{Models: 1, ModelsNoDesc: 1}
			a.Coverage.NoDescription = []queries.GapNode{{Node: Model, Downstream: 12}}
		}
		return a, nil
	}
	if q.Team != "" && !strings.EqualFold(q.Team, "finance") {
		return queries.HealthAnswer{}, &queries.NotFoundError{Name: "team:" + q.Team, Suggestions: []string{"finance", "growth"}}
	}
	a := queries.HealthAnswer{Scope: "project", Since: since, Total: f64(71.4), TotalBefore: f64(78.2), Change: f64(-6.8),
		Unclassified: 4, Dimensions: dims(map[queries.QualityDimension]float64{queries.DimFreshness: 50,
			queries.DimCompleteness: 96.5, queries.DimUniqueness: 66.7, queries.DimValidity: 100, queries.DimAccuracy: 44},
			map[queries.QualityDimension]float64{queries.DimFreshness: 100, queries.DimCompleteness: 96.5,
				queries.DimUniqueness: 66.7, queries.DimValidity: 90, queries.DimAccuracy: 38})}
	if q.Team != "" {
		a.Scope, a.Team = "team", "finance"
	}
	a.Dimensions[0].Lowest = &queries.ScoredTest{UniqueID: "source.jaffle.stripe.payments", Name: "stripe.payments",
		Status: "error", DetectedAt: Ago(time.Hour), Owners: []string{"@ingest"}}
	a.Dimensions[4].Lowest = &queries.ScoredTest{UniqueID: "test.jaffle.assert_margin_positive", Name: "assert_margin_positive",
		Status: "fail", DetectedAt: Ago(3 * time.Hour), Owners: []string{"@carol"}}
	a.Coverage = queries.Coverage{Counts: queries.CoverageCounts{Models: 48, ModelsNoTests: 5, ModelsNoOwner: 3,
		ModelsNoDesc: 11, ModelsNotBuilt: 1, Sources: 6, SourcesNoFreshness: 2, Exposures: 4, ExposuresNoOwner: 1},
		NoOwner:     []queries.GapNode{{Node: queries.Node{UniqueID: "model.jaffle.int_margins", Name: "int_margins", ResourceType: "model"}, Downstream: 9}},
		NoTests:     []queries.GapNode{{Node: queries.Node{UniqueID: "model.jaffle.stg_refunds", Name: "stg_refunds", ResourceType: "model"}, Downstream: 4}},
		NoFreshness: []queries.GapNode{{Node: queries.Node{UniqueID: "source.jaffle.erp.ledger", Name: "erp.ledger", ResourceType: "source"}, Downstream: 17}},
		NotBuilt:    []queries.GapNode{{Node: queries.Node{UniqueID: "model.jaffle.legacy_report", Name: "legacy_report", ResourceType: "model"}}},
		// int_margins lacks a description too: one line says both
		NoDescription: []queries.GapNode{{Node: queries.Node{UniqueID: "model.jaffle.int_margins", Name: "int_margins", ResourceType: "model"}, Downstream: 9}},
	}
	return a, nil
}

// dims lays scores (and those of a week before) out in QualityDimensions' order; the others have no tests.
func dims(now, before map[queries.QualityDimension]float64) []queries.DimensionScore {
	var out []queries.DimensionScore
	for _, d := range queries.QualityDimensions() {
		ds := queries.DimensionScore{Dimension: d, Weight: 1}
		if v, ok := now[d]; ok {
			ds.Score, ds.Tests = f64(v), 3
		}
		if v, ok := before[d]; ok {
			ds.Before = f64(v)
		}
		out = append(out, ds)
	}
	return out
}
