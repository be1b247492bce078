// Package slackui is all of Todai's Block Kit: answers, digests and diagnosed causes as Slack messages, button
// values and their parsing, Slack's escaping and its date tokens. It lays out what handlers says (the answers'
// phrases come from handlers.Printer, so text and Slack word a fact the same way) within Slack's limits; every
// datum is escaped and only the mentions the bot resolved become mentions.
package slackui
