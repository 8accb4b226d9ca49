package transport

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// DefaultStreamIdleTimeout is how long a streamed backup or restore may make
// no progress before its connection is cut.
const DefaultStreamIdleTimeout = time.Minute

// idleWriteChunk is how much of a streamed response is written under one
// write deadline: a client must take this much within the idle bound.
const idleWriteChunk = 32 << 10

// liveConn is the connection ctx arrived on, or nil for a RequestCtx made by
// fasthttp's Init (benchmarks), whose connection is a stand-in without
// deadlines (local address port 0, which no listener has).
func liveConn(ctx *fasthttp.RequestCtx) net.Conn {
	if a, ok := ctx.LocalAddr().(*net.TCPAddr); ok && a.Port == 0 {
		return nil
	}
	return ctx.Conn()
}

// idleReader reads a request body with an idle bound instead of a total
// one: before each read it moves the connection's read deadline idle into
// the future, so an upload that keeps arriving is never cut and one that
// stalls for idle is.
type idleReader struct {
	r    io.Reader
	conn net.Conn // nil: no deadline to move
	idle time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	if r.conn != nil {
		if err := r.conn.SetReadDeadline(time.Now().Add(r.idle)); err != nil {
			return 0, fmt.Errorf("transport: extend read deadline: %w", err)
		}
	}
	return r.r.Read(p)
}

// idleBody is a response body written with an idle bound instead of a total
// one. fasthttp copies a body stream with its WriteTo when it has one; this
// WriteTo moves the connection's write deadline idle into the future before
// each idleWriteChunk it writes, so a client that keeps reading is never cut
// and one that stops reading for idle is. fasthttp closes it once sent.
type idleBody struct {
	src  io.ReadCloser
	conn net.Conn // nil: no deadline to move
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) { return b.src.Read(p) }

func (b *idleBody) Close() error { return b.src.Close() }

// WriteTo writes the whole body to w, one chunk per write deadline.
func (b *idleBody) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, idleWriteChunk)
	var total int64
	for {
		n, rerr := b.src.Read(buf)
		if n > 0 {
			if b.conn != nil {
				if err := b.conn.SetWriteDeadline(time.Now().Add(b.idle)); err != nil {
					return total, fmt.Errorf("transport: extend write deadline: %w", err)
				}
			}
			m, err := w.Write(buf[:n])
			total += int64(m)
			if err != nil {
				return total, err
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}
