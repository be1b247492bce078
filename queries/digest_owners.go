package queries

// A digest names every owner it lists — whom its message may mention: the bot resolves those to Slack users.
// (An answer's owners are the ones its view shows: handlers.View.OwnerKeys.)

// OwnersNamed lists the owners the digest names: of its problems, flaky tests, slow models and actions.
func (a DigestAnswer) OwnersNamed() []string {
	var lists [][]string
	for _, ps := range [][]DigestProblem{a.New, a.StillFailing, a.ModelErrors} {
		for _, p := range ps {
			lists = append(lists, p.Owners, p.Node.Owners)
		}
	}
	for _, f := range a.Flaky {
		lists = append(lists, f.Owners, f.Node.Owners)
	}
	for _, s := range a.Slow {
		lists = append(lists, s.Node.Owners)
	}
	for _, x := range a.Actions {
		lists = append(lists, x.Owners, x.Node.Owners)
	}
	return ownerList(lists...)
}

// ownerList joins owner lists, without blanks or repeats, first seen first.
func ownerList(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, o := range l {
			if o != "" && !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	return out
}
