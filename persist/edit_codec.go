package persist

import "burndown/engine"

// edit_contract version 5 adds the contract's name and the access-schedule
// edits of its commits and credits (engine/balance_edit.go), fields
// omitted when empty: an edit without them has version 4's body, and is
// written there (or, while the cluster's format is decimal, at version 2
// or 3 as before), so nodes of the builds that wrote version 4 apply it.
// An edit with them is proposed only once the cluster's format is compact
// (CommandNeedsFormat): written at version 3 or below it would lose them.

// editRegistrations registers edit_contract versions 3 (the last with
// decimal amounts, whose WriteAs otherwise takes every edit) and 4 (the
// first with compact amounts), each written only for an edit without
// version 5's fields.
func editRegistrations() []Registration {
	return []Registration{{
		Kind: engine.KindEditContract, Version: 3,
		New:     func() engine.Command { return &engine.EditContract{} },
		WriteAs: editBeforeVersion5,
	}, {
		Kind: engine.KindEditContract, Version: 4,
		New:     func() engine.Command { return &engine.EditContract{} },
		WriteAs: editBeforeVersion5,
	}}
}

// editBeforeVersion5 takes an edit that uses nothing version 5 added.
func editBeforeVersion5(cmd engine.Command) (engine.Command, bool) {
	return cmd, !cmd.(*engine.EditContract).UsesVersion5()
}
