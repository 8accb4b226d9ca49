package transport

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// accessFlushEvery bounds how long a line waits in the access log's buffer.
const accessFlushEvery = time.Second

// accessLog writes one JSON line per request: time, request id, method,
// path (without the query string: it may name customers, and it is not
// needed to tell requests apart when the id is there), status, duration,
// bytes, and the client's address. Tokens travel in headers and are never
// written. Lines are buffered and flushed every second and on shutdown, so
// logging costs the request a copy, not a write.
type accessLog struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newAccessLog(w io.Writer) *accessLog {
	a := &accessLog{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go a.flushLoop()
	return a
}

// accessLine is one request in the access log.
type accessLine struct {
	Time       string `json:"time"`
	RequestID  string `json:"request_id"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Status     int    `json:"status"`
	DurationUS int64  `json:"duration_us"`
	Bytes      int    `json:"bytes"`
	Remote     string `json:"remote"`
}

func (a *accessLog) log(ctx *fasthttp.RequestCtx, id []byte, start time.Time, took time.Duration) {
	line, err := json.Marshal(accessLine{
		Time: start.UTC().Format(time.RFC3339Nano), RequestID: string(id), Method: string(ctx.Method()),
		Path: string(ctx.Path()), Status: ctx.Response.StatusCode(), DurationUS: took.Microseconds(),
		Bytes: len(ctx.Response.Body()), Remote: ctx.RemoteAddr().String(),
	})
	if err != nil {
		return // strings and numbers only: cannot fail
	}
	a.mu.Lock()
	a.w.Write(line)
	a.w.WriteByte('\n')
	a.mu.Unlock()
}

func (a *accessLog) flushLoop() {
	defer close(a.done)
	t := time.NewTicker(accessFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.flush()
		case <-a.stop:
			a.flush()
			return
		}
	}
}

func (a *accessLog) flush() {
	a.mu.Lock()
	a.w.Flush()
	a.mu.Unlock()
}

// close flushes what is buffered and stops the flusher.
func (a *accessLog) close() {
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	<-a.done
}
