// Package handlers owns conversation: it parses a question (command form, English or Japanese free text) into a
// Question, asks the read model (Ask), and renders the Result as terminal text (RenderText) or JSON (RenderJSON).
//
// Parsing and asking are separate from rendering so that other media (Slack Block Kit) can reuse Parse and Ask.
// handlers imports neither bot nor scheduler.
package handlers
