package escalation

import "testing"

func TestParseWorkflowWords(t *testing.T) {
	for _, tc := range []struct {
		in  string
		p   Priority
		r   Resolution
		isP bool
		isR bool
	}{
		{in: "High", p: PriorityHigh, isP: true},
		{in: " critical ", p: PriorityCritical, isP: true},
		{in: "urgent"},
		{in: ""},
		{in: "false positive", r: ResolutionFalsePositive, isR: true},
		{in: "No-Action-Needed", r: ResolutionNoAction, isR: true},
		{in: "fixed", r: ResolutionFixed, isR: true},
		{in: "cleared"}, // Todai's, never a person's
	} {
		if p, ok := ParsePriority(tc.in); p != tc.p || ok != tc.isP {
			t.Errorf("ParsePriority(%q) = %q, %v", tc.in, p, ok)
		}
		if r, ok := ParseResolution(tc.in); r != tc.r || ok != tc.isR {
			t.Errorf("ParseResolution(%q) = %q, %v", tc.in, r, ok)
		}
	}
}

func TestPriorityOf(t *testing.T) {
	for _, tc := range []struct {
		likelihood, impact string
		want               Priority
	}{
		{"high", "high", PriorityCritical},
		{"high", "medium", PriorityHigh},
		{"medium", "high", PriorityHigh},
		{"medium", "medium", PriorityNormal},
		{"low", "high", PriorityNormal},
		{"low", "medium", PriorityLow},
		{"low", "low", PriorityLow},
		{"", "high", ""},
	} {
		if got := PriorityOf(tc.likelihood, tc.impact); got != tc.want {
			t.Errorf("PriorityOf(%s, %s) = %q, want %q", tc.likelihood, tc.impact, got, tc.want)
		}
	}
}
