package slackui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todai-dev/todai/handlers"
	"github.com/todai-dev/todai/handlers/handlerstest"
	"github.com/todai-dev/todai/queries"
)

// TestExposureNoticeGolden renders the heads-up to the revenue dashboard's audience — unsafe, then usable again
// with care, then safe again — in English and Japanese: the first line mentions only the exposure's owner and is
// the notification text; the safe answer follows, its other owners named, not pinged.
func TestExposureNoticeGolden(t *testing.T) {
	ctx := context.Background()
	f := handlerstest.NewFake()
	safe := func(name string) queries.SafeAnswer {
		t.Helper()
		a, err := f.Safe(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	unsafe, caution, ok := safe("revenue"), safe("stg_flaky"), safe("empty")
	caution.Node, caution.Exposure = unsafe.Node, unsafe.Exposure
	ok.Node, ok.Exposure = unsafe.Node, unsafe.Exposure
	opts := Options{Mentions: map[string]string{"cfo@example.com": "<@U0CFO>"}, Now: handlerstest.Now}
	for _, tc := range []struct {
		name      string
		a         queries.SafeAnswer
		recovered bool
		lang      handlers.Lang
		first     string
	}{
		{"unsafe.en", unsafe, false, handlers.LangEN, "<@U0CFO> Revenue dashboard is not safe to use: its data is older than its audience needs (stripe.payments), incident 42. Don't rely on it for decisions; Todai will post here when it is safe again."},
		{"unsafe.ja", unsafe, false, handlers.LangJA, "<@U0CFO> Revenue dashboard は現在、安全に使える状態ではありません: データが必要な鮮度より古い（stripe.payments）、インシデント 42。判断には使わないでください。安全に戻ったらここでお知らせします。"},
		{"caution.en", caution, true, handlers.LangEN, "<@U0CFO> Revenue dashboard can be used again, with care: a test warns (accepted_values_stg_flaky_status)."},
		{"caution.ja", caution, true, handlers.LangJA, "<@U0CFO> Revenue dashboard は再び使えますが、注意してください: テストが警告を出している（accepted_values_stg_flaky_status）。"},
		{"safe.en", ok, true, handlers.LangEN, "<@U0CFO> Revenue dashboard is safe to use again."},
		{"safe.ja", ok, true, handlers.LangJA, "<@U0CFO> Revenue dashboard は再び使って大丈夫です。"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := ExposureNotice(tc.a, tc.recovered, tc.lang, opts)
			validateBlocks(t, msg.Blocks)
			if msg.Text != tc.first {
				t.Errorf("notification text:\n got %s\nwant %s", msg.Text, tc.first)
			}
			js := slackJSON(t, msg)
			if strings.Count(string(js), "<@") != strings.Count(string(js), "<@U0CFO>") {
				t.Errorf("only the exposure's owner is pinged:\n%s", js)
			}
			handlerstest.Golden(t, filepath.Join("testdata", "golden", "heads_up", tc.name+".json"), js)
		})
	}
}
