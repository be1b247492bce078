package chartpng

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"unicode"

	"codeberg.org/go-fonts/liberation/liberationsansregular"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries"
)

// charts are the charts the goldens draw: an anomaly with an anomalous bucket, a flaky test's history, a model's
// run times and a team's trend.
func charts() map[string]*queries.Chart {
	return map[string]*queries.Chart{
		"anomaly":      handlerstest.VolumeAnomaly(),
		"test_history": handlerstest.FlakyHistory(),
		"run_times":    handlerstest.RunTimes(),
		"team_trend":   handlerstest.DigestAnswers()["red"].Chart,
	}
}

// pixels is a checksum of a PNG's decoded pixels: the renderer is deterministic, the encoder's bytes need not be.
func pixels(t testing.TB, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return fmt.Sprintf("%dx%d %x", rgba.Bounds().Dx(), rgba.Bounds().Dy(), sha256.Sum256(rgba.Pix))
}

// TestPNGGolden draws each chart and compares its pixels with testdata/golden (the PNG beside each checksum is for
// a person to look at; run with -update to redraw both).
func TestPNGGolden(t *testing.T) {
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range charts() {
		t.Run(name, func(t *testing.T) {
			v := r.View(c, handlers.LangEN, handlerstest.Now, nil)
			b, err := r.PNG(v)
			if err != nil {
				t.Fatal(err)
			}
			if handlerstest.Updating() {
				if err := os.WriteFile(filepath.Join("testdata", "golden", name+".png"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			handlerstest.Golden(t, filepath.Join("testdata", "golden", name+".pixels"), []byte(pixels(t, b)+"\n"))
		})
	}
}

// TestLabelsHaveGlyphs: whatever the language asked, every rune of every label drawn has a glyph in the font used —
// without a configured font, a Japanese reader's chart is drawn in English rather than in empty boxes.
func TestLabelsHaveGlyphs(t *testing.T) {
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range charts() {
		for _, l := range []handlers.Lang{handlers.LangEN, handlers.LangJA} {
			v := r.View(c, l, handlerstest.Now, nil)
			for _, label := range Labels(v) {
				if miss := r.Missing(label); len(miss) > 0 {
					t.Errorf("%s/%s: %q has runes without a glyph: %q", name, l, label, string(miss))
				}
				for _, c := range label {
					if c > unicode.MaxASCII && c != '…' {
						t.Errorf("%s/%s: %q is not ASCII without a configured font", name, l, label)
						break
					}
				}
			}
		}
	}
}

// TestConfiguredFont: a configured font file is used; one without Japanese glyphs still draws English labels for a
// Japanese reader; a file that is no font is refused clearly.
func TestConfiguredFont(t *testing.T) {
	dir := t.TempDir()
	ttf := filepath.Join(dir, "LiberationSans-Regular.ttf")
	if err := os.WriteFile(ttf, liberationsansregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := New(ttf)
	if err != nil {
		t.Fatal(err)
	}
	if miss := r.Missing("行数"); len(miss) != 2 {
		t.Errorf("Liberation has no kanji, yet missing = %q", string(miss))
	}
	v := r.View(handlerstest.VolumeAnomaly(), handlers.LangJA, handlerstest.Now, nil)
	if v.Title != "Row count vs expected range" {
		t.Errorf("a font without Japanese draws English labels, got title %q", v.Title)
	}
	if _, err := r.PNG(v); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(bad, []byte("not a font"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(bad); err == nil {
		t.Error("a text file was taken for a font")
	}
	if _, err := New(filepath.Join(dir, "missing.ttf")); err == nil {
		t.Error("a missing font file was not reported")
	}
}

// BenchmarkPNG measures drawing each chart as a PNG.
func BenchmarkPNG(b *testing.B) {
	r, err := New("")
	if err != nil {
		b.Fatal(err)
	}
	for name, c := range charts() {
		v := r.View(c, handlers.LangEN, handlerstest.Now, nil)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.PNG(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
