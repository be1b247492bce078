package handlers

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/todai-dev/todai/queries"
)

// TestEveryCodeHasWords: every value of the read model's typed codes — cause kinds, next actions, urgency reasons
// — has its own words in English and in Japanese, so that a new code never reaches a reader raw.
func TestEveryCodeHasWords(t *testing.T) {
	en, ja := NewPrinter(LangEN, time.Now(), nil), NewPrinter(LangJA, time.Now(), nil)
	check := func(kind, code, inEN, inJA string) {
		t.Helper()
		if inEN == "" || inEN == code || inEN == Clean(code) || strings.Contains(inEN+inJA, "%!") {
			t.Errorf("%s %s has no English words (%q)", kind, code, inEN)
		}
		if inJA == inEN || !hasJapanese(inJA) {
			t.Errorf("%s %s has no Japanese words (%q)", kind, code, inJA)
		}
	}
	for _, k := range queries.CauseKinds() {
		check("cause kind", string(k), en.CauseKind(k), ja.CauseKind(k))
	}
	for _, r := range queries.Reasons() {
		check("reason", string(r), en.Reason(r), ja.Reason(r))
	}
	for _, a := range queries.NextActions() {
		step := &queries.NextStep{Action: a, Name: "fct_orders"}
		check("next action", string(a), en.NextAction(step), ja.NextAction(step))
	}
	for _, s := range queries.AlertSinces() {
		o := &queries.Occurrence{Since: s}
		check("alert since", string(s), en.AlertSinceWord(o), ja.AlertSinceWord(o))
		check("alert since", string(s), en.AlertSince(o, queries.HealthOK), ja.AlertSince(o, queries.HealthOK))
	}
	for _, sub := range queries.ChartSubjects() {
		c := &queries.Chart{Subject: sub, Metric: "row_count"}
		check("chart subject", string(sub), en.ChartSubject(c), ja.ChartSubject(c))
	}
	for _, code := range queries.ChartSeriesCodes() {
		c := &queries.Chart{}
		check("chart series", string(code), en.SeriesName(c, code), ja.SeriesName(c, code))
	}
	// Codes whose English word is the code itself: in their table, with Japanese words.
	inTable := func(kind string, table phrases, code string) {
		t.Helper()
		if ph, ok := table[code]; !ok || ph[0] == "" || !hasJapanese(ph[1]) {
			t.Errorf("%s %s has no words", kind, code)
		}
	}
	for _, d := range queries.QualityDimensions() {
		inTable("quality dimension", qualityDimensions, string(d))
	}
	for _, v := range queries.NodeVerdicts() {
		inTable("node verdict", nodeVerdicts, string(v))
	}
	for _, h := range queries.HealthReasons() {
		check("health reason", string(h), en.HealthReason(h), ja.HealthReason(h))
	}
	// And nothing is phrased that the read model does not know.
	known := map[string]bool{}
	for _, k := range queries.CauseKinds() {
		known["cause:"+string(k)] = true
	}
	for _, r := range queries.Reasons() {
		known["reason:"+string(r)] = true
	}
	for _, a := range queries.NextActions() {
		known["action:"+string(a)] = true
	}
	for _, sub := range queries.ChartSubjects() {
		known["chart:"+string(sub)] = true
	}
	for _, code := range queries.ChartSeriesCodes() {
		known["series:"+string(code)] = true
	}
	for _, d := range queries.QualityDimensions() {
		known["dimension:"+string(d)] = true
	}
	for _, v := range queries.NodeVerdicts() {
		known["verdict:"+string(v)] = true
	}
	for _, h := range queries.HealthReasons() {
		known["health:"+string(h)] = true
	}
	for table, codes := range map[string]phrases{"cause": causeKinds, "reason": reasons, "action": nextActions,
		"chart": chartSubjects, "series": chartSeries, "dimension": qualityDimensions, "verdict": nodeVerdicts,
		"health": healthReasons} {
		for code := range codes {
			if !known[table+":"+code] {
				t.Errorf("%s %q has words but is not a code of the read model", table, code)
			}
		}
	}
}

func hasJapanese(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) {
			return true
		}
	}
	return false
}
