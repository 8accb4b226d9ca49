package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
)

// restorePath is the one route whose body is streamed, not buffered.
const restorePath = "/v1/cluster/restore"

// restoreTimeout bounds a whole restore, upload included.
const restoreTimeout = time.Hour

// restoreAnswer is what a restore answers: what it read and installed.
type restoreAnswer struct {
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// clusterRestore serves POST /v1/cluster/restore: the leader replaces the
// whole cluster state with a backup taken by GET /v1/cluster/backup, either
// uploaded as the body (application/octet-stream, streamed to the data dir,
// never held in memory) or read from a path on the leader's own disk
// ({"path": ...} as application/json). Either way the backup is copied and
// checked end to end (size, checksum, format) before anything changes.
func (s *Server) clusterRestore(ctx *fasthttp.RequestCtx, _ string) error {
	switch ct := mediaType(ctx); ct {
	case "application/json":
		return s.restoreFromPath(ctx)
	case "application/octet-stream":
		return s.restoreUpload(ctx)
	default:
		return &apiError{Status: fasthttp.StatusUnsupportedMediaType, Message: fmt.Sprintf(
			"Content-Type: %q is not accepted here: upload the backup as application/octet-stream, or send {\"path\": ...} as application/json", ct)}
	}
}

// mediaType is the request's Content-Type without parameters, lower case.
func mediaType(ctx *fasthttp.RequestCtx) string {
	ct, _, _ := strings.Cut(string(ctx.Request.Header.ContentType()), ";")
	return strings.ToLower(strings.TrimSpace(ct))
}

// isUpload reports whether ctx is a restore whose body is the backup: a
// stream the forwarder must not buffer.
func isUpload(ctx *fasthttp.RequestCtx) bool {
	return string(ctx.Path()) == restorePath && mediaType(ctx) != "application/json"
}

func (s *Server) restoreFromPath(ctx *fasthttp.RequestCtx) error {
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
	return s.restore(ctx, newUpload(f, -1, nil), "path")
}

func (s *Server) restoreUpload(ctx *fasthttp.RequestCtx) error {
	want, err := announcedSHA256(ctx)
	if err != nil {
		return err
	}
	var body io.Reader
	if ctx.Request.IsBodyStream() {
		body = &idleReader{r: ctx.RequestBodyStream(), conn: liveConn(ctx), idle: s.cfg.StreamIdleTimeout}
	} else {
		body = bytes.NewReader(ctx.Request.Body())
	}
	return s.restore(ctx, newUpload(body, int64(ctx.Request.Header.ContentLength()), want), "body")
}

// restore hands the backup to the node and answers what was installed;
// field names the backup's source in error messages.
func (s *Server) restore(ctx *fasthttp.RequestCtx, up *upload, field string) error {
	cctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
	defer cancel()
	if err := s.node.Restore(cctx, up); err != nil {
		var ue *uploadError
		switch {
		case errors.Is(err, cluster.ErrNotLeader):
			return proposeError(err)
		case errors.As(err, &ue):
			return badRequest("%s", ue.msg)
		case errors.Is(err, cluster.ErrBadBackup):
			return badRequest("%s: %v; nothing was replaced", field, err)
		}
		return unavailable("restore failed: %v", err)
	}
	return writeJSON(ctx, restoreAnswer{Bytes: up.n, SHA256: hex.EncodeToString(up.h.Sum(nil))})
}

// announcedSHA256 is the checksum the client says it sent (nil: none).
func announcedSHA256(ctx *fasthttp.RequestCtx) ([]byte, error) {
	v := ctx.Request.Header.Peek(backupSHA256Header)
	if len(v) == 0 {
		return nil, nil
	}
	sum, err := hex.DecodeString(string(v))
	if err != nil || len(sum) != sha256.Size {
		return nil, badRequest("%s: expected the backup's SHA-256 as 64 hex digits, got %q", backupSHA256Header, v)
	}
	return sum, nil
}

// uploadError is a restore body that is not what the client announced.
type uploadError struct{ msg string }

func (e *uploadError) Error() string { return e.msg }

// upload is a backup on its way to Node.Restore: it counts and hashes the
// bytes and, at the end, reports a body shorter than its Content-Length or
// with another SHA-256 than announced as an error instead of io.EOF, so the
// node refuses it before anything is replaced.
type upload struct {
	r      io.Reader
	n      int64
	length int64  // Content-Length; -1: unknown (chunked, a file)
	want   []byte // nil: no checksum announced
	h      hash.Hash
}

func newUpload(r io.Reader, length int64, want []byte) *upload {
	return &upload{r: r, length: length, want: want, h: sha256.New()}
}

func (u *upload) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	u.n += int64(n)
	u.h.Write(p[:n])
	switch {
	case err == io.EOF:
		return n, u.atEnd()
	case err != nil:
		return n, &uploadError{fmt.Sprintf("body: the upload broke off after %d bytes: %v; nothing was replaced", u.n, err)}
	}
	return n, nil
}

// atEnd checks the complete body against what the client announced.
func (u *upload) atEnd() error {
	if u.length >= 0 && u.n != u.length {
		return &uploadError{fmt.Sprintf("body: truncated: %d of the %d bytes Content-Length announced arrived; nothing was replaced", u.n, u.length)}
	}
	if got := u.h.Sum(nil); u.want != nil && !bytes.Equal(got, u.want) {
		return &uploadError{fmt.Sprintf("%s: checksum mismatch: the body that arrived (%d bytes) has SHA-256 %x, the header says %x; nothing was replaced",
			backupSHA256Header, u.n, got, u.want)}
	}
	return io.EOF
}
