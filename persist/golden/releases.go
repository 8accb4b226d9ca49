package golden

// FixtureSet is one set of fixtures under persist/testdata/golden, named by
// the release that wrote it.
type FixtureSet struct {
	Release string // the directory name, e.g. "v0.1.0"
	Commit  string // the commit of that release, where known
	Was     string // the directory's name before sets were named by release
	What    string // the durable formats it was written to pin down
}

// Releases is the one table of fixture sets, oldest first. The sets'
// README.txt files were written with them and still say the old names (and
// persist/golden/gen, the generator's old place; it is cmd/burndown-golden
// now). The foundation's frozen generator, gen-v0.1.0 (was gen-3ce68ee),
// lives in testdata, which Go tooling ignores: it compiles against commit
// 3ce68ee's API only.
var Releases = []FixtureSet{
	{Release: "v0.1.0", Commit: "3ce68ee", Was: "3ce68ee", What: "the foundation: 16-byte dedup keys; ingest-v1.bin, an ingest entry in the msgpack layout"},
	{Release: "v0.2.0", Was: "core-safe", What: "snapshot format 3 (tagged sections), customer layout 2, 20-byte dedup keys"},
	{Release: "v0.3.0", Commit: "c210cc0", Was: "full-2026-12", What: "customer layout 8, catalog version 2, create_contract version 3"},
	{Release: "v0.4.0", Commit: "58c393f", Was: "stripe-2026-12", What: "customer layout 9, create_contract version 4, edit_contract version 3, record_external_invoice, snapshot-late.bin"},
	{Release: "v0.5.0", What: "the compact data format: amounts in money's compact form (create_product 2, create_rate_card 2, add_rates 3, create_contract 5, edit_contract 4, create_alert 2, catalog section 3); customer layout 12 (update and archive times, manual ledger entries, separate SCHEDULED invoices), the customer administration commands (kinds 12-16), add_manual_ledger_entry (50), edit_balance (52) and edit_contract 5, void_invoice and regenerate_invoice (56, 57) and a contract with SCHEDULED invoices in snapshot-admin.bin and the log's last entries; cluster-log.bin: every cluster-layer command of the one command table, set_data_format and idempotency_guard 2 included"},
}
