package queries

import (
	"cmp"
	"path"
	"strings"
	"time"
)

// TeamRule says which nodes belong to a team. A node matches when any one criterion matches; rules are tried in
// order and the first match wins.
type TeamRule struct {
	Name string
	// Owners match any of the node's owners, case-insensitively; a leading "@" is ignored on both sides.
	Owners []string
	// Groups match the node's dbt group.
	Groups []string
	// Tags match any of the node's tags.
	Tags []string
	// Paths are globs on the node's path or original path ("marts/finance/*", "models/marts/finance/**").
	Paths []string
	// MetaTeam matches the node's meta.team value.
	MetaTeam []string
	// Location is the team's zone: its nodes' cadences are learned and judged in it (the project's when nil).
	Location *time.Location
	// ExposureFreshness is how old the data behind the team's exposures may be before they are unsafe to use, when
	// an exposure's meta.freshness does not say (0: no need declared).
	ExposureFreshness time.Duration
}

// NodeFacts are what team rules look at.
type NodeFacts struct {
	Owners       []string
	Group        string
	Tags         []string
	Path         string
	OriginalPath string
	MetaTeam     string
}

// Teams maps nodes to teams. The zero value has no rules: a node's team is its meta.team, else its dbt group.
type Teams struct {
	Rules []TeamRule
}

// TeamOf returns the team a node belongs to, or "" when nothing says: the first rule that matches it, else its
// meta.team, else its dbt group — spelled as a rule names that team, when one does in any case ("Finance" in the
// data is the configured "finance").
func (t Teams) TeamOf(n NodeFacts) string {
	for _, r := range t.Rules {
		if r.matches(n) {
			return r.Name
		}
	}
	name := cmp.Or(n.MetaTeam, n.Group)
	if r, ok := t.Rule(name); ok {
		return r.Name
	}
	return name
}

// Rule returns the rule named name (case-insensitively).
func (t Teams) Rule(name string) (TeamRule, bool) {
	for _, r := range t.Rules {
		if strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return TeamRule{}, false
}

func (r TeamRule) matches(n NodeFacts) bool {
	for _, want := range r.Owners {
		for _, have := range n.Owners {
			if ownerKey(want) == ownerKey(have) {
				return true
			}
		}
	}
	for _, g := range r.Groups {
		if n.Group != "" && strings.EqualFold(g, n.Group) {
			return true
		}
	}
	for _, want := range r.Tags {
		for _, have := range n.Tags {
			if strings.EqualFold(want, have) {
				return true
			}
		}
	}
	for _, glob := range r.Paths {
		if globMatch(glob, n.Path) || globMatch(glob, n.OriginalPath) {
			return true
		}
	}
	for _, m := range r.MetaTeam {
		if n.MetaTeam != "" && strings.EqualFold(m, n.MetaTeam) {
			return true
		}
	}
	return false
}

func ownerKey(s string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@"))
}

// globMatch matches a slash-separated path against a glob where "*" stays within one segment and "**" spans any
// number of segments.
func globMatch(glob, p string) bool {
	if p == "" || glob == "" {
		return false
	}
	return matchSegments(strings.Split(glob, "/"), strings.Split(p, "/"))
}

func matchSegments(glob, p []string) bool {
	for len(glob) > 0 {
		if glob[0] == "**" {
			rest := glob[1:]
			for i := 0; i <= len(p); i++ {
				if matchSegments(rest, p[i:]) {
					return true
				}
			}
			return false
		}
		if len(p) == 0 {
			return false
		}
		ok, err := path.Match(glob[0], p[0])
		if err != nil || !ok {
			return false
		}
		glob, p = glob[1:], p[1:]
	}
	return len(p) == 0
}
