package handlers

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxQuestionRunes is the longest question Parse accepts; longer text is refused with ProblemTooLong.
const MaxQuestionRunes = 2000

// MaxNodeLen bounds a node or team token.
const MaxNodeLen = 256

// DefaultLimit is how many runs last-run shows when the question does not say.
const DefaultLimit = 5

// MaxLimit is the most runs last-run shows.
const MaxLimit = 50

// Lang is the asker's language.
type Lang string

// Languages.
const (
	LangEN Lang = "en"
	LangJA Lang = "ja"
)

// Problem says why a question cannot be asked as written.
type Problem string

// Problems.
const (
	ProblemNone        Problem = ""
	ProblemTooLong     Problem = "too_long"     // over MaxQuestionRunes
	ProblemMissingNode Problem = "missing_node" // the intent needs a node and none was given
	ProblemBadNode     Problem = "bad_node"     // the node token is too long
	ProblemBadSince    Problem = "bad_since"    // "since" was followed by something that is not a duration or date
	ProblemUnknown     Problem = "unknown"      // no intent recognised
)

// Question is a parsed question.
type Question struct {
	Intent Intent
	// Node is the node (or, for freshness, the source) asked about, as written: a name or a unique_id.
	Node string
	// Team scopes failures to a team.
	Team string
	// Since starts the failures window.
	Since Since
	// Limit is how many runs last-run shows (DefaultLimit when not given).
	Limit int
	// Lang is "ja" when the text holds kana or kanji, else "en".
	Lang Lang
	// Zone is the asker's time zone: dates and times written without a zone are read in it, and text answers show
	// times in it. Nil means UTC. Parse leaves it nil; the caller that knows the asker sets it.
	Zone *time.Location
	// Command is true when the question carries no language of its own: the command form ("status x"), or empty.
	// Callers may then answer in a configured default language instead of Lang.
	Command bool
	// Public asks for the answer to be shown to everyone (Slack: in channel, not ephemeral); "--public".
	Public bool
	// Args is the rest of a mute or incident command after its command word, as written (case kept).
	Args string
	// LastSuccess asks when the node was last updated ("when was X updated?", 「いつ更新された?」): for a model its
	// last successful build, for a source its newest loaded data (freshness).
	LastSuccess bool
	// Literal is, in the command form of an intent about a node, everything after the command word as written
	// (quotes, spaces and semicolons kept: some aliases hold them). Ask tries it as the node first; only when it
	// names nothing does Node, the node picked out of the words, apply.
	Literal string
	// Problem says why the question cannot be asked; Detail holds the offending token, if any.
	Problem Problem
	Detail  string
	// Text is the normalised question (empty when it was too long).
	Text string
	// Alert is the alert the question was asked under (edr monitor's alert or Todai's notice heading its thread), or
	// the past run `todai ask --at` names: an answer about the node's state then starts with that run and what has
	// happened since. Nil for a question about now. The caller that knows the thread sets it; Parse leaves it nil.
	Alert *AlertAt
}

// AlertAt names the run an alert reported: the newest run at or before At (see queries.OccurrenceQuery).
type AlertAt struct {
	// At is when the run happened: the alert's detected time, else when it was posted.
	At time.Time
	// Failing says the alert reported a failure, so its run is the newest one at or before At that did not pass.
	Failing bool
	// Column and SubType are the series of a test's results the alert is about (queries.ResultSeries); "" for all.
	Column, SubType string
}

// Parse turns a question into a Question. It never fails: problems are reported in Question.Problem.
func Parse(text string) Question {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, " ") // a space, so that the bytes around it are not joined into one token
	}
	if utf8.RuneCountInString(text) > MaxQuestionRunes {
		q := Question{Intent: IntentUnknown, Lang: detectLang(text[:min(len(text), 4*MaxQuestionRunes)]),
			Problem: ProblemTooLong, Limit: DefaultLimit}
		return q
	}
	norm := normalize(text)
	q := Question{Lang: detectLang(norm), Limit: DefaultLimit, Text: norm}
	work := " " + norm + " "
	if reFlagPublic.MatchString(work) {
		q.Public = true
		work = reFlagPublic.ReplaceAllString(work, " ")
	}
	if reBarePublic.MatchString(strings.TrimSpace(work)) {
		// "public" as the first or last word also asks for a public answer ("/todai status x public").
		q.Public = true
		work = reBarePublic.ReplaceAllString(strings.TrimSpace(work), " ")
	}
	work = trimEndPunct(dropAddress(work))
	if work == "" {
		q.Intent, q.Command = IntentHelp, true
		return q
	}
	lower := strings.ToLower(work)

	q.Intent = commandIntent(lower)
	command := q.Intent != ""
	q.Command = command && q.Lang == LangEN
	if q.Intent == "" {
		if q.Lang == LangJA {
			q.Intent = phrasedIntent(lower, LangJA)
		} else {
			q.Intent = phrasedIntent(lower, LangEN)
		}
	}
	// What else the question gives is what its intent's registry entry says it takes.
	spec, known := Spec(q.Intent)
	switch {
	case spec.Args.has(ArgText):
		if command {
			_, q.Args, _ = strings.Cut(work, " ")
			q.Args = strings.TrimSpace(q.Args)
		}
		return q
	case spec.Args.has(ArgTeamWord):
		q.parseDigestTeam(lower, work)
		return q
	case known && spec.Node == NoNode && spec.Args == 0:
		return q // it takes nothing (help)
	}

	if command && spec.Node != NoNode {
		q.Literal = commandLiteral(text)
	}
	// Strip the parts that are not the node: team, since, limit.
	rest := lower
	if spec.Args.has(ArgTeam) {
		rest = q.parseTeam(rest, work)
	}
	if spec.Args.has(ArgSince) {
		rest = q.parseSince(rest)
	}
	if spec.Args.has(ArgLimit) {
		rest = q.parseLimit(rest)
	}
	if spec.Args.has(ArgUpdated) {
		q.LastSuccess = reUpdatedEN.MatchString(lower) || reUpdatedJA.MatchString(lower)
	}
	if q.Team != "" || q.Since.Kind != SinceNone || q.Limit != DefaultLimit || q.Problem != ProblemNone {
		q.Literal = "" // the argument held a team, a window or a count: it is not one name
	}
	node := pickNode(rest, work, q.Lang)
	if node == "" && command && q.Intent.needsNode() {
		node = commandArg(rest, work)
	}
	if len(node) > MaxNodeLen {
		q.Problem, q.Detail = ProblemBadNode, node[:MaxNodeLen]+"…"
		return q
	}
	q.Node = node
	if q.Intent == "" || q.Intent == IntentUnknown {
		if node != "" && (looksLikeNode(node) || strings.EqualFold(node, work)) {
			q.Intent = IntentStatus
		} else {
			q.Intent, q.Node = IntentUnknown, ""
			if q.Problem == ProblemNone {
				q.Problem = ProblemUnknown
			}
			return q
		}
	}
	if q.Problem == ProblemNone && q.Intent.needsNode() && q.Node == "" {
		q.Problem = ProblemMissingNode
	}
	return q
}

var (
	// reUpdatedEN and reUpdatedJA ask when data was last updated (not when it last ran).
	reUpdatedEN = regexp.MustCompile(`\bwhen (was|were|did|is)\b.*\b(updated?|refreshed|refresh|loaded|rebuilt)\b|\blast (updated|refreshed|loaded)\b|\blast (update|refresh)\b`)
	reUpdatedJA = regexp.MustCompile(`いつ更新|最終更新|いつ最新|最後に更新|最後の更新`)
)
