package cluster

import (
	"fmt"

	"burndown/engine"
	"burndown/persist"
)

// The command table. Every replicated command has one registration: the
// engine's in engine.Commands(), the cluster layer's in clusterSpecs below.
// The log's codec is built from both (newCodec), the FSM dispatches cluster
// commands through clusterSpecs by kind (never a type switch), the one
// idempotency guard covers any command a client may send (engine commands
// and the clientFacing cluster ones), and the coverage tests walk the same
// table (TestRandomClusterLogCoversEveryCommand, TestCommandTable). Adding a
// cluster command is adding its spec here and a generator case to the random
// cluster log, which a test enforces.

// clusterSpec is a cluster-layer command's one registration.
type clusterSpec struct {
	Kind engine.Kind
	// Name is the kind's stable name in logs and error messages.
	Name string
	// Version is the version of the body written today; older versions
	// stay registered through persist registrations of their own.
	Version uint8
	New     func() engine.Command
	// FlushFirst: the engine work gathered before the command must be
	// applied first, because the command reads or adds to the records the
	// engine queues (delivery marks name notifications of earlier entries;
	// a replay appends records, whose order decides which the outbox's
	// bound drops): every replica must see them in log order, whatever
	// batches raft hands it.
	FlushFirst bool
	// ClientFacing commands come from API requests: they may be guarded by
	// an Idempotency-Key and find a full proposal queue answered at once.
	// The others are the nodes' own and wait for room.
	ClientFacing bool
	// NeedsFormat is the cluster data format a command of a later release
	// than v0.4.0 needs before it may be proposed: earlier releases stop on
	// it, so not until the upgrade is finalized.
	NeedsFormat persist.DataFormat
	// Apply applies the command on the FSM goroutine, in log order, and
	// returns its result.
	Apply func(f *fsm, x applyAt, c engine.Command) engine.Result
}

// applyAt says where in the log a cluster command is applied: the entry's
// raft index, the command's position in it and the entry's stamped time.
// Ids derived from them are the same on every replica.
type applyAt struct {
	index uint64
	pos   int
	at    engine.Nanos
}

// clusterSpecs is the cluster layer's part of the command table, built once
// and never modified. The guard (kindIdemGuard) is registered like any
// command but applied by the FSM itself, since it decides the fate of the
// command after it (see guard).
var clusterSpecs = buildClusterSpecs(
	clusterSpec{Kind: kindNodeMeta, Name: "node_meta", Version: 1, New: func() engine.Command { return &nodeMetaCmd{} },
		Apply: func(f *fsm, _ applyAt, c engine.Command) engine.Result {
			f.applyNodeMeta(c.(*nodeMetaCmd))
			return engine.Result{}
		}},
	// idempotency_guard version 2 may guard cluster commands (Cluster);
	// version 1 (engine commands only) is registered in newCodec and still
	// written for guards of engine commands.
	clusterSpec{Kind: kindIdemGuard, Name: "idempotency_guard", Version: 2, New: func() engine.Command { return &idemGuardCmd{} }},
	clusterSpec{Kind: kindDataFormat, Name: "set_data_format", Version: 1, New: func() engine.Command { return &dataFormatCmd{} },
		Apply: func(f *fsm, _ applyAt, c engine.Command) engine.Result { return f.applyDataFormat(c.(*dataFormatCmd)) }},
	clusterSpec{Kind: kindTokenCreate, Name: "create_token", Version: 1, New: func() engine.Command { return &tokenCreateCmd{} },
		ClientFacing: true, NeedsFormat: persist.DataFormatCompactAmounts,
		Apply: func(f *fsm, x applyAt, c engine.Command) engine.Result {
			return f.tokens.create(c.(*tokenCreateCmd), x.index, x.pos, x.at)
		}},
	clusterSpec{Kind: kindTokenRevoke, Name: "revoke_token", Version: 1, New: func() engine.Command { return &tokenRevokeCmd{} },
		ClientFacing: true, NeedsFormat: persist.DataFormatCompactAmounts,
		Apply: func(f *fsm, x applyAt, c engine.Command) engine.Result {
			return f.tokens.revoke(c.(*tokenRevokeCmd).ID, x.at)
		}},
	clusterSpec{Kind: kindDashboardKey, Name: "set_dashboard_key", Version: 1, New: func() engine.Command { return &dashboardKeyCmd{} },
		NeedsFormat: persist.DataFormatCompactAmounts,
		Apply: func(f *fsm, _ applyAt, c engine.Command) engine.Result {
			return f.applyDashboardKey(c.(*dashboardKeyCmd))
		}},
	clusterSpec{Kind: kindWebhookCreate, Name: "create_webhook", Version: 1, New: func() engine.Command { return &webhookCreateCmd{} },
		ClientFacing: true,
		Apply: func(f *fsm, x applyAt, c engine.Command) engine.Result {
			return f.outbox.createDest(c.(*webhookCreateCmd), x.index, x.pos, x.at)
		}},
	clusterSpec{Kind: kindWebhookArchive, Name: "archive_webhook", Version: 1, New: func() engine.Command { return &webhookArchiveCmd{} },
		ClientFacing: true,
		Apply: func(f *fsm, x applyAt, c engine.Command) engine.Result {
			return f.outbox.setDest(c.(*webhookArchiveCmd).ID, x.at, false)
		}},
	clusterSpec{Kind: kindWebhookDisable, Name: "disable_webhook", Version: 1, New: func() engine.Command { return &webhookDisableCmd{} },
		Apply: func(f *fsm, x applyAt, c engine.Command) engine.Result {
			return f.outbox.setDest(c.(*webhookDisableCmd).ID, x.at, true)
		}},
	clusterSpec{Kind: kindOutboxDelivered, Name: "outbox_delivered", Version: 1, New: func() engine.Command { return &outboxDeliveredCmd{} },
		FlushFirst: true,
		Apply: func(f *fsm, _ applyAt, c engine.Command) engine.Result {
			f.outbox.mark(c.(*outboxDeliveredCmd).Marks)
			return engine.Result{}
		}},
	clusterSpec{Kind: kindOutboxFailed, Name: "outbox_failed", Version: 1, New: func() engine.Command { return &outboxFailedCmd{} },
		FlushFirst: true,
		Apply: func(f *fsm, x applyAt, c engine.Command) engine.Result {
			f.outbox.fail(c.(*outboxFailedCmd), x.index, x.pos, x.at)
			return engine.Result{}
		}},
	clusterSpec{Kind: kindOutboxReplay, Name: "replay_deliveries", Version: 1, New: func() engine.Command { return &outboxReplayCmd{} },
		ClientFacing: true, FlushFirst: true,
		Apply: func(f *fsm, x applyAt, c engine.Command) engine.Result {
			return f.outbox.replay(c.(*outboxReplayCmd), x.index, x.pos, x.at)
		}},
)

// clusterSpecTable indexes cluster specs by kind.
type clusterSpecTable [256]*clusterSpec

func buildClusterSpecs(list ...clusterSpec) *clusterSpecTable {
	var t clusterSpecTable
	for i := range list {
		sp := &list[i]
		if err := sp.check(&t); err != nil {
			panic(err)
		}
		t[sp.Kind] = sp
	}
	return &t
}

// check asserts that a spec is complete and its kind free and in the
// cluster layer's range.
func (sp *clusterSpec) check(t *clusterSpecTable) error {
	switch {
	case sp.Kind < persist.FirstClusterKind:
		return fmt.Errorf("cluster: command %s: kind %d belongs to the engine", sp.Name, sp.Kind)
	case t[sp.Kind] != nil:
		return fmt.Errorf("cluster: command kind %d registered twice", sp.Kind)
	case sp.Name == "" || sp.Version == 0 || sp.New == nil:
		return fmt.Errorf("cluster: command kind %d needs a name, a version and a constructor", sp.Kind)
	case sp.New().Kind() != sp.Kind:
		return fmt.Errorf("cluster: command %s constructs kind %d", sp.Name, sp.New().Kind())
	case sp.Apply == nil && sp.Kind != kindIdemGuard:
		return fmt.Errorf("cluster: command %s has no Apply", sp.Name)
	}
	return nil
}

// clusterSpecOf returns the registration of a cluster-layer kind, or nil for
// an engine command.
func clusterSpecOf(k engine.Kind) *clusterSpec { return clusterSpecs[k] }

// guardable reports whether a command may be guarded by an idempotency key:
// every engine command but the node's own tick, and the client-facing
// cluster commands.
func guardable(c engine.Command) bool {
	if sp := clusterSpecOf(c.Kind()); sp != nil {
		return sp.ClientFacing
	}
	return c.Kind() != engine.KindTick
}

// newCodec returns the codec for this cluster's log: the engine's commands
// plus every cluster spec, each at the version it is written at.
func newCodec() (*persist.Codec, error) {
	regs := []persist.Registration{{Kind: kindIdemGuard, Version: 1,
		New: func() engine.Command { return &idemGuardCmd{} }, WriteAs: guardAsVersion1}}
	for _, sp := range clusterSpecs {
		if sp != nil {
			regs = append(regs, persist.Registration{Kind: sp.Kind, Version: sp.Version, New: sp.New})
		}
	}
	codec, err := persist.NewCodec(regs...)
	if err != nil {
		return nil, fmt.Errorf("cluster: codec: %w", err)
	}
	return codec, nil
}
