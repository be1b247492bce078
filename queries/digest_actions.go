package queries

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
)

// finish sorts and caps the lists, builds the trend, the headline status and the actions.
func (d *digestRun) finish() {
	a := d.a
	bySince := func(l []DigestProblem) {
		slices.SortStableFunc(l, func(x, y DigestProblem) int {
			switch {
			case x.Since == nil && y.Since == nil:
			case x.Since == nil:
				return 1
			case y.Since == nil:
				return -1
			case !x.Since.Equal(*y.Since):
				return x.Since.Compare(*y.Since)
			}
			return strings.Compare(x.Node.UniqueID+x.TestUniqueID, y.Node.UniqueID+y.TestUniqueID)
		})
	}
	bySince(a.New)
	bySince(a.StillFailing)
	bySince(a.ModelErrors)
	slices.SortFunc(a.Slow, func(x, y SlowModel) int {
		return cmp.Or(cmp.Compare(y.Ratio, x.Ratio), strings.Compare(x.Node.UniqueID, y.Node.UniqueID))
	})
	sort.Slice(a.Flaky, func(i, j int) bool {
		if a.Flaky[i].Flips != a.Flaky[j].Flips {
			return a.Flaky[i].Flips > a.Flaky[j].Flips
		}
		return a.Flaky[i].TestUniqueID < a.Flaky[j].TestUniqueID
	})
	// Actions: model errors first (they block everything downstream), then stale sources, then failing tests,
	// oldest first.
	for _, p := range a.ModelErrors {
		a.Actions = append(a.Actions, DigestAction{Kind: "fix_model", Node: p.Node, Subject: p.Node.Name,
			SubjectID: p.Node.UniqueID, Owners: p.Owners})
	}
	for _, s := range a.Sources {
		n := d.c.byID[s.UniqueID]
		var node Node
		if n != nil {
			node = n.Node
		}
		a.Actions = append(a.Actions, DigestAction{Kind: "check_source", Node: node, Subject: s.Name,
			SubjectID: s.UniqueID, Owners: node.Owners})
	}
	for _, l := range [][]DigestProblem{a.StillFailing, a.New} {
		for _, p := range l {
			a.Actions = append(a.Actions, DigestAction{Kind: "fix_test", Node: p.Node, Subject: p.TestName,
				SubjectID: p.TestUniqueID, Owners: p.Owners})
		}
	}
	for i := range a.Actions {
		if a.Actions[i].Owners == nil {
			a.Actions[i].Owners = []string{}
		}
	}
	capList(&a.New, digestListCap)
	capList(&a.StillFailing, digestListCap)
	capList(&a.ModelErrors, digestListCap)
	capList(&a.Sources, digestListCap)
	capList(&a.Slow, digestListCap)
	capList(&a.Flaky, digestListCap)
	today := d.now.In(d.loc)
	for i := DigestTrendDays - 1; i >= 0; i-- {
		day := today.AddDate(0, 0, -i).Format("2006-01-02")
		a.Trend = append(a.Trend, TrendDay{Day: day, Problems: d.trend[day]})
	}
	a.Sparkline = Sparkline(a.Trend)
	switch {
	case a.Counts.TestsFail+a.Counts.TestsError > 0 || len(a.ModelErrors) > 0 || len(a.New)+len(a.StillFailing) > 0:
		a.Status = DigestRed
	case len(a.Sources) > 0 || a.Counts.TestsWarn > 0 || a.Counts.ModelsSkipped > 0 || len(a.Slow) > 0 ||
		len(a.Flaky) > 0:
		a.Status = DigestYellow
	default:
		a.Status = DigestGreen
	}
	for _, s := range a.Sources {
		if s.Status == "error" {
			a.Status = DigestRed
		}
	}
}

func capList[T any](l *[]T, n int) {
	if len(*l) > n {
		*l = (*l)[:n]
	}
}

// sparkLevels are the trend's bars, lowest first.
const sparkLevels = "▁▂▃▅▇"

// Sparkline draws the trend's problems per day as bars scaled to the week's maximum (all ▁ when none).
func Sparkline(days []TrendDay) string {
	xs := make([]float64, len(days))
	for i, d := range days {
		xs[i] = float64(d.Problems)
	}
	return SparkOf(xs)
}

// SparkOf draws values in block characters, one each: the lowest level for zero (and less), the others scaled to
// the largest.
func SparkOf(xs []float64) string {
	hi := 0.0
	for _, x := range xs {
		hi = max(hi, x)
	}
	levels := []rune(sparkLevels)
	var b strings.Builder
	for _, x := range xs {
		i := 0
		if hi > 0 && x > 0 {
			i = min(1+int(x*float64(len(levels)-2)/hi), len(levels)-1)
		}
		b.WriteRune(levels[i])
	}
	return b.String()
}

// byRoot makes the top actions the roots to fix, as `why` finds them: a failing test whose diagnosed cause is
// another action's failure (the model that errored upstream of it, a stale source, a test that failed in a build) is
// folded into that action (Downstream), one whose cause is not in the digest names it (Cause). Then the actions
// are capped.
func (d *digestRun) byRoot(ctx context.Context) error {
	a := d.a
	index := make(map[string]int, len(a.Actions))
	for i, x := range a.Actions {
		if x.SubjectID != "" {
			index[x.SubjectID] = i
		}
	}
	folded := make([]bool, len(a.Actions))
	for i := range a.Actions {
		x := &a.Actions[i]
		if x.Kind != "fix_test" || x.SubjectID == "" {
			continue
		}
		diag, err := d.r.Diagnose(ctx, x.SubjectID)
		var unknown *NotFoundError
		if errors.As(err, &unknown) {
			continue // a test the catalog no longer lists: nothing to fold it into
		}
		if err != nil {
			return err
		}
		cause, ok := diag.Root()
		if !ok {
			continue
		}
		if j, found := index[cause.UniqueID]; found && j != i && !folded[j] {
			a.Actions[j].Downstream++
			folded[i] = true
			continue
		}
		x.Cause = &cause
	}
	kept := a.Actions[:0]
	for i, x := range a.Actions {
		if !folded[i] {
			kept = append(kept, x)
		}
	}
	a.Actions = kept
	capList(&a.Actions, digestActions)
	return nil
}

// skips groups the team's skipped models by the root of their skip, as the diagnosis finds it, with the root's team
// and owners: a team is told why its models were skipped even when the root belongs to no team.
func (d *digestRun) skips(ctx context.Context) error {
	byRoot := map[string]*DigestSkip{}
	for _, id := range d.skippedModels {
		n := d.c.byID[id]
		if n == nil {
			continue
		}
		diag, err := d.r.diagnosis(ctx, d.c, n)
		if err != nil {
			return err
		}
		key, skip := "", DigestSkip{Owners: []string{}, Models: []Node{}}
		if root, ok := diag.Root(); ok {
			key, skip.Root = root.UniqueID, &root
			if rn := d.c.byID[root.UniqueID]; rn != nil {
				skip.Team, skip.Owners = rn.Team, slices.Clip(rn.Owners)
			}
		}
		g := byRoot[key]
		if g == nil {
			g = &skip
			byRoot[key] = g
		}
		g.Count++
		if len(g.Models) < digestListCap {
			g.Models = append(g.Models, n.Node)
		}
	}
	for _, g := range byRoot {
		d.a.Skipped = append(d.a.Skipped, *g)
	}
	slices.SortFunc(d.a.Skipped, func(x, y DigestSkip) int {
		rootID := func(s DigestSkip) string {
			if s.Root == nil {
				return "\uffff" // the unexplained last
			}
			return s.Root.UniqueID
		}
		return cmp.Or(cmp.Compare(y.Count, x.Count), strings.Compare(rootID(x), rootID(y)))
	})
	return nil
}
