package transport

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/valyala/fasthttp"
)

// backupSHA256Header carries a backup's SHA-256 in hex: sent with every
// backup, and compared with what arrived when a restore upload carries it.
// The snapshot format itself has no checksum (a magic, a header, sections
// and an end marker that catches truncation, not damage), so the checksum
// travels beside it.
const backupSHA256Header = "X-Burndown-Backup-Sha256"

// tempStream is a backup spooled to a temporary file; closing it removes the
// file.
type tempStream struct{ *os.File }

func (t tempStream) Close() error {
	err := t.File.Close()
	if rerr := os.Remove(t.File.Name()); err == nil {
		err = rerr
	}
	return err
}

// clusterBackup serves GET /v1/cluster/backup: this node's newest snapshot.
//
// It is spooled to a temporary file first, then streamed: a failure is
// answered as an error rather than as a truncated 200, the size
// (Content-Length) and the SHA-256 (backupSHA256Header) are known before the
// first byte is sent, and raft's snapshot store is not held open for as long
// as a slow client takes. The stream has an idle bound, not a total one
// (idleBody): a download that keeps moving is never cut.
func (s *Server) clusterBackup(ctx *fasthttp.RequestCtx, _ string) error {
	f, err := os.CreateTemp("", "burndown-backup-*")
	if err != nil {
		return fmt.Errorf("backup: spool file: %w", err)
	}
	ts := tempStream{f}
	h := sha256.New()
	if err := s.node.Backup(io.MultiWriter(f, h)); err != nil {
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
	ctx.Response.Header.Set(backupSHA256Header, hex.EncodeToString(h.Sum(nil)))
	ctx.SetBodyStream(&idleBody{src: ts, conn: liveConn(ctx), idle: s.cfg.StreamIdleTimeout}, int(size))
	return nil
}
