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

// newCodec returns the codec for this cluster's log: the engine's commands
// plus the cluster layer's own.
func newCodec() (*persist.Codec, error) {
	return persist.NewCodec(persist.Registration{
		Kind: kindNodeMeta, Version: 1, New: func() engine.Command { return &nodeMetaCmd{} },
	}, persist.Registration{
		Kind: kindIdemGuard, Version: 1, New: func() engine.Command { return &idemGuardCmd{} },
	}, persist.Registration{
		Kind: kindWebhookCreate, Version: 1, New: func() engine.Command { return &webhookCreateCmd{} },
	}, persist.Registration{
		Kind: kindWebhookArchive, Version: 1, New: func() engine.Command { return &webhookArchiveCmd{} },
	}, persist.Registration{
		Kind: kindWebhookDisable, Version: 1, New: func() engine.Command { return &webhookDisableCmd{} },
	}, persist.Registration{
		Kind: kindOutboxDelivered, Version: 1, New: func() engine.Command { return &outboxDeliveredCmd{} },
	}, persist.Registration{
		Kind: kindOutboxFailed, Version: 1, New: func() engine.Command { return &outboxFailedCmd{} },
	}, persist.Registration{
		Kind: kindOutboxReplay, Version: 1, New: func() engine.Command { return &outboxReplayCmd{} },
	})
}
