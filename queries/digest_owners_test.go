package queries

import (
	"reflect"
	"testing"
)

func TestDigestOwnersNamed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer DigestAnswer
		want   []string
	}{
		{"problems, flaky tests, actions", DigestAnswer{New: []DigestProblem{{Owners: []string{"@ana"}}},
			Flaky: []FlakyTest{{Owners: []string{"@dee"}}}, Actions: []DigestAction{{Owners: []string{"@eve", "@ana"}}}},
			[]string{"@ana", "@dee", "@eve"}},
		{"no owners", DigestAnswer{}, nil},
	} {
		if got := tc.answer.OwnersNamed(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
