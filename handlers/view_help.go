package handlers

// helpIntro opens the help.
func (p *Printer) helpIntro() Line {
	return Line{Words(p.Tr("I answer questions about your dbt models from Elementary's results. Ask in English or Japanese:",
		"Elementary の結果から dbt モデルについての質問に答えます。日本語でも英語でも質問できます:"))}
}

// viewHelp lays out the help: what Todai answers, then each command with its examples.
func viewHelp(p *Printer, a *HelpAnswer, _ Result) View {
	return View{Mark: IconMark(IconHelp), Summary: p.helpIntro(),
		Blocks: []Block{Note{Text: p.helpIntro()}, p.helpFacts(a)}}
}

// helpFacts are the commands: usage, what it answers and its examples.
func (p *Printer) helpFacts(a *HelpAnswer) Facts {
	fs := make(Facts, 0, len(a.Commands))
	for _, c := range a.Commands {
		f := Fact{Label: Clean(c.Usage), Value: Line{Datum(c.Description)}}
		for _, e := range c.Examples {
			f.More = append(f.More, Line{Words(p.Tr("e.g. ", "例: ")), Code(e)})
		}
		fs = append(fs, f)
	}
	return fs
}
