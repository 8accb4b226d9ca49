package transport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/valyala/fasthttp"
)

// The server streams request bodies (fasthttp's StreamRequestBody) so a
// restore can upload a backup of any size. Every other route wants its body
// whole and bounded, as it was before streaming: bufferBody reads it, and
// drainBody keeps the connection usable when a handler left a body unread.

// maxDrain is how much of a body a handler left unread is read and dropped
// after it answered, so the connection can carry the next request (net/http
// drains 256 KiB the same way); past it the connection is closed.
const maxDrain = 256 << 10

var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// bufferBody turns a streamed request body into an ordinary one: it reads
// at most max bytes of it into the request (413 beyond), so readBody and the
// forwarder see the whole body.
func bufferBody(ctx *fasthttp.RequestCtx, max int) error {
	if !ctx.Request.IsBodyStream() {
		return nil
	}
	buf := bodyBufs.Get().(*bytes.Buffer)
	defer bodyBufs.Put(buf)
	buf.Reset()
	if err := readAtMost(buf, ctx.RequestBodyStream(), max); err != nil {
		return err
	}
	ctx.Request.SetBody(buf.Bytes())
	return nil
}

// readAtMost appends r to buf until io.EOF; more than max bytes is a 413.
func readAtMost(buf *bytes.Buffer, r io.Reader, max int) error {
	for {
		buf.Grow(16 << 10)
		b := buf.AvailableBuffer()
		n, err := r.Read(b[:cap(b)])
		buf.Write(b[:n])
		if buf.Len() > max {
			return &apiError{Status: fasthttp.StatusRequestEntityTooLarge, Message: fmt.Sprintf("body: larger than the %d-byte limit", max)}
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return &apiError{Status: fasthttp.StatusRequestTimeout, Message: "body: timed out while reading"}
			}
			return badRequest("body: cannot be read after %d bytes: %v", buf.Len(), err)
		}
	}
}

// drainBody reads and drops what is left of a streamed body after the
// handler, up to maxDrain; beyond that, or when the body cannot be read, the
// connection closes after the answer rather than parse the rest of the body
// as the next request.
func drainBody(ctx *fasthttp.RequestCtx) {
	if !ctx.Request.IsBodyStream() {
		return
	}
	// io.EOF: the body ended within maxDrain bytes.
	if _, err := io.CopyN(io.Discard, ctx.RequestBodyStream(), maxDrain+1); !errors.Is(err, io.EOF) {
		ctx.SetConnectionClose()
	}
}

// serve is the fasthttp handler of a listening server: Handle, then what is
// left of a streamed body drained.
func (s *Server) serve(ctx *fasthttp.RequestCtx) {
	s.Handle(ctx)
	drainBody(ctx)
}
