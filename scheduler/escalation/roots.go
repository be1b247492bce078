package escalation

// Roots groups incidents by root cause: for each unresolved incident whose diagnosed cause (causes, by incident ID)
// is the failure of another unresolved incident of the same team, that incident — the node's own failure (its
// error, its staleness) before a failing test of it, the oldest first; a cause naming a model whose test failed
// finds that test's incident — following roots of roots to the top. An
// incident split out of its root's (Split) is never grouped; acknowledged incidents are left as they are. It is pure.
func Roots(incs []Incident, causes map[int64]Cause) map[int64]Incident {
	// The unresolved incidents by the failure they are about: a model's error or a source's staleness by node, a
	// test's failure by test.
	byFailure := map[string]Incident{}
	better := func(a, b Incident) bool { // a is a better root than b
		if (a.Kind == KindTest) != (b.Kind == KindTest) {
			return a.Kind != KindTest
		}
		return a.ID < b.ID
	}
	for _, inc := range incs {
		if inc.Status == StatusResolved {
			continue
		}
		for _, key := range failureKeys(inc) {
			if cur, ok := byFailure[key]; !ok || better(inc, cur) {
				byFailure[key] = inc
			}
		}
	}
	rootOf := func(inc Incident) (Incident, bool) {
		c, ok := causes[inc.ID]
		if !ok || c.Node == "" {
			return Incident{}, false
		}
		r, ok := byFailure[inc.Team+"\x00"+c.Node]
		if !ok || r.ID == inc.ID {
			return Incident{}, false
		}
		return r, true
	}
	out := map[int64]Incident{}
	for _, inc := range incs {
		if inc.Status != StatusOpen || inc.Split {
			continue
		}
		root, ok := rootOf(inc)
		if !ok {
			continue
		}
		// A root explained by another root: the top one takes them all (a cycle stops where it closes).
		seen := map[int64]bool{inc.ID: true}
		for !seen[root.ID] {
			seen[root.ID] = true
			up, ok := rootOf(root)
			if !ok || root.Split {
				break
			}
			root = up
		}
		if root.ID != inc.ID {
			out[inc.ID] = root
		}
	}
	return out
}

// failureKeys name the failure an incident is about within its team: its node's (a failing test stands for its
// model's failure too, as the diagnosis names the model of an upstream test that failed in a build), and its test's.
func failureKeys(inc Incident) []string {
	keys := []string{inc.Team + "\x00" + inc.NodeID}
	if inc.Kind == KindTest && inc.TestID != "" {
		keys = append(keys, inc.Team+"\x00"+inc.TestID)
	}
	return keys
}
