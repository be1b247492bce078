// Package chartpng draws an answer's chart as a PNG image, in Go, for the media that cannot draw it themselves:
// the command line (`todai ask --chart FILE`) and Slack where its chart block is refused or too small. It draws
// with gonum/plot and the Liberation fonts it ships; labels in Japanese need a font with those glyphs, configured
// as a file (charts.font) — without one, a chart is drawn with English labels, never with empty boxes.
package chartpng

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"
	"time"
	"unicode"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/queries"
)

// Size of the images: wide enough for 20 labelled points, small enough for a Slack thread.
const (
	width  = 8 * vg.Inch
	height = 4 * vg.Inch
	dpi    = 96
)

// Renderer draws charts. Make it with New; it is safe for concurrent use.
type Renderer struct {
	fonts    *font.Cache
	typeface font.Typeface
	// face is the configured font (nil: Liberation Sans only, and labels in English).
	face *opentype.Font
}

// customTypeface names the configured font in the renderer's font cache.
const customTypeface = "Configured"

// New returns a renderer drawing with the font in the file at fontFile (a TrueType or OpenType font, or the first
// font of a collection: .ttc), or with Liberation Sans when fontFile is "".
func New(fontFile string) (*Renderer, error) {
	r := &Renderer{fonts: font.NewCache(liberation.Collection()), typeface: "Liberation"}
	if fontFile == "" {
		return r, nil
	}
	raw, err := os.ReadFile(fontFile)
	if err != nil {
		return nil, fmt.Errorf("chart font: %w", err)
	}
	face, err := opentype.Parse(raw)
	if err != nil {
		coll, cerr := opentype.ParseCollection(raw)
		if cerr != nil {
			return nil, fmt.Errorf("chart font %s: not a TrueType, OpenType or collection font: %w", fontFile, err)
		}
		if face, err = coll.Font(0); err != nil {
			return nil, fmt.Errorf("chart font %s: %w", fontFile, err)
		}
	}
	r.face, r.typeface = face, customTypeface
	r.fonts.Add(font.Collection{{Font: font.Font{Typeface: customTypeface}, Face: face}})
	return r, nil
}

// Missing returns the runes of s the renderer's font has no glyph for (spaces aside).
func (r *Renderer) Missing(s string) []rune {
	face := r.face
	if face == nil {
		face = r.fonts.Lookup(font.Font{Typeface: "Liberation", Variant: "Sans"}, 10).Face
	}
	var buf sfnt.Buffer
	var out []rune
	for _, c := range s {
		if unicode.IsSpace(c) {
			continue
		}
		if i, err := face.GlyphIndex(&buf, c); err != nil || i == 0 {
			out = append(out, c)
		}
	}
	return out
}

// Labels returns every text the image of c holds: its title, axis label, category labels and series names.
func Labels(c *handlers.Chart) []string {
	out := append([]string{c.Title, c.XLabel, c.YLabel}, c.Categories...)
	for _, s := range c.Series {
		out = append(out, s.Name)
	}
	if c.Band != nil {
		out = append(out, c.BandName)
	}
	return out
}

// View lays c out for the image in lang, or in English when the renderer's font cannot draw every label of it.
// zone is the reader's zone for the times of buckets and runs (UTC when nil).
func (r *Renderer) View(c *queries.Chart, lang handlers.Lang, now time.Time, zone *time.Location) *handlers.Chart {
	v := handlers.NewZonedPrinter(lang, now, zone).ChartBlock(c)
	if v == nil || lang == handlers.LangEN {
		return v
	}
	for _, l := range Labels(v) {
		if len(r.Missing(l)) > 0 {
			return handlers.NewZonedPrinter(handlers.LangEN, now, zone).ChartBlock(c)
		}
	}
	return v
}

// PNG draws the chart as a PNG image.
func (r *Renderer) PNG(c *handlers.Chart) ([]byte, error) {
	if c == nil || len(c.Categories) == 0 {
		return nil, fmt.Errorf("chart png: no chart")
	}
	p := plot.New()
	r.style(p)
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	p.Y.Min = 0
	p.X.Min, p.X.Max = -0.6, float64(len(c.Categories))-0.4
	p.X.Tick.Marker = plot.ConstantTicks(ticks(c.Categories))
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	var err error
	if c.Kind == queries.ChartLine {
		err = r.lines(p, c)
	} else {
		err = r.bars(p, c)
	}
	if err != nil {
		return nil, fmt.Errorf("chart png: %w", err)
	}
	p.Y.Max = headroom(c) // room above the data for the legend
	canvas := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))
	p.Draw(draw.New(canvas))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart png: %w", err)
	}
	return buf.Bytes(), nil
}

// style sets every text of the plot in the renderer's font.
func (r *Renderer) style(p *plot.Plot) {
	hdlr := text.Plain{Fonts: r.fonts}
	set := func(st *text.Style, size vg.Length) {
		st.Font = font.Font{Typeface: r.typeface, Variant: "Sans", Size: size}
		if r.typeface == customTypeface {
			st.Font.Variant = ""
		}
		st.Handler = hdlr
	}
	p.TextHandler = hdlr
	set(&p.Title.TextStyle, 13)
	set(&p.X.Label.TextStyle, 10)
	set(&p.Y.Label.TextStyle, 10)
	set(&p.X.Tick.Label, 8)
	set(&p.Y.Tick.Label, 8)
	set(&p.Legend.TextStyle, 9)
}

// ticks label about eight categories, the last always.
func ticks(labels []string) []plot.Tick {
	step := max(1, int(math.Ceil(float64(len(labels))/8)))
	out := make([]plot.Tick, len(labels))
	for i, l := range labels {
		out[i] = plot.Tick{Value: float64(i)}
		if (len(labels)-1-i)%step == 0 {
			out[i].Label = l
		}
	}
	return out
}

// Colours by series.
var (
	colorBand    = color.NRGBA{R: 0x9e, G: 0xc5, B: 0xfe, A: 0x90}
	seriesColors = map[queries.ChartSeriesCode]color.Color{
		queries.SeriesValue:         color.NRGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff},
		queries.SeriesPass:          color.NRGBA{R: 0x2e, G: 0x9e, B: 0x5b, A: 0xff},
		queries.SeriesWarn:          color.NRGBA{R: 0xf0, G: 0xad, B: 0x1e, A: 0xff},
		queries.SeriesFail:          color.NRGBA{R: 0xd6, G: 0x2f, B: 0x2f, A: 0xff},
		queries.SeriesRunTime:       color.NRGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff},
		queries.SeriesMedian:        color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0xff},
		queries.SeriesFailingTests:  color.NRGBA{R: 0xd6, G: 0x2f, B: 0x2f, A: 0xff},
		queries.SeriesErroredModels: color.NRGBA{R: 0x8b, G: 0x3a, B: 0x9e, A: 0xff},
	}
	colorAnomaly = color.NRGBA{R: 0xd6, G: 0x2f, B: 0x2f, A: 0xff}
)

// lines draws a line chart: the band as a shaded area, each series a line (broken where it has no value), the
// anomalous points as red dots.
func (r *Renderer) lines(p *plot.Plot, c *handlers.Chart) error {
	if b := c.Band; b != nil {
		named := false
		for _, run := range runs(b.Low, b.High) {
			var pts plotter.XYs
			for _, i := range run {
				pts = append(pts, plotter.XY{X: float64(i), Y: *b.Low[i]})
			}
			for _, i := range slices.Backward(run) {
				pts = append(pts, plotter.XY{X: float64(i), Y: *b.High[i]})
			}
			poly, err := plotter.NewPolygon(pts)
			if err != nil {
				return err
			}
			poly.Color, poly.LineStyle.Width = colorBand, 0
			p.Add(poly)
			if !named {
				p.Legend.Add(c.BandName, poly)
				named = true
			}
		}
	}
	for _, s := range c.Series {
		var first *plotter.Line
		for _, run := range runs(s.Values) {
			var pts plotter.XYs
			for _, i := range run {
				pts = append(pts, plotter.XY{X: float64(i), Y: *s.Values[i]})
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			l.Color, l.Width = seriesColors[s.Code], vg.Points(2)
			if s.Code == queries.SeriesMedian {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				l.Width = vg.Points(1.2)
			}
			p.Add(l)
			if first == nil {
				first = l
			}
		}
		if first != nil {
			p.Legend.Add(s.Name, first)
		}
	}
	if len(c.Anomalous) > 0 && len(c.Series) > 0 {
		var pts plotter.XYs
		for _, i := range c.Anomalous {
			if v := c.Series[0].Values[i]; v != nil {
				pts = append(pts, plotter.XY{X: float64(i), Y: *v})
			}
		}
		if len(pts) > 0 {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			sc.GlyphStyle.Color, sc.GlyphStyle.Radius = colorAnomaly, vg.Points(4.5)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(sc)
		}
	}
	return nil
}

// bars draws a bar chart: stacked, or its series side by side.
func (r *Renderer) bars(p *plot.Plot, c *handlers.Chart) error {
	n := len(c.Series)
	slot := vg.Points(float64(width.Points()) * 0.75 / float64(len(c.Categories)))
	w := slot * 0.8
	if c.Kind != queries.ChartStackedBar && n > 1 {
		w = slot * 0.8 / vg.Length(n)
	}
	var below *plotter.BarChart
	for k, s := range c.Series {
		vals := make(plotter.Values, len(s.Values))
		for i, v := range s.Values {
			if v != nil {
				vals[i] = *v
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		b.Color, b.LineStyle.Width = seriesColors[s.Code], 0
		if c.Kind == queries.ChartStackedBar {
			if below != nil {
				b.StackOn(below)
			}
			below = b
		} else if n > 1 {
			b.Offset = w * (vg.Length(k) - vg.Length(n-1)/2)
		}
		p.Add(b)
		p.Legend.Add(s.Name, b)
	}
	return nil
}

// headroom is the top of the y axis: a third above the highest value drawn (the stacks' tops for stacked bars),
// so that the legend sits above the data.
func headroom(c *handlers.Chart) float64 {
	top := 1.0
	sums := make([]float64, len(c.Categories))
	for _, s := range c.Series {
		for i, v := range s.Values {
			if v == nil || i >= len(sums) {
				continue
			}
			if c.Kind == queries.ChartStackedBar {
				sums[i] += *v
				top = max(top, sums[i])
			} else {
				top = max(top, *v)
			}
		}
	}
	if c.Band != nil {
		for _, v := range c.Band.High {
			if v != nil {
				top = max(top, *v)
			}
		}
	}
	return top * 1.35
}

// runs splits the indexes where every series has a value into contiguous runs.
func runs(series ...[]*float64) [][]int {
	var out [][]int
	var cur []int
	for i := range series[0] {
		ok := true
		for _, s := range series {
			ok = ok && i < len(s) && s[i] != nil
		}
		if ok {
			cur = append(cur, i)
			continue
		}
		if len(cur) > 0 {
			out, cur = append(out, cur), nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
