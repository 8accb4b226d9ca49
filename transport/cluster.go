package transport

import (
	"burndown/cluster"
	"context"

	"github.com/valyala/fasthttp"
)

// clusterStatus serves GET /v1/cluster/status: this node's view of the
// cluster, at the top level (no data wrapper).
func (s *Server) clusterStatus(ctx *fasthttp.RequestCtx, _ string) error {
	return writeJSON(ctx, nodeStatus{Status: s.node.Status(), ServingReads: s.readsOpen()})
}

// nodeStatus is the node's cluster status and whether it serves reads from
// its own state yet (catchup.go): a follower catching up trusts a leader's
// state index only once that leader serves reads.
type nodeStatus struct {
	cluster.Status
	ServingReads bool `json:"serving_reads"`
}

// clusterJoin serves POST /v1/cluster/join {"id","raft_addr","http_addr"};
// joining twice with the same addresses is a no-op.
func (s *Server) clusterJoin(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	id, raftAddr, httpAddr := o.str("id", true), o.str("raft_addr", true), o.str("http_addr", true)
	if err := r.Err(); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	if err := s.node.AddNode(cctx, id, raftAddr, httpAddr); err != nil {
		return proposeError(err)
	}
	return writeJSON(ctx, struct{}{})
}

// clusterRemove serves POST /v1/cluster/remove {"id"}.
func (s *Server) clusterRemove(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	id := o.str("id", true)
	if err := r.Err(); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	if err := s.node.RemoveNode(cctx, id); err != nil {
		return proposeError(err)
	}
	return writeJSON(ctx, struct{}{})
}

// clusterTransfer serves POST /v1/cluster/transfer-leadership (on the leader).
func (s *Server) clusterTransfer(ctx *fasthttp.RequestCtx, _ string) error {
	if err := s.node.TransferLeadership(); err != nil {
		return proposeError(err)
	}
	return writeJSON(ctx, struct{}{})
}

// clusterFinalizeUpgrade serves POST /v1/cluster/finalize-upgrade: once
// every node runs this release, the leader writes its data format (amounts
// in money's compact form) from now on. Idempotent.
func (s *Server) clusterFinalizeUpgrade(ctx *fasthttp.RequestCtx, _ string) error {
	wctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	if err := s.node.FinalizeUpgrade(wctx); err != nil {
		return proposeError(err)
	}
	return writeJSON(ctx, struct {
		DataFormat int `json:"data_format"`
	}{int(s.node.Status().DataFormat)})
}

// clusterSnapshot serves POST /v1/cluster/snapshot: a Raft snapshot of this node now.
func (s *Server) clusterSnapshot(ctx *fasthttp.RequestCtx, _ string) error {
	if err := s.node.Snapshot(); err != nil {
		return unavailable("snapshot failed: %v", err)
	}
	return writeJSON(ctx, struct{}{})
}
