// Package demo builds Elementary warehouses: the deterministic demo warehouse of a fictional coffee company (Kumo
// Coffee, dbt project `kumo`) used by `todai demo`, the large warehouses of the benchmarks, and the small
// hand-made fixture warehouses with known answers that other packages' tests write (see Fixture).
//
// Generate describes a warehouse; its history tables are produced while streaming, so a 10,000-model, 30-day
// warehouse never sits in memory. Write inserts any Streamer into SQLite or PostgreSQL; Build makes a SQLite file.
package demo

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
)

// Project is the demo dbt project (package) name.
const Project = "kumo"

// Stories told by the demo warehouse at Options.Now, for the tour and tests. Names are dbt node names; the IDs
// are unique_ids.
const (
	// StoryFailingModel (fct_orders) has its unique test failing in each of the last StoryFailingDays daily builds;
	// its upstream staging model StoryStaleStaging reads StoryStaleSource, which is stale (freshness status error).
	StoryFailingModel   = "fct_orders"
	StoryFailingModelID = "model.kumo.fct_orders"
	StoryFailingTest    = "unique_fct_orders_order_id"
	StoryFailingTestID  = "test.kumo.unique_fct_orders_order_id.5f0d1a2b3c"
	StoryFailingDays    = 3
	StoryStaleStaging   = "stg_stripe__payments"
	StoryStaleSourceID  = "source.kumo.stripe.payments"
	// StoryStaleHours is how long before Now the stale source last loaded: longer than the StoryFailingDays daily
	// builds, so that StoryFailingTest began failing after the source's data stopped arriving (`why` names a stale
	// source only as the cause of failures that began after its last load).
	StoryStaleHours = 80

	// StoryHealthyModel (fct_revenue) succeeds and passes every test; StoryCriticalExposure, a high-maturity
	// dashboard with meta.criticality high, depends on it.
	StoryHealthyModel       = "fct_revenue"
	StoryHealthyModelID     = "model.kumo.fct_revenue"
	StoryCriticalExposureID = "exposure.kumo.executive_revenue_dashboard"

	// StoryErroredModel (int_inventory_snapshot) errored in the latest daily build; StorySkippedModels were
	// skipped downstream of it.
	StoryErroredModel   = "int_inventory_snapshot"
	StoryErroredModelID = "model.kumo.int_inventory_snapshot"

	// StoryAnomalyTest, a volume anomaly test of fct_web_sessions, found its row count anomalous in the latest daily
	// build: its buckets (test_result_rows) show the drop against the expected range.
	StoryAnomalyTest   = "elementary_volume_anomalies_fct_web_sessions_"
	StoryAnomalyTestID = "test.kumo.elementary_volume_anomalies_fct_web_sessions_.c0ffee0001"
	// AnomalyBuckets is how many daily buckets the latest build's anomaly results hold.
	AnomalyBuckets = 14

	// StoryFlakyTest flips between pass and fail from one daily build to the next.
	StoryFlakyTest   = "not_null_fct_web_sessions_session_id"
	StoryFlakyTestID = "test.kumo.not_null_fct_web_sessions_session_id.a1b2c3d4e5"

	// StoryRuntimeErrorSourceID fails its freshness query (status "runtime error") in recent runs.
	StoryRuntimeErrorSourceID = "source.kumo.salesforce.leads"
	// StoryWarnSourceID is late enough to warn, not to error.
	StoryWarnSourceID = "source.kumo.zendesk.tickets"

	// StoryVersionedModelID is the latest version of a versioned model (v1 exists too).
	StoryVersionedModelID = "model.kumo.dim_customers.v2"
	// StoryAmbiguousName is a model name present in two packages/schemas (kumo.core and kumo_legacy.legacy).
	StoryAmbiguousName = "customers"
	// StoryMalformedMetaID carries truncated JSON in meta; Todai must read it as a plain string.
	StoryMalformedMetaID = "model.kumo.stg_workday__shifts"
)

// StorySkippedModels are downstream of StoryErroredModel and skipped in the latest daily build.
func StorySkippedModels() []string {
	return []string{"model.kumo.fct_inventory_daily", "model.kumo.dim_products"}
}

// Teams are the six teams (dbt groups, domains) of Kumo Coffee.
func Teams() []string {
	return []string{"finance", "growth", "supply", "product", "platform", "people"}
}

// Options describe a generated warehouse.
type Options struct {
	// Models is the number of models of the kumo project (default 300); Elementary's own models come on top.
	Models int
	// Sources is the number of sources (default 40).
	Sources int
	// Tests is the number of tests (default 5 per model).
	Tests int
	// Days of history, ending at Now (default 30).
	Days int
	// Seed makes a different but equally deterministic warehouse (default 1).
	Seed int64
	// Now is the end of history. Required: the CLI passes the current time truncated to the hour.
	Now time.Time
}

func (o Options) withDefaults() (Options, error) {
	if o.Now.IsZero() {
		return o, errors.New("demo options: Now is required")
	}
	if o.Models < 0 || o.Sources < 0 || o.Tests < 0 || o.Days < 0 {
		return o, fmt.Errorf("demo options: negative size (models %d, sources %d, tests %d, days %d)",
			o.Models, o.Sources, o.Tests, o.Days)
	}
	if o.Models > 1_000_000 || o.Sources > 100_000 || o.Days > 3660 {
		return o, errors.New("demo options: size too large")
	}
	if o.Models == 0 {
		o.Models = 300
	}
	if o.Sources == 0 {
		o.Sources = 40
	}
	if o.Tests == 0 {
		o.Tests = 5 * o.Models
	}
	if o.Days == 0 {
		o.Days = 30
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	o.Now = o.Now.UTC()
	return o, nil
}

// node is a model, snapshot, seed or source.
type node struct {
	id, name, pkg, schema, alias string
	kind                         string // model, snapshot, seed, source
	layer                        string // staging, intermediate, marts, elementary, legacy
	team                         int
	parents                      []int // node indexes
	hourly                       bool
	materialization              string
	tags                         []string
	meta, owner, group           string
	ownersJSON                   string // owners as Elementary copies them into test results
	description, path            string
	protected                    bool // never fails at random (story health)
	untested                     bool // a blind spot: no test is written on it
	errorLatest                  bool // errors in the latest daily build
	sourceName, table            string
	freshness                    bool
	access                       string
}

// testKind tells how a test writes results.
type testKind int

const (
	tkGeneric testKind = iota
	tkVolume
	tkFreshnessAnomaly
	tkColumnAnomaly
	tkSchemaChanges
)

type test struct {
	id, name, short, namespace, column, severity string
	kind                                         testKind
	parent                                       int
	deps                                         []int
	meta                                         string
	flaky, protected                             bool
	failDays                                     int // fails in the last failDays daily builds
	badness                                      float64
}

type exposure struct {
	id, name, label, maturity, typ, email, ownerName, url, meta string
	deps                                                        []int
}

// Dataset is a generated warehouse: the definitions in memory, the history produced while streaming.
type Dataset struct {
	opts      Options
	nodes     []node
	tests     []test
	exposures []exposure
	tables    map[string]elementary.Table
	index     map[string]map[string]int
	byName    map[string]int
	people    [][]string // per team: handles (first.last)
}

// Options returns the options the dataset was generated with, defaults filled in.
func (d *Dataset) Options() Options { return d.opts }

// Generate describes the warehouse for opts. It is pure and deterministic: the same options give the same rows.
func Generate(opts Options) (*Dataset, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	d := &Dataset{opts: o, tables: map[string]elementary.Table{}, index: map[string]map[string]int{},
		byName: map[string]int{}}
	for _, t := range elementary.Tables() {
		d.tables[t.Name] = t
		ix := map[string]int{}
		for i, c := range t.Columns {
			ix[c.Name] = i
		}
		d.index[t.Name] = ix
	}
	d.people = [][]string{
		{"jane.doe", "ken.sato", "amara.okafor"},
		{"lucas.martin", "yui.nakamura", "priya.raman"},
		{"diego.alvarez", "hana.kimura", "tom.becker"},
		{"sofia.rossi", "kenji.ito", "olivia.chen"},
		{"mika.tanaka", "noah.schmidt", "fatima.zahra"},
		{"emma.wilson", "ryo.yamada", "grace.lee"},
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x6b756d6f))
	d.buildSources()
	d.buildModels(rng)
	d.buildTests(rng)
	d.buildExposures(rng)
	return d, nil
}

// row makes an empty row of table and a setter for it.
func (d *Dataset) row(table string) ([]any, func(col string, v any)) {
	r := make([]any, len(d.tables[table].Columns))
	ix := d.index[table]
	return r, func(col string, v any) {
		if i, ok := ix[col]; ok {
			r[i] = v
		}
	}
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func md5hex(parts ...string) string {
	h := md5.Sum([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

// hash10 is dbt's 10-hex suffix of a test's unique_id.
func hash10(s string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return fmt.Sprintf("%016x", h.Sum64())[:10]
}

// uuid4 draws a version-4 UUID from rng.
func uuid4(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Time formats of Elementary and dbt.
func elemTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }
func isoTime(t time.Time) string  { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
func isoTZ(t time.Time) string    { return t.UTC().Format("2006-01-02T15:04:05.000000+00:00") }
