package slackui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// Action IDs of the incident workflow's elements. Take it's and Resolve…'s values are the incident's id; Assign… (a
// users_select) carries it in its action ID ("todai_inc_assign_42"); a Severity option's value is "ID:priority".
const (
	ActionIncidentTake     = "todai_inc_take"
	ActionIncidentResolve  = "todai_inc_resolve"
	ActionIncidentAssign   = "todai_inc_assign"
	ActionIncidentSeverity = "todai_inc_severity"
)

// The Resolve… modal: its callback ID, and the blocks and actions of its two inputs. Its private metadata is the
// incident's id and the modal's language, "42:ja".
const (
	CallbackResolve    = "todai_inc_resolve_modal"
	BlockResolution    = "todai_resolution"
	ActionResolution   = "reason"
	BlockResolveNote   = "todai_note"
	ActionResolveNote  = "note"
	maxModalTitleRunes = 24
)

// PriorityWord names a priority in l.
func PriorityWord(l handlers.Lang, p escalation.Priority) string {
	switch p {
	case escalation.PriorityCritical:
		return handlers.Tr(l, "critical", "緊急")
	case escalation.PriorityHigh:
		return handlers.Tr(l, "high", "高")
	case escalation.PriorityNormal:
		return handlers.Tr(l, "normal", "中")
	case escalation.PriorityLow:
		return handlers.Tr(l, "low", "低")
	}
	return Escape(string(p))
}

// ResolutionWord names a resolution in l.
func ResolutionWord(l handlers.Lang, r escalation.Resolution) string {
	return handlers.ResolutionWord(l, string(r))
}

// workLine says who works an unresolved incident and how severe it is: the severity a person set (and who), else
// the one computed from its urgency, said to be computed; then its assignee. "" when there is neither.
func workLine(inc escalation.Incident, computed escalation.Priority, l handlers.Lang) string {
	var parts []string
	switch {
	case inc.Priority != "":
		by := ""
		if inc.PriorityBy != "" {
			by = handlers.Tr(l, " (set by "+actorText(inc.PriorityBy)+")", "（"+actorText(inc.PriorityBy)+" が設定）")
		}
		parts = append(parts, handlers.Tr(l, "Severity: *", "重大度: *")+PriorityWord(l, inc.Priority)+"*"+by)
	case computed != "":
		parts = append(parts, handlers.Tr(l, "Severity: ", "重大度: ")+PriorityWord(l, computed)+
			handlers.Tr(l, " (computed from its urgency)", "（緊急度から算出）"))
	}
	if inc.Assignee != "" {
		parts = append(parts, handlers.Tr(l, "Assignee: ", "担当: ")+actorText(inc.Assignee))
	}
	return strings.Join(parts, " · ")
}

// resolvedLine says how a resolved incident ended: as a person judged it (by whom, with their note), or cleared
// by a later run. "" when the store does not say (resolved before this release).
func resolvedLine(inc escalation.Incident, l handlers.Lang) string {
	switch {
	case inc.Resolution == "":
		return ""
	case inc.Resolution == escalation.ResolutionCleared:
		if inc.ClearedBy == "" {
			return ""
		}
		return handlers.Tr(l, "Cleared by dbt invocation ", "解消した dbt の実行: ") + "`" + Escape(inc.ClearedBy) + "`"
	}
	line := handlers.Tr(l, "Resolved as *"+ResolutionWord(l, inc.Resolution)+"*", "*"+ResolutionWord(l, inc.Resolution)+"* として解決")
	if inc.ResolvedBy != "" {
		line += handlers.Tr(l, " by ", "（") + actorText(inc.ResolvedBy) + handlers.Tr(l, "", "）")
	}
	if inc.ResolutionNote != "" {
		line += ": " + Escape(handlers.Truncate(inc.ResolutionNote, 500))
	}
	return line
}

// workElements are an unresolved incident's workflow elements: Take it and Resolve… buttons, an Assign… user menu
// (showing its assignee) and a Severity menu (showing the severity set, else the computed one).
func workElements(inc escalation.Incident, computed escalation.Priority, l handlers.Lang) (take, resolve slack.BlockElement, menus []slack.BlockElement) {
	id := strconv.FormatInt(inc.ID, 10)
	take = slack.NewButtonBlockElement(ActionIncidentTake, id,
		slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Take it", "担当する"), false, false))
	resolve = slack.NewButtonBlockElement(ActionIncidentResolve, id,
		slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Resolve…", "解決…"), false, false))
	assign := slack.NewOptionsSelectBlockElement(slack.OptTypeUser,
		slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Assign…", "担当者を選ぶ…"), false, false),
		ActionIncidentAssign+"_"+id)
	if ValidUserID(inc.Assignee) {
		assign = assign.WithInitialUser(inc.Assignee)
	}
	var options []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	shown := inc.Priority
	if shown == "" {
		shown = computed
	}
	for _, p := range escalation.Priorities() {
		o := slack.NewOptionBlockObject(id+":"+string(p),
			slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Severity: ", "重大度: ")+PriorityWord(l, p), false, false), nil)
		options = append(options, o)
		if p == shown {
			initial = o
		}
	}
	severity := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic,
		slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Severity…", "重大度…"), false, false),
		ActionIncidentSeverity+"_"+id, options...)
	if initial != nil {
		severity.InitialOption = initial
	}
	return take, resolve, []slack.BlockElement{assign, severity}
}

// ResolveModal is the Resolve… modal of an incident: how it ended (fixed, expected, no action needed, false
// positive) and an optional note of up to escalation.MaxNoteLength characters.
func ResolveModal(inc escalation.Incident, l handlers.Lang) slack.ModalViewRequest {
	var options []*slack.OptionBlockObject
	for _, r := range escalation.Resolutions() {
		options = append(options, slack.NewOptionBlockObject(string(r),
			slack.NewTextBlockObject(slack.PlainTextType, ResolutionWord(l, r), false, false), nil))
	}
	reason := slack.NewRadioButtonsBlockElement(ActionResolution, options...)
	note := slack.NewPlainTextInputBlockElement(
		slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "What happened, what was done", "何が起きて、何をしたか"), false, false),
		ActionResolveNote)
	note.Multiline, note.MaxLength = true, escalation.MaxNoteLength
	noteBlock := slack.NewInputBlock(BlockResolveNote,
		slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Note", "メモ"), false, false), nil, note)
	noteBlock.Optional = true
	title := handlers.Tr(l, "Resolve incident ", "インシデントを解決 ") + "#" + strconv.FormatInt(inc.ID, 10)
	if r := []rune(title); len(r) > maxModalTitleRunes {
		title = handlers.Tr(l, "Resolve incident", "インシデントを解決")
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackResolve,
		PrivateMetadata: strconv.FormatInt(inc.ID, 10) + ":" + string(l),
		Title:           slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Resolve", "解決する"), false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "Cancel", "キャンセル"), false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
				"*"+Escape(IncidentTitle(inc, l))+"* — "+IncidentStatus(inc, l), false, false), nil, nil),
			slack.NewInputBlock(BlockResolution,
				slack.NewTextBlockObject(slack.PlainTextType, handlers.Tr(l, "How did it end?", "どのように解決しましたか?"), false, false), nil, reason),
			noteBlock,
		}},
	}
}

// ResolveErrors are the modal's answers to a submission it cannot take, by block: no reason chosen, a note over
// the limit. Empty when it can be taken.
func ResolveErrors(reason string, note string, l handlers.Lang) map[string]string {
	out := map[string]string{}
	if _, ok := escalation.ParseResolution(reason); !ok {
		out[BlockResolution] = handlers.Tr(l, "Choose how it ended.", "解決の種類を選んでください。")
	}
	if n := len([]rune(note)); n > escalation.MaxNoteLength {
		out[BlockResolveNote] = handlers.Tr(l, fmt.Sprintf("The note is %d characters; at most %d fit.", n, escalation.MaxNoteLength),
			fmt.Sprintf("メモが %d 文字あります。%d 文字までにしてください。", n, escalation.MaxNoteLength))
	}
	return out
}

// Change is one change a person made to an incident, as its thread says it.
type Change struct {
	Incident escalation.Incident
	// Event is taken, assigned, severity or resolved.
	Event string
	Actor string
	At    time.Time
	// Was is the severity before a severity change ("" when Todai's computed one was shown).
	Was escalation.Priority
}

// ChangeText is the one thread line of a change: who did what to which incident, and when (in the reader's zone).
func ChangeText(c Change, l handlers.Lang) string {
	inc, who, title := c.Incident, actorText(c.Actor), "*"+Escape(IncidentTitle(c.Incident, l))+"*"
	var text string
	switch c.Event {
	case "taken":
		text = handlers.Tr(l, "🙋 "+who+" took "+title, "🙋 "+who+" が "+title+" を担当しました")
	case "assigned":
		text = handlers.Tr(l, "👉 "+who+" assigned "+title+" to "+actorText(inc.Assignee),
			"👉 "+who+" が "+title+" を "+actorText(inc.Assignee)+" に割り当てました")
	case "severity":
		was := ""
		if c.Was != "" {
			was = handlers.Tr(l, " (was "+PriorityWord(l, c.Was)+")", "（変更前: "+PriorityWord(l, c.Was)+"）")
		}
		text = handlers.Tr(l, "🏷️ "+who+" set the severity of "+title+" to *"+PriorityWord(l, inc.Priority)+"*"+was,
			"🏷️ "+who+" が "+title+" の重大度を *"+PriorityWord(l, inc.Priority)+"* にしました"+was)
	case "resolved":
		text = handlers.Tr(l, "✅ "+who+" resolved "+title+" as *"+ResolutionWord(l, inc.Resolution)+"*",
			"✅ "+who+" が "+title+" を *"+ResolutionWord(l, inc.Resolution)+"* として解決しました")
		if inc.ResolutionNote != "" {
			text += "\n> " + strings.ReplaceAll(Escape(handlers.Truncate(inc.ResolutionNote, MaxSectionText-500)), "\n", "\n> ")
		}
	default:
		text = who + " " + Escape(c.Event) + " " + title
	}
	return text + " · " + Date(c.At)
}

// NotYours refuses a change to an incident to someone who is not of its team: ask its people (its user group or
// owners, mentioned).
func NotYours(team, ask string, l handlers.Lang) Message {
	en := fmt.Sprintf("Sorry, only team *%s* (or Todai admins) can take, assign, resolve or set the severity of this incident.", Escape(team))
	ja := fmt.Sprintf("申し訳ありません。このインシデントの担当・割り当て・解決・重大度の変更は、チーム *%s*（または Todai の管理者）のみ行えます。", Escape(team))
	if ask != "" {
		en += " Ask " + ask + "."
		ja += " " + ask + " に依頼してください。"
	}
	return Text(handlers.Tr(l, en, ja))
}

// ResolveSubmission is what a Resolve… modal's submission says: the incident, the modal's language, how it ended
// and the note. ok is false when its metadata names no incident (not Todai's modal, or forged).
func ResolveSubmission(view slack.View) (id int64, l handlers.Lang, reason, note string, ok bool) {
	idText, lang, _ := strings.Cut(view.PrivateMetadata, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return 0, "", "", "", false
	}
	values := view.State
	if values != nil {
		reason = values.Values[BlockResolution][ActionResolution].SelectedOption.Value
		note = strings.TrimSpace(values.Values[BlockResolveNote][ActionResolveNote].Value)
	}
	return id, handlers.NormLang(handlers.Lang(lang)), reason, note, true
}
