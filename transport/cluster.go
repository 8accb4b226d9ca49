package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
)

// clusterStatus serves GET /v1/cluster/status: this node's view of the
// cluster, at the top level (no data wrapper).
func (s *Server) clusterStatus(ctx *fasthttp.RequestCtx, _ string) error {
	return writeJSON(ctx, s.node.Status())
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

// tempStream is a backup spooled to a temporary file; fasthttp closes it
// after sending, which removes the file.
type tempStream struct{ *os.File }

func (t tempStream) Close() error {
	err := t.File.Close()
	if rerr := os.Remove(t.File.Name()); err == nil {
		err = rerr
	}
	return err
}

// clusterBackup serves GET /v1/cluster/backup: this node's snapshot stream.
// It is spooled to a temporary file first so a failure is answered as an
// error rather than as a truncated 200.
func (s *Server) clusterBackup(ctx *fasthttp.RequestCtx, _ string) error {
	f, err := os.CreateTemp("", "burndown-backup-*")
	if err != nil {
		return fmt.Errorf("backup: spool file: %w", err)
	}
	ts := tempStream{f}
	if err := s.node.Backup(f); err != nil {
		ts.Close()
		return unavailable("backup failed: %v", err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		ts.Close()
		return fmt.Errorf("backup: rewind spool file: %w", err)
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/octet-stream")
	ctx.Response.Header.Set("Content-Disposition", `attachment; filename="burndown-backup.snap"`)
	ctx.SetBodyStream(ts, int(size))
	return nil
}

// clusterRestore serves POST /v1/cluster/restore {"path": "..."}: the leader
// replaces the whole cluster state with a backup file on its own disk (taken
// by GET /v1/cluster/backup). The file is read on the node rather than
// uploaded so that backups of any size stream from disk; it is checked end to
// end before anything changes.
func (s *Server) clusterRestore(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	path := o.str("path", true)
	if err := r.Err(); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return badRequest("path: cannot open the backup on this node: %v", err)
	}
	defer f.Close()
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := s.node.Restore(cctx, f); err != nil {
		if errors.Is(err, cluster.ErrNotLeader) {
			return proposeError(err)
		}
		return badRequest("path: restore failed: %v", err)
	}
	return writeJSON(ctx, struct{}{})
}
