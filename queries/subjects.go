package queries

// Every answer names its subject (the node it is about, when it is about one) and every owner it names — whom its
// message may mention: the bot resolves those to Slack users without knowing each answer's shape.

// Subject is the node the answer is about.
func (a StatusAnswer) Subject() Node { return a.Node }

// Subject is the node the answer is about.
func (a OwnerAnswer) Subject() Node { return a.Node }

// Subject is the node the answer is about.
func (a LastRunAnswer) Subject() Node { return a.Node }

// Subject is the node the answer is about.
func (a LineageAnswer) Subject() Node { return a.Node }

// Subject is the node the answer is about.
func (a DescribeAnswer) Subject() Node { return a.Node }

// Subject is the node the answer is about.
func (a WhyAnswer) Subject() Node { return a.Node }

// Subject is the node the answer is about.
func (a UrgencyAnswer) Subject() Node { return a.Node }

// Subject is the node the answer is about.
func (a TestsAnswer) Subject() Node { return a.Node }

// OwnersNamed lists the owners the answer names, first seen first.
func (a StatusAnswer) OwnersNamed() []string { return ownerList(a.Node.Owners) }

// OwnersNamed lists the owners the answer names: the node's, and its group's owner.
func (a OwnerAnswer) OwnersNamed() []string {
	var group []string
	if a.Group != nil {
		group = []string{a.Group.OwnerEmail}
	}
	return ownerList(a.Owners, a.Node.Owners, group)
}

// OwnersNamed lists the owners the answer names.
func (a LastRunAnswer) OwnersNamed() []string { return ownerList(a.Node.Owners) }

// OwnersNamed lists the owners of every failure listed.
func (a FailuresAnswer) OwnersNamed() []string {
	lists := make([][]string, len(a.Failures))
	for i, f := range a.Failures {
		lists[i] = f.Owners
	}
	return ownerList(lists...)
}

// OwnersNamed lists the owners the answer names: the node's and its exposures'.
func (a LineageAnswer) OwnersNamed() []string {
	return ownerList(a.Node.Owners, exposureOwners(a.Exposures))
}

// OwnersNamed lists the owners the answer names: the node's and its exposures'.
func (a DescribeAnswer) OwnersNamed() []string {
	return ownerList(a.Node.Owners, exposureOwners(a.Exposures))
}

// OwnersNamed lists the owners the answer names: the node's, and whom to ask next.
func (a WhyAnswer) OwnersNamed() []string { return ownerList(a.Node.Owners, nextOwners(a.Next)) }

// OwnersNamed lists the owners the answer names: the node's, its exposures', and whom to ask next.
func (a UrgencyAnswer) OwnersNamed() []string {
	return ownerList(a.Node.Owners, exposureOwners(a.Exposures), nextOwners(a.Next))
}

// OwnersNamed lists the owners the answer names.
func (a TestsAnswer) OwnersNamed() []string { return ownerList(a.Node.Owners) }

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

func exposureOwners(es []Exposure) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.OwnerEmail
	}
	return out
}

func nextOwners(n *NextStep) []string {
	if n == nil {
		return nil
	}
	return n.Owners
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
