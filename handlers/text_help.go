package handlers

// renderHelp writes the help answer as terminal text.
func (p *printer) renderHelp(a *HelpAnswer) {
	p.line(p.tr("I answer questions about your dbt models from Elementary's results. Ask in English or Japanese:",
		"Elementary の結果から dbt モデルについての質問に答えます。日本語でも英語でも質問できます:"))
	for _, c := range a.Commands {
		p.line("  " + clean(c.Usage))
		p.line("      " + clean(c.Description))
		for _, e := range c.Examples {
			p.line(p.tr("      e.g. ", "      例: ") + clean(e))
		}
	}
}
