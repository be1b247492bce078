package handlers

// renderHelp writes the help answer as terminal text.
func (p *Printer) renderHelp(a *HelpAnswer) {
	p.line(p.Tr("I answer questions about your dbt models from Elementary's results. Ask in English or Japanese:",
		"Elementary の結果から dbt モデルについての質問に答えます。日本語でも英語でも質問できます:"))
	for _, c := range a.Commands {
		p.line("  " + Clean(c.Usage))
		p.line("      " + Clean(c.Description))
		for _, e := range c.Examples {
			p.line(p.Tr("      e.g. ", "      例: ") + Clean(e))
		}
	}
}
