package cluster

import (
	"burndown/engine"
	"burndown/persist"
)

// kindNodeMeta is the cluster-layer command recording a node's HTTP address
// in the replicated metadata. Its number is stable forever.
const kindNodeMeta engine.Kind = persist.FirstClusterKind

// nodeMetaCmd sets (or, with Remove, deletes) the HTTP address of a node, so
// that every member can tell clients where the leader's API is.
type nodeMetaCmd struct {
	ID       string `msgpack:"ID"`
	HTTPAddr string `msgpack:"HTTPAddr"`
	Remove   bool   `msgpack:"Remove"`
}

func (*nodeMetaCmd) Kind() engine.Kind { return kindNodeMeta }
