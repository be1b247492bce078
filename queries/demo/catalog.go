package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// sourceSpec is one of Kumo Coffee's raw tables; story sources come first so that a small Sources keeps them.
type sourceSpec struct{ source, table, team string }

func sourceSpecs() []sourceSpec {
	return []sourceSpec{
		{"stripe", "payments", "finance"}, {"stripe", "charges", "finance"}, {"shopify", "orders", "product"},
		{"shopify", "inventory_levels", "supply"}, {"shopify", "products", "supply"}, {"shopify", "customers", "growth"},
		{"postgres_app", "users", "platform"}, {"postgres_app", "sessions", "platform"}, {"workday", "shifts", "people"},
		{"salesforce", "leads", "growth"}, {"zendesk", "tickets", "product"}, {"stripe", "refunds", "finance"},
		{"stripe", "customers", "finance"}, {"stripe", "invoices", "finance"}, {"stripe", "payouts", "finance"},
		{"shopify", "order_lines", "product"}, {"shopify", "fulfillments", "supply"}, {"postgres_app", "events", "platform"},
		{"postgres_app", "subscriptions", "product"}, {"postgres_app", "stores", "supply"},
		{"postgres_app", "loyalty_points", "growth"}, {"salesforce", "accounts", "growth"},
		{"salesforce", "opportunities", "growth"}, {"salesforce", "contacts", "growth"},
		{"zendesk", "ticket_comments", "product"}, {"zendesk", "satisfaction_ratings", "product"},
		{"netsuite", "gl_entries", "finance"}, {"netsuite", "vendors", "finance"}, {"netsuite", "purchase_orders", "supply"},
		{"workday", "employees", "people"}, {"workday", "payroll", "people"}, {"google_ads", "campaigns", "growth"},
		{"google_ads", "ad_spend", "growth"}, {"segment", "tracks", "platform"}, {"segment", "pages", "platform"},
		{"roastery_iot", "roast_batches", "supply"}, {"roastery_iot", "bean_lots", "supply"},
		{"roastery_iot", "sensor_readings", "supply"}, {"hubspot", "contacts", "growth"}, {"hubspot", "email_events", "growth"},
	}
}

func teamIndex(team string) int {
	return max(0, slices.Index(Teams(), team))
}

func (d *Dataset) add(n node) int {
	d.nodes = append(d.nodes, n)
	i := len(d.nodes) - 1
	d.byName[n.id] = i
	return i
}

func (d *Dataset) idx(id string) int {
	i, ok := d.byName[id]
	if !ok {
		return -1
	}
	return i
}

// handle returns person p of team t.
func (d *Dataset) handle(t, p int) string { return d.people[t%len(d.people)][p%3] }

// owned fills owner, meta and group in one of the real spellings, chosen by style.
func (d *Dataset) owned(n *node, style int, extra map[string]any) {
	meta := map[string]any{}
	for k, v := range extra {
		meta[k] = v
	}
	t := n.team
	group := Teams()[t]
	a, b := d.handle(t, style), d.handle(t, style+1)
	var owners []string
	switch style % 8 {
	case 0, 7: // email
		meta["owner"] = a + "@kumo.coffee"
		owners = []string{a + "@kumo.coffee"}
	case 1: // slack handle
		meta["owner"] = "@" + a
		owners = []string{"@" + a}
	case 2: // comma string in meta, plain string in the older owner column
		s := a + "@kumo.coffee, @" + b
		meta["owner"] = s
		n.owner = s
		owners = []string{a + "@kumo.coffee", "@" + b}
	case 3: // a list
		meta["owner"] = []string{a + "@kumo.coffee", "@" + b}
		owners = []string{a + "@kumo.coffee", "@" + b}
	case 4: // only through the dbt group
		owners = []string{}
	case 5: // nobody
		owners = []string{}
		group = ""
	case 6: // team in meta plus an email owner
		meta["team"] = Teams()[t]
		meta["owner"] = a + "@kumo.coffee"
		owners = []string{a + "@kumo.coffee"}
	}
	if n.owner == "" {
		n.owner = jsonText(owners)
	}
	n.ownersJSON = jsonText(owners)
	if n.kind != "source" {
		n.group = group
	}
	n.meta = jsonText(meta)
}

func (d *Dataset) buildSources() {
	specs := sourceSpecs()
	for i := range d.opts.Sources {
		s := specs[i%len(specs)]
		table := s.table
		if i >= len(specs) {
			table = fmt.Sprintf("%s_%03d", s.table, i)
		}
		n := node{kind: "source", id: "source.kumo." + s.source + "." + table, name: table, pkg: Project,
			schema: s.source, alias: table, team: teamIndex(s.team), sourceName: s.source, table: table,
			layer: "source", freshness: i%7 != 6, path: "models/staging/" + s.source + "/_" + s.source + "__sources.yml",
			description: fmt.Sprintf("Raw %s table %s, loaded by Fivetran.", s.source, table)}
		n.tags = []string{s.source, "raw"}
		d.owned(&n, i, nil)
		if n.id == StoryStaleSourceID || n.id == "source.kumo.stripe.charges" || n.id == "source.kumo.shopify.orders" {
			n.protected = true
		}
		d.add(n)
	}
}

type modelSpec struct {
	name, layer, team string
	parents           []string
	hourly, protected bool
}

func (d *Dataset) model(s modelSpec, style int, extraMeta map[string]any) int {
	pkg := Project
	n := node{kind: "model", id: "model." + pkg + "." + s.name, name: s.name, pkg: pkg, alias: s.name,
		layer: s.layer, team: teamIndex(s.team), hourly: s.hourly, protected: s.protected}
	switch s.layer {
	case "staging":
		n.schema, n.materialization = "prod_staging", "view"
	case "intermediate":
		n.schema, n.materialization = "prod_intermediate", "ephemeral"
		if style%3 != 0 {
			n.materialization = "table"
		}
	default:
		n.schema, n.materialization = "prod_marts", "table"
		if style%4 == 1 {
			n.materialization = "incremental"
		}
	}
	n.access = []string{"protected", "private", "public"}[style%3]
	for _, p := range s.parents {
		if i := d.idx(p); i >= 0 && !slices.Contains(n.parents, i) {
			n.parents = append(n.parents, i)
		}
	}
	dir := map[string]string{"staging": "staging", "intermediate": "intermediate", "marts": "marts"}[s.layer]
	n.path = dir + "/" + Teams()[n.team] + "/" + s.name + ".sql"
	n.description = fmt.Sprintf("%s model %s of the %s domain.", strings.ToUpper(s.layer[:1])+s.layer[1:],
		s.name, Teams()[n.team])
	tags := []string{s.layer, Teams()[n.team]}
	if s.hourly {
		tags = append(tags, "hourly")
	} else {
		tags = append(tags, "nightly")
	}
	if style%9 == 2 {
		tags = append(tags, "pii")
	}
	slices.Sort(tags)
	n.tags = tags
	d.owned(&n, style, extraMeta)
	return d.add(n)
}

func teamNouns() [][]string {
	return [][]string{
		{"revenue", "invoices", "ledger", "payouts", "refunds", "taxes", "margins", "cash_flow"},
		{"campaigns", "signups", "attribution", "funnels", "referrals", "ad_spend", "cohorts", "retention"},
		{"inventory", "shipments", "warehouses", "suppliers", "roasts", "bean_lots", "deliveries", "stock_moves"},
		{"orders", "subscriptions", "menu_items", "reviews", "carts", "recommendations", "baskets", "stores"},
		{"events", "users", "devices", "api_calls", "deployments", "sessions", "errors", "feature_flags"},
		{"employees", "shifts", "payroll", "hiring", "baristas", "training", "absences", "headcount"},
	}
}

func modifiers() []string {
	return []string{"daily", "weekly", "monthly", "by_store", "by_region", "enriched", "latest", "rollup",
		"history", "joined", "deduped", "pivoted", "summary", "by_channel", "by_product"}
}

func (d *Dataset) buildModels(rng *rand.Rand) {
	// Seeds and snapshots.
	for i, s := range []string{"country_codes", "store_locations", "menu_prices"} {
		n := node{kind: "seed", id: "seed.kumo." + s, name: s, pkg: Project, schema: "prod_seeds", alias: s,
			layer: "seed", team: []int{5, 3, 3}[i], path: "seeds/" + s + ".csv", description: "Seed " + s + "."}
		n.tags = []string{"seed"}
		d.owned(&n, i+3, nil)
		d.add(n)
	}
	// Story models, parents first.
	core := []modelSpec{
		{name: "stg_stripe__payments", layer: "staging", team: "finance", parents: []string{StoryStaleSourceID}, hourly: true},
		{name: "stg_stripe__charges", layer: "staging", team: "finance", parents: []string{"source.kumo.stripe.charges"}, hourly: true, protected: true},
		{name: "stg_shopify__orders", layer: "staging", team: "product", parents: []string{"source.kumo.shopify.orders"}, hourly: true, protected: true},
		{name: "stg_shopify__inventory_levels", layer: "staging", team: "supply", parents: []string{"source.kumo.shopify.inventory_levels"}},
		{name: "stg_shopify__products", layer: "staging", team: "supply", parents: []string{"source.kumo.shopify.products"}},
		{name: "stg_shopify__customers", layer: "staging", team: "growth", parents: []string{"source.kumo.shopify.customers"}},
		{name: "stg_postgres_app__users", layer: "staging", team: "platform", parents: []string{"source.kumo.postgres_app.users"}},
		{name: "stg_postgres_app__sessions", layer: "staging", team: "platform", parents: []string{"source.kumo.postgres_app.sessions"}},
		{name: "stg_workday__shifts", layer: "staging", team: "people", parents: []string{"source.kumo.workday.shifts"}},
		{name: "stg_salesforce__leads", layer: "staging", team: "growth", parents: []string{StoryRuntimeErrorSourceID}},
		{name: "stg_zendesk__tickets", layer: "staging", team: "product", parents: []string{StoryWarnSourceID}},
		{name: "int_orders_enriched", layer: "intermediate", team: "product", parents: []string{"model.kumo.stg_shopify__orders", "model.kumo.stg_stripe__payments"}},
		{name: "int_revenue_daily", layer: "intermediate", team: "finance", parents: []string{"model.kumo.stg_shopify__orders", "model.kumo.stg_stripe__charges"}, protected: true},
		{name: StoryErroredModel, layer: "intermediate", team: "supply", parents: []string{"model.kumo.stg_shopify__inventory_levels", "model.kumo.stg_shopify__products"}},
		{name: "fct_revenue", layer: "marts", team: "finance", parents: []string{"model.kumo.int_revenue_daily"}, protected: true},
		{name: "fct_inventory_daily", layer: "marts", team: "supply", parents: []string{StoryErroredModelID}},
		{name: "dim_products", layer: "marts", team: "supply", parents: []string{StoryErroredModelID, "seed.kumo.menu_prices"}},
		{name: "fct_web_sessions", layer: "marts", team: "growth", parents: []string{"model.kumo.stg_postgres_app__sessions"}},
	}
	for i, s := range core {
		extra := map[string]any{}
		switch s.name {
		case "fct_revenue":
			extra["criticality"] = "high"
			extra["channel"] = "finance-data"
		case "fct_inventory_daily":
			extra["criticality"] = "medium"
		}
		j := d.model(s, i, extra)
		if s.name == "int_inventory_snapshot" {
			d.nodes[j].errorLatest = true
		}
		if s.name == "stg_workday__shifts" {
			d.nodes[j].meta = `{"owner": "@emma.wilson",`
		}
	}
	// The versioned dim_customers (v1, v2), fct_orders, and "customers" in two packages.
	for v := 1; v <= 2; v++ {
		j := d.model(modelSpec{name: "dim_customers", layer: "marts", team: "growth",
			parents: []string{"model.kumo.stg_shopify__customers", "model.kumo.stg_postgres_app__users"}}, 3, nil)
		n := &d.nodes[j]
		n.id = fmt.Sprintf("model.kumo.dim_customers.v%d", v)
		n.alias = fmt.Sprintf("dim_customers_v%d", v)
		if v == 2 {
			n.alias = "dim_customers"
		}
		n.path = fmt.Sprintf("marts/growth/dim_customers_v%d.sql", v)
		delete(d.byName, "model.kumo.dim_customers")
		d.byName[n.id] = j
	}
	d.model(modelSpec{name: StoryFailingModel, layer: "marts", team: "product",
		parents: []string{"model.kumo.int_orders_enriched", StoryVersionedModelID}}, 0,
		map[string]any{"criticality": "high", "subscribers": []string{"@sofia.rossi"}})
	j := d.model(modelSpec{name: StoryAmbiguousName, layer: "marts", team: "growth",
		parents: []string{StoryVersionedModelID}}, 1, nil)
	d.nodes[j].schema = "core"
	j = d.model(modelSpec{name: StoryAmbiguousName, layer: "marts", team: "growth",
		parents: []string{"model.kumo.stg_shopify__customers"}}, 5, nil)
	n := &d.nodes[j]
	delete(d.byName, n.id)
	n.id, n.pkg, n.schema, n.layer = "model.kumo_legacy.customers", "kumo_legacy", "legacy", "legacy"
	n.path = "legacy/customers.sql"
	n.description = "Legacy customers table from the old kumo_legacy project. Do not use for new work."
	d.byName[n.id] = j

	// Generated models up to Models.
	nouns, mods := teamNouns(), modifiers()
	var staging, inter, marts []int
	sources := []int{}
	for i, n := range d.nodes {
		switch n.layer {
		case "staging":
			staging = append(staging, i)
		case "intermediate":
			inter = append(inter, i)
		case "marts":
			marts = append(marts, i)
		case "source":
			sources = append(sources, i)
		}
	}
	seen := map[string]bool{}
	for _, n := range d.nodes {
		seen[n.name] = true
	}
	unique := func(name string) string {
		if !seen[name] {
			seen[name] = true
			return name
		}
		for k := 2; ; k++ {
			c := fmt.Sprintf("%s_%d", name, k)
			if !seen[c] {
				seen[c] = true
				return c
			}
		}
	}
	pick := func(pool []int, k int) []string {
		var out []string
		for range k {
			if len(pool) == 0 {
				break
			}
			id := d.nodes[pool[rng.IntN(len(pool))]].id
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		return out
	}
	count := len(staging) + len(inter) + len(marts)
	for g := 0; count < d.opts.Models; g++ {
		frac := float64(count) / float64(d.opts.Models)
		style := g + 18
		switch {
		case frac < 0.35 && len(sources) > 0:
			src := d.nodes[sources[g%len(sources)]]
			name := "stg_" + src.sourceName + "__" + src.table
			if seen[name] {
				name += "_" + mods[rng.IntN(len(mods))]
			}
			s := modelSpec{name: unique(name), layer: "staging", team: Teams()[src.team],
				parents: []string{src.id}, hourly: g%3 == 0}
			staging = append(staging, d.model(s, style, nil))
		case frac < 0.65:
			t := rng.IntN(6)
			name := "int_" + nouns[t][rng.IntN(8)] + "_" + mods[rng.IntN(len(mods))]
			pool := staging
			if len(inter) > 0 && rng.IntN(3) == 0 {
				pool = inter
			}
			s := modelSpec{name: unique(name), layer: "intermediate", team: Teams()[t], parents: pick(pool, 1+rng.IntN(3))}
			inter = append(inter, d.model(s, style, nil))
		default:
			t := rng.IntN(6)
			prefix := "fct_"
			if rng.IntN(3) == 0 {
				prefix = "dim_"
			}
			name := prefix + nouns[t][rng.IntN(8)] + "_" + mods[rng.IntN(len(mods))]
			parents := pick(inter, 1+rng.IntN(2))
			if rng.IntN(4) == 0 {
				parents = append(parents, pick(marts, 1)...)
			}
			extra := map[string]any{}
			if g%5 == 0 {
				extra["criticality"] = []string{"high", "medium", "low"}[rng.IntN(3)]
			}
			s := modelSpec{name: unique(name), layer: "marts", team: Teams()[t], parents: parents}
			marts = append(marts, d.model(s, style, extra))
		}
		// Blind spots, as real projects have them: now and then a model without tests, or without a description.
		last := &d.nodes[len(d.nodes)-1]
		last.untested = g%29 == 11
		if g%17 == 5 {
			last.description = ""
		}
		count++
	}

	// Snapshots.
	for i, s := range []struct{ name, parent string }{{"orders_snapshot", "source.kumo.shopify.orders"},
		{"customers_snapshot", "source.kumo.shopify.customers"}} {
		n := node{kind: "snapshot", id: "snapshot.kumo." + s.name, name: s.name, pkg: Project, schema: "snapshots",
			alias: s.name, layer: "snapshot", team: 3, materialization: "snapshot", path: "snapshots/" + s.name + ".sql",
			description: "Type-2 history of " + s.parent + "."}
		if i := d.idx(s.parent); i >= 0 {
			n.parents = []int{i}
		}
		n.tags = []string{"nightly", "snapshot"}
		d.owned(&n, i, nil)
		d.add(n)
	}
	// Elementary's own models.
	for _, s := range []string{"dbt_models", "dbt_tests", "dbt_sources", "dbt_exposures", "dbt_seeds", "dbt_snapshots",
		"dbt_groups", "dbt_invocations", "dbt_run_results", "elementary_test_results", "dbt_source_freshness_results",
		"data_monitoring_metrics", "schema_columns_snapshot", "model_run_results", "alerts_dbt_models"} {
		n := node{kind: "model", id: "model.elementary." + s, name: s, pkg: "elementary", schema: "prod_elementary",
			alias: s, layer: "elementary", materialization: "incremental", team: 4,
			path: "edr/" + s + ".sql", owner: "[]", ownersJSON: "[]", meta: "{}", access: "protected",
			tags: []string{}, description: "Elementary artifact " + s + ".", protected: true}
		if strings.HasPrefix(s, "model_") || strings.HasPrefix(s, "alerts_") {
			n.materialization = "view"
		}
		d.add(n)
	}
}

// kumoModels are the indexes of the project's models (not Elementary's).
func (d *Dataset) kumoModels() []int {
	var out []int
	for i, n := range d.nodes {
		if n.kind == "model" && n.pkg != "elementary" {
			out = append(out, i)
		}
	}
	return out
}

func keyColumn(name string) string {
	parts := strings.Split(name, "_")
	last := parts[len(parts)-1]
	for _, m := range modifiers() {
		if strings.HasSuffix(name, "_"+m) && len(parts) > 2 {
			last = parts[len(parts)-1-len(strings.Split(m, "_"))]
		}
	}
	if len(last) > 3 {
		last = strings.TrimSuffix(last, "s")
	}
	return last + "_id"
}

func (d *Dataset) addTest(t test) {
	t.id = "test.kumo." + t.name + "." + hash10(t.name)
	d.tests = append(d.tests, t)
}

func (d *Dataset) buildTests(rng *rand.Rand) {
	seen := map[string]bool{}
	add := func(t test) {
		if seen[t.name] {
			for k := 2; ; k++ {
				c := fmt.Sprintf("%s_%d", t.name, k)
				if !seen[c] {
					t.name = c
					break
				}
			}
		}
		seen[t.name] = true
		if t.severity == "" {
			t.severity = "ERROR"
		}
		if t.deps == nil {
			t.deps = []int{t.parent}
		}
		if t.badness == 0 {
			t.badness = 0.003
		}
		d.addTest(t)
	}
	fo, fr, ws := d.idx(StoryFailingModelID), d.idx(StoryHealthyModelID), d.idx("model.kumo.fct_web_sessions")
	dc := d.idx(StoryVersionedModelID)
	if fo >= 0 {
		add(test{name: StoryFailingTest, short: "unique", column: "order_id", parent: fo, failDays: StoryFailingDays,
			meta: jsonText(map[string]any{"owner": "@olivia.chen", "description": "Orders must be unique."})})
		d.tests[len(d.tests)-1].id = StoryFailingTestID
		add(test{name: "relationships_fct_orders_customer_id__customer_id__ref_dim_customers_", short: "relationships",
			column: "customer_id", parent: fo, deps: []int{fo, dc}, protected: true})
		add(test{name: "not_null_fct_orders_order_id", short: "not_null", column: "order_id", parent: fo, protected: true})
	}
	if ws >= 0 {
		add(test{name: StoryFlakyTest, short: "not_null", column: "session_id", parent: ws, flaky: true})
		d.tests[len(d.tests)-1].id = StoryFlakyTestID
		add(test{name: StoryAnomalyTest, short: "volume_anomalies", namespace: "elementary", kind: tkVolume, parent: ws,
			failDays: 1})
		d.tests[len(d.tests)-1].id = StoryAnomalyTestID
	}
	if fr >= 0 {
		add(test{name: "not_null_fct_revenue_revenue_date", short: "not_null", column: "revenue_date", parent: fr, protected: true})
		add(test{name: "unique_fct_revenue_revenue_date", short: "unique", column: "revenue_date", parent: fr, protected: true})
		add(test{name: "elementary_volume_anomalies_fct_revenue_", short: "volume_anomalies", namespace: "elementary",
			kind: tkVolume, parent: fr, protected: true})
	}
	var targets []int
	for _, i := range d.kumoModels() {
		if !d.nodes[i].untested {
			targets = append(targets, i)
		}
	}
	for i, n := range d.nodes {
		if n.kind == "source" {
			targets = append(targets, i)
		}
	}
	if len(targets) == 0 {
		return
	}
	for k := 0; len(d.tests) < d.opts.Tests; k++ {
		ti := targets[k%len(targets)]
		n := d.nodes[ti]
		round := k / len(targets)
		t := test{parent: ti, column: keyColumn(n.name)}
		base := n.name
		prefix := ""
		if n.kind == "source" {
			base = n.sourceName + "_" + n.table
			prefix = "source_"
		}
		kind := round % 5
		if round >= 5 {
			t.column = []string{"created_at", "status", "amount", "store_id", "updated_at"}[round%5]
		}
		switch kind {
		case 0:
			t.short, t.name = "not_null", prefix+"not_null_"+base+"_"+t.column
		case 1:
			t.short, t.name = "unique", prefix+"unique_"+base+"_"+t.column
		case 2:
			var other int = -1
			for _, p := range n.parents {
				if d.nodes[p].kind == "model" {
					other = p
					break
				}
			}
			if other >= 0 && n.kind == "model" {
				t.short = "relationships"
				t.name = fmt.Sprintf("relationships_%s_%s__%s__ref_%s_", base, t.column, t.column, d.nodes[other].name)
				t.deps = []int{ti, other}
			} else {
				t.short, t.column = "accepted_values", "status"
				t.name = prefix + "accepted_values_" + base + "_status__active__inactive__pending"
			}
		case 3:
			t.short, t.namespace, t.kind, t.column = "volume_anomalies", "elementary", tkVolume, ""
			t.name = "elementary_volume_anomalies_" + base + "_"
		case 4:
			switch k % 4 {
			case 0:
				t.short, t.namespace, t.kind, t.column = "column_anomalies", "elementary", tkColumnAnomaly, ""
				t.name = "elementary_column_anomalies_" + base + "_"
			case 1:
				t.short, t.namespace, t.kind, t.column = "schema_changes", "elementary", tkSchemaChanges, ""
				t.name = "elementary_schema_changes_" + base + "_"
			case 2:
				t.short, t.namespace, t.kind, t.column = "freshness_anomalies", "elementary", tkFreshnessAnomaly, "updated_at"
				t.name = "elementary_freshness_anomalies_" + base + "_updated_at"
			default:
				t.short, t.namespace, t.column = "expression_is_true", "dbt_utils", "amount"
				t.name = "dbt_utils_expression_is_true_" + base + "_amount_0"
			}
		}
		switch {
		case k%29 == 5:
			t.severity = "warn"
		case k%7 == 3:
			t.severity = "WARN"
		}
		if k%13 == 0 {
			t.meta = jsonText(map[string]any{"owner": "@" + d.handle(n.team, k)})
		} else if k%17 == 1 {
			t.meta = jsonText(map[string]any{"owner": d.handle(n.team, k+1) + "@kumo.coffee", "channel": "data-" + Teams()[n.team]})
		}
		switch r := rng.Float64(); {
		case n.protected:
			t.protected = true
		case r < 0.015 && t.kind == tkGeneric:
			t.flaky = true
		case r < 0.06:
			t.badness = 0.05
		}
		add(t)
	}
}

func (d *Dataset) buildExposures(rng *rand.Rand) {
	mk := func(name, label, maturity, typ string, team int, deps []string, meta map[string]any) {
		e := exposure{id: "exposure.kumo." + name, name: name, label: label, maturity: maturity, typ: typ,
			email: Teams()[team] + "-data@kumo.coffee", ownerName: strings.ToUpper(Teams()[team][:1]) + Teams()[team][1:] + " Data",
			url: "https://looker.kumo.coffee/dashboards/" + name}
		if typ == "ml" {
			e.url = "https://mlflow.kumo.coffee/models/" + name
		}
		if meta == nil {
			meta = map[string]any{}
		}
		e.meta = jsonText(meta)
		for _, dep := range deps {
			if i := d.idx(dep); i >= 0 {
				e.deps = append(e.deps, i)
			}
		}
		d.exposures = append(d.exposures, e)
	}
	mk("executive_revenue_dashboard", "Executive revenue", "high", "dashboard", 0, []string{StoryHealthyModelID},
		map[string]any{"criticality": "high"})
	mk("orders_ops_dashboard", "Orders operations", "medium", "dashboard", 3, []string{StoryFailingModelID}, nil)
	mk("demand_forecast", "Demand forecast", "high", "ml", 2, []string{"model.kumo.fct_inventory_daily", "model.kumo.dim_products"},
		map[string]any{"criticality": "high"})
	var marts []int
	for i, n := range d.nodes {
		if n.layer == "marts" {
			marts = append(marts, i)
		}
	}
	for i := range d.opts.Models / 30 {
		if len(marts) == 0 {
			break
		}
		m := d.nodes[marts[rng.IntN(len(marts))]]
		typ := []string{"dashboard", "dashboard", "ml", "notebook", "application", "analysis"}[rng.IntN(6)]
		mk(fmt.Sprintf("%s_%s_%d", strings.TrimPrefix(strings.TrimPrefix(m.name, "fct_"), "dim_"), typ, i),
			"", []string{"high", "medium", "low"}[rng.IntN(3)], typ, m.team, []string{m.id}, nil)
	}
}
