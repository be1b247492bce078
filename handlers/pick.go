package handlers

import (
	"regexp"
	"strconv"
	"strings"
)

// A team named in a question, in English or Japanese.
var (
	reTeamColon = regexp.MustCompile(`(?:^|\s|の)(?:team|チーム)[:=]\s*([A-Za-z0-9_.\-]+|[^\s]+?)(?:\s|$|の|から|で|は|が)`)
	reTeamEN    = regexp.MustCompile(`\b(?:for|of|by|on|from)?\s*(?:the\s+)?team\s+([a-z0-9_.\-]+)\b|\b(?:for|of|by|on|from)\s+(?:the\s+)?([a-z0-9_.\-]+)\s+team\b|^([a-z0-9_.\-]+)\s+team\b`)
	reTeamJA    = regexp.MustCompile(`([A-Za-z0-9_.\-]+)\s*チーム|([\p{Han}\p{Katakana}ー]+?)チーム`)
	// reTeamJAAfter is "チーム NAME", a Latin name written after the word.
	reTeamJAAfter = regexp.MustCompile(`チーム\s*([A-Za-z0-9_.\-]+)`)
)

// parseTeam finds "team:NAME", "team NAME", "NAME team", "NAMEチーム", "チーム NAME" and removes it from lower; the
// team keeps the case it was written in.
func (q *Question) parseTeam(lower, orig string) string {
	for _, re := range []*regexp.Regexp{reTeamColon, reTeamEN, reTeamJA, reTeamJAAfter} {
		m := re.FindStringSubmatchIndex(lower)
		if m == nil {
			continue
		}
		for g := 1; 2*g+1 < len(m); g++ {
			if m[2*g] < 0 {
				continue
			}
			name := lower[m[2*g]:m[2*g+1]]
			if isStopword(name) {
				continue
			}
			if len(orig) == len(lower) {
				name = orig[m[2*g]:m[2*g+1]]
			}
			q.Team = name
			return lower[:m[0]] + " " + lower[m[1]:]
		}
	}
	return lower
}

// digestFiller are words of a digest question that are not the team.
var digestFiller = map[string]bool{"digest": true, "summary": true, "daily": true, "report": true, "todays": true,
	"send": true, "post": true, "run": true}

// parseDigestTeam finds the team of a digest question: "team:NAME", "NAME team", "NAMEチーム", else the first word
// that is not filler ("digest finance", "finance のダイジェスト"); none means the asker's channel's team.
func (q *Question) parseDigestTeam(lower, orig string) {
	rest := q.parseTeam(lower, orig)
	if q.Team != "" {
		return
	}
	for _, tok := range reIdent.FindAllString(rest, -1) {
		tok = strings.TrimRight(tok, ".-")
		if tok == "" || isStopword(tok) || digestFiller[tok] || isNumber(tok) {
			continue
		}
		if len(tok) > MaxNodeLen {
			q.Problem, q.Detail = ProblemBadNode, tok[:MaxNodeLen]+"…"
			return
		}
		q.Team = restoreCase(tok, orig)
		return
	}
}

// parseLimit finds how many runs to show and removes it from lower.
func (q *Question) parseLimit(lower string) string {
	m := reLimit.FindStringSubmatchIndex(lower)
	if m == nil {
		return lower
	}
	for g := 1; 2*g+1 < len(m); g++ {
		if m[2*g] < 0 {
			continue
		}
		n, err := strconv.Atoi(lower[m[2*g]:m[2*g+1]])
		if err != nil || n <= 0 {
			return cut(lower, m)
		}
		q.Limit = min(n, MaxLimit)
		return cut(lower, m)
	}
	return lower
}

// pickNode chooses the node token: the first identifier that is not a stopword, preferring ones that look like
// dbt names (with "_" or "." or digits). The token keeps the case it was written in when lower still lines up with
// orig.
func pickNode(lower, orig string, lang Lang) string {
	var cands []string
	for _, tok := range reIdent.FindAllString(lower, -1) {
		tok = strings.TrimRight(tok, ".-")
		if tok == "" || isStopword(tok) || isNumber(tok) {
			continue
		}
		if lang == LangJA && !looksLikeNode(tok) && isJAFiller(tok) {
			continue
		}
		cands = append(cands, tok)
	}
	if len(cands) == 0 {
		return ""
	}
	best := cands[0]
	for _, c := range cands {
		if looksLikeNode(c) {
			best = c
			break
		}
	}
	return restoreCase(best, orig)
}

// commandArg is the command form's literal argument, for nodes named like English words ("status test"): the
// one token after the command word that is not a preposition or article. A sentence ("why is this stale?") has
// more than one and names no node this way.
func commandArg(lower, orig string) string {
	_, args, _ := strings.Cut(strings.TrimSpace(lower), " ")
	arg := ""
	for _, tok := range reIdent.FindAllString(args, -1) {
		tok = strings.TrimRight(tok, ".-")
		switch tok {
		case "", "of", "for", "on", "the", "a", "an", "about", "in", "is", "me", "please", "pls":
			continue
		}
		if isNumber(tok) {
			continue
		}
		if arg != "" {
			return ""
		}
		arg = tok
	}
	return restoreCase(arg, orig)
}

// restoreCase finds tok in orig case-insensitively and returns it as written there.
func restoreCase(tok, orig string) string {
	lo := strings.ToLower(orig)
	if len(lo) != len(orig) {
		return tok
	}
	for i := 0; i+len(tok) <= len(lo); {
		j := strings.Index(lo[i:], tok)
		if j < 0 {
			break
		}
		s := i + j
		e := s + len(tok)
		before := s == 0 || !isIdentByte(lo[s-1])
		after := e == len(lo) || !isIdentByte(lo[e]) || lo[e] == '.' || lo[e] == '-'
		if before && after {
			return orig[s:e]
		}
		i = s + 1
	}
	return tok
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func looksLikeNode(s string) bool {
	return strings.ContainsAny(s, "_.0123456789")
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func isJAFiller(s string) bool {
	switch s {
	case "dbt", "ok", "test", "tests", "source", "sources", "model", "models":
		return true
	}
	return false
}

// isStopword reports English words that are never a node.
func isStopword(s string) bool {
	switch strings.ToLower(s) {
	case "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done",
		"has", "have", "had", "what", "whats", "what's", "who", "whom", "whose", "which", "when", "where", "why",
		"how", "hows", "of", "for", "on", "in", "at", "to", "from", "by", "with", "about", "into", "onto", "and",
		"or", "not", "no", "it", "its", "it's", "this", "that", "these", "those", "there", "me", "my", "i", "we",
		"our", "us", "you", "your", "please", "pls", "can", "could", "would", "will", "should", "tell", "show",
		"give", "get", "list", "find", "any", "all", "some", "up", "down", "s", "t", "right", "now", "currently",
		"today", "yesterday", "since", "last", "past", "recent", "recently", "latest", "ago", "hour", "hours",
		"day", "days", "week", "weeks", "minutes", "min", "mins",
		"status", "state", "health", "healthy", "ok", "okay", "wrong", "broken", "failing", "failed", "fail",
		"fails", "failure", "failures", "error", "errors", "errored", "issue", "issues", "problem", "problems",
		"working", "green", "red", "good", "fine", "going", "doing", "happening", "owner", "owners", "own",
		"owns", "owned", "responsible", "maintains", "maintainer", "maintainers", "ask", "ping", "contact",
		"run", "runs", "ran", "running", "last-run", "lastrun", "last_run", "built", "build", "updated", "refreshed",
		"history", "test", "tests", "fresh", "freshness", "stale", "late", "behind", "loaded", "date", "data",
		"old", "upstream", "downstream", "feeds", "feed", "feeding", "depends", "depend", "relies", "rely",
		"parents", "parent", "children", "child", "consumers", "consumer", "affected", "impacted", "impact",
		"blast", "radius", "used", "uses", "use", "input", "inputs", "come", "comes", "sources", "source",
		"describe", "description", "docs", "doc", "documentation", "columns", "column", "explain", "definition",
		"mean", "means", "meaning", "contain", "contains", "hold", "info", "urgent", "urgency", "bad", "serious",
		"critical", "important", "priority", "matter", "matters", "care", "root", "cause", "caused", "why's",
		"team", "teams", "model", "models", "table", "tables", "dbt", "node", "help", "todai", "everything",
		"anything", "something", "again", "still", "yet", "so", "very", "really", "just", "out", "if", "break",
		"breaks", "incident", "incidents", "desc", "fresh?", "q", "todays", "thing", "things", "here", "know",
		"want", "need", "see", "check", "look", "looks", "like", "lately", "then", "than", "after", "before",
		"alert", "alerts", "hasn", "haven", "isn", "aren", "wasn", "weren", "didn", "doesn", "don", "won", "one",
		"high", "low", "kind", "sort", "stats", "statistics", "figures", "numbers", "metrics", "acknowledge", "resolve",
		"time", "mtta", "mttr":
		return true
	}
	return false
}
