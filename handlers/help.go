package handlers

// HelpEntry is one command in the help answer.
type HelpEntry struct {
	Intent      string   `json:"intent"`
	Usage       string   `json:"usage"`
	Description string   `json:"description"`
	Examples    []string `json:"examples"`
}

// HelpAnswer answers "help": what Todai can answer, with examples in the asker's language.
type HelpAnswer struct {
	Commands []HelpEntry `json:"commands"`
}

// exampleFor returns an example question for an intent in lang.
func exampleFor(lang Lang, intent Intent) string {
	for _, c := range Help(lang).Commands {
		if c.Intent == string(intent) && len(c.Examples) > 0 {
			return c.Examples[0]
		}
	}
	return Tr(lang, "status fct_orders", "fct_ordersの状態")
}
