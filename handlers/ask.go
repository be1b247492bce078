package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries"
)

// ErrorCode classifies an answer that could not be given.
type ErrorCode string

// Error codes.
const (
	CodeNotFound    ErrorCode = "not_found"
	CodeAmbiguous   ErrorCode = "ambiguous"
	CodeBadRequest  ErrorCode = "bad_request"
	CodeUnavailable ErrorCode = "unavailable"
)

// AnswerError is why a question got no answer. Message is in the asker's language; Suggestions are unique_ids.
type AnswerError struct {
	Code        ErrorCode
	Message     string
	Suggestions []string
	// Problem is the parse problem behind a bad_request, if any.
	Problem Problem
}

// SyncWarning says the last sync attempt failed, so the answer comes from an older, good sync.
type SyncWarning struct {
	LastSuccess time.Time
	LastAttempt time.Time
	Error       string
}

// Result is an answered (or refused) question, ready to render.
type Result struct {
	// Intent is the question's intent ("status", "owner" … "help", "unknown").
	Intent string
	Lang   Lang
	// AsOf is when the last successful sync finished: the newest data the answer can reflect. Zero when unknown.
	AsOf time.Time
	// Now is when the question was asked; renderers show times relative to it.
	Now time.Time
	// Zone is the asker's zone, in which text answers show times (UTC when nil). Slack answers use Slack's date
	// tokens instead, which each reader sees in their own zone.
	Zone *time.Location
	// Answer is one of *queries.StatusAnswer, *OwnerAnswer, *LastRunAnswer, *FailuresAnswer, *FreshnessAnswer,
	// *LineageAnswer, *DescribeAnswer, *WhyAnswer, *UrgencyAnswer, or *HelpAnswer; nil when Err is set.
	Answer any
	// Err is set when there is no answer.
	Err *AnswerError
	// Warning is set when the last sync attempt failed and the answer is from the last good sync.
	Warning *SyncWarning
	// Question is what was asked.
	Question Question
	// Alert is, for a question asked under an alert about the node's state (Question.Alert), the run the alert
	// reported and what has happened since; the answer is about that first. Nil otherwise.
	Alert *queries.Occurrence
}

// ExitCode is the CLI exit status for a result: 0 for an answer, 2 when the data is unavailable, 1 otherwise.
func ExitCode(res Result) int {
	switch {
	case res.Err == nil:
		return 0
	case res.Err.Code == CodeUnavailable:
		return 2
	}
	return 1
}

// Ask answers q from r. It never returns a Go error: failures become Result.Err.
func Ask(ctx context.Context, r Reader, q Question, now time.Time) Result {
	now = now.UTC()
	res := Result{Intent: string(q.Intent), Lang: q.Lang, Now: now, Zone: q.Zone, Question: q}
	if res.Intent == "" {
		res.Intent = string(IntentUnknown)
	}
	res.Lang = NormLang(q.Lang)
	res.Question.Lang = res.Lang
	if q.Intent == IntentHelp {
		if r != nil {
			if info, err := r.SyncInfo(ctx); err == nil {
				res.AsOf = info.LastSuccess.UTC()
			}
		}
		res.Answer = Help(res.Lang)
		return res
	}
	switch {
	case SlackOnly(q.Intent):
		// Answered by the Slack bot (and `todai digest`), not from the read model's questions.
		res.Err = &AnswerError{Code: CodeBadRequest, Problem: q.Problem, Message: Tr(res.Lang,
			fmt.Sprintf("`%s` is answered in Slack (/todai %s); for a digest here, run `todai digest --team TEAM`.", q.Intent, q.Intent),
			fmt.Sprintf("`%s` は Slack（/todai %s）で使えます。ここでダイジェストを見るには `todai digest --team TEAM` を実行してください。", q.Intent, q.Intent))}
		return res
	}
	if snap, release, ok := snapshotOf(ctx, r); ok {
		defer release()
		r = snap // one state of the mirror for the whole answer: its node, its answer and its alert's run agree
	}
	if q.Problem == ProblemMissingNode && r != nil {
		// No identifier in the question: it may name its node in words ("the revenue dashboard", 「売上ダッシュボード」).
		if n, err := r.NodeIn(ctx, q.Text, ""); err == nil {
			q.Node, q.Problem = n.UniqueID, ProblemNone
			res.Question = q
		}
	}
	if q.Problem != ProblemNone || q.Intent == IntentUnknown || q.Intent == "" {
		res.Err = badRequest(res.Question)
		return res
	}
	if r == nil {
		res.Err = &AnswerError{Code: CodeUnavailable, Message: Tr(res.Lang, "No data source is configured.",
			"データソースが設定されていません。")}
		return res
	}
	info, err := r.SyncInfo(ctx)
	if err != nil {
		slog.ErrorContext(ctx, "read sync info", "err", err)
		res.Err = &AnswerError{Code: CodeUnavailable, Message: Tr(res.Lang,
			"The local mirror could not be read. Try again in a moment.",
			"ローカルのミラーを読み込めませんでした。しばらくしてからもう一度お試しください。")}
		return res
	}
	if info.LastSuccess.IsZero() {
		res.Err = &AnswerError{Code: CodeUnavailable, Message: Tr(res.Lang,
			"No data yet: Todai has not finished a sync from the warehouse. Run `todai sync` or wait for the next scheduled sync.",
			"まだデータがありません。ウェアハウスからの同期が一度も完了していません。`todai sync` を実行するか、次の定期同期をお待ちください。")}
		return res
	}
	res.AsOf = info.LastSuccess.UTC()
	if info.LastError != "" && !info.LastAttempt.Before(info.LastSuccess) {
		res.Warning = &SyncWarning{LastSuccess: res.AsOf, LastAttempt: info.LastAttempt.UTC(), Error: info.LastError}
	}
	if q.Literal != "" && q.Literal != q.Node {
		// The command form's whole argument names the node when it names one ("status orders; legacy").
		if _, err := r.Resolve(ctx, q.Literal); err == nil {
			q.Node, q.Problem = q.Literal, ProblemNone
			res.Question.Node = q.Node
		}
	}
	if q.Literal == "" && q.Node != "" && q.Intent.nodeUse() != NoNode {
		// A question in words: the word picked may be one of the node's words ("revenue" of "the revenue dashboard").
		if n, err := r.NodeIn(ctx, q.Text, q.Node); err == nil {
			q.Node = n.UniqueID
			res.Question.Node = q.Node
		}
	}
	if q.Intent == IntentLastRun && q.LastSuccess {
		// "When was X updated?": a source's data is updated when it is loaded, so its answer is its freshness.
		if n, err := r.Resolve(ctx, q.Node); err == nil && n.ResourceType == "source" {
			q.Intent, res.Intent = IntentFreshness, string(IntentFreshness)
		}
	}
	answer, err := dispatch(ctx, r, q, now)
	if err != nil {
		res.Err = classify(ctx, res.Lang, q, err)
		return res
	}
	res.Answer = answer
	res.Alert = occurrence(ctx, r, q, answer)
	return res
}

// occurrence finds the run the alert a question was asked under reported, when the intent is about a node's state
// (IntentSpec.AboutRun), and makes an urgency that of the alert (queries.Occurrence.Urgency). Nil otherwise, and
// when it cannot be read: the answer about now still stands, and the failure is logged.
func occurrence(ctx context.Context, r Reader, q Question, answer any) *queries.Occurrence {
	spec, ok := Spec(q.Intent)
	if q.Alert == nil || !ok || !spec.AboutRun || q.Node == "" {
		return nil
	}
	o, err := r.Occurrence(ctx, queries.OccurrenceQuery{Node: q.Node, At: q.Alert.At, Failing: q.Alert.Failing,
		Column: q.Alert.Column, SubType: q.Alert.SubType})
	if err != nil {
		slog.ErrorContext(ctx, "read the alert's run", "node", q.Node, "at", q.Alert.At, "err", err)
		return nil
	}
	if u, ok := answer.(*queries.UrgencyAnswer); ok {
		*u = o.Urgency(*u)
	}
	return &o
}

// snapshotOf pins one state of the mirror when r is the read model; ok is false for any other Reader (a test's),
// and when no snapshot could be taken (the answer's own reads then say why).
func snapshotOf(ctx context.Context, r Reader) (Reader, func(), bool) {
	qr, ok := r.(*queries.Reader)
	if !ok || qr == nil {
		return nil, nil, false
	}
	snap, release, err := qr.Snapshot(ctx)
	if err != nil {
		return nil, nil, false
	}
	return snap, release, true
}

// dispatch asks the read model through the registry's entry for the intent.
func dispatch(ctx context.Context, r Reader, q Question, now time.Time) (any, error) {
	if s, ok := Spec(q.Intent); ok && s.Answer != nil {
		return s.Answer(ctx, r, q, now)
	}
	return nil, fmt.Errorf("intent %q: not answerable", q.Intent)
}

// ptr turns a read model answer into the pointer Result.Answer holds; on error there is no answer.
func ptr[T any](a T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func classify(ctx context.Context, lang Lang, q Question, err error) *AnswerError {
	var nf *queries.NotFoundError
	var amb *queries.AmbiguousError
	var un *queries.UnavailableError
	switch {
	case errors.As(err, &nf):
		name := nf.Name
		if name == "" {
			name = q.Node
		}
		return &AnswerError{Code: CodeNotFound, Message: notFoundMessage(lang, name),
			Suggestions: unique(nf.Suggestions)}
	case errors.As(err, &amb):
		name := amb.Name
		if name == "" {
			name = q.Node
		}
		c := unique(amb.Candidates)
		return &AnswerError{Code: CodeAmbiguous, Suggestions: c, Message: Tr(lang,
			fmt.Sprintf("%q matches %d nodes; ask again with one of the unique_ids below.", Clean(name), len(c)),
			fmt.Sprintf("「%s」に一致するノードが %d 件あります。下の unique_id のどれかで聞き直してください。", Clean(name), len(c)))}
	case errors.As(err, &un):
		return &AnswerError{Code: CodeUnavailable, Message: Tr(lang,
			"No data yet: "+Clean(un.Reason)+".", "まだデータがありません: "+Clean(un.Reason)+"。")}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &AnswerError{Code: CodeUnavailable, Message: Tr(lang,
			"The answer took too long; try again.", "回答に時間がかかりすぎました。もう一度お試しください。")}
	}
	slog.ErrorContext(ctx, "answer question", "intent", string(q.Intent), "node", q.Node, "err", err)
	return &AnswerError{Code: CodeUnavailable, Message: Tr(lang,
		"Something went wrong reading the local mirror; the error has been logged.",
		"ローカルのミラーの読み込み中に問題が発生しました。エラーはログに記録されています。")}
}

func notFoundMessage(lang Lang, name string) string {
	return Tr(lang, fmt.Sprintf("I could not find a node named %q.", Clean(name)),
		fmt.Sprintf("「%s」という名前のノードが見つかりませんでした。", Clean(name)))
}

func badRequest(q Question) *AnswerError {
	l := q.Lang
	e := &AnswerError{Code: CodeBadRequest, Problem: q.Problem}
	switch q.Problem {
	case ProblemTooLong:
		e.Message = Tr(l, fmt.Sprintf("That question is too long (over %d characters). Please ask something shorter.", MaxQuestionRunes),
			fmt.Sprintf("質問が長すぎます（%d 文字を超えています）。短くして聞き直してください。", MaxQuestionRunes))
	case ProblemMissingNode:
		e.Message = Tr(l, fmt.Sprintf("Which model or source? Try: %s", exampleFor(LangEN, q.Intent)),
			fmt.Sprintf("どのモデル・ソースについてですか? 例: %s", exampleFor(LangJA, q.Intent)))
	case ProblemBadNode:
		e.Message = Tr(l, "That node name is too long.", "ノード名が長すぎます。")
	case ProblemBadSince:
		e.Message = Tr(l, fmt.Sprintf("I could not read %q as a time. Use a duration (90m, 24h, 3d, 1w), a date (2026-11-20), a date and time (2026-11-20T18:00Z, or 2026-11-20 18:00 in your time zone), \"yesterday\" or \"today\".", Clean(q.Detail)),
			fmt.Sprintf("「%s」を日時として読めませんでした。90m・24h・3d・1w のような期間、2026-11-20 のような日付、2026-11-20T18:00Z や 2026-11-20 18:00（あなたのタイムゾーン）のような日時、「昨日」「今日」が使えます。", Clean(q.Detail)))
	default:
		e.Message = Tr(l, "I did not understand that. Type `help` to see what I can answer.",
			"すみません、質問を理解できませんでした。「ヘルプ」と送ると使い方を表示します。")
	}
	return e
}

func unique(in []string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, s := range in {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// NormLang maps a language or locale ("ja", "ja-JP", "ja_JP.UTF-8", "en-US", "") to LangJA or LangEN.
func NormLang(l Lang) Lang {
	if len(l) >= 2 && strings.EqualFold(string(l[:2]), "ja") {
		return LangJA
	}
	return LangEN
}

// Tr picks the English or Japanese text.
func Tr(l Lang, en, ja string) string {
	if l == LangJA {
		return ja
	}
	return en
}
