package tlsconfig

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// plainHTTPAnswer is what a plain HTTP request to a TLS port gets, the
// words Go's net/http uses.
const plainHTTPAnswer = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"

// NewListener returns a listener whose connections speak TLS with cfg. The
// handshake happens on a connection's first read or write (so Accept never
// waits on a client); a client whose first bytes are not a TLS handshake
// (plain HTTP) is answered 400 and its connection closed, and the server
// reading it gets the handshake's error.
func NewListener(inner net.Listener, cfg *tls.Config) net.Listener {
	return &listener{Listener: inner, cfg: cfg}
}

type listener struct {
	net.Listener
	cfg *tls.Config
}

// Accept returns the next connection, its handshake still to come.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: tls.Server(c, l.cfg)}, nil
}

// conn is a server-side TLS connection that answers plain HTTP.
type conn struct {
	*tls.Conn
	once sync.Once
	err  error
}

// Handshake runs the handshake once, answering a plain HTTP client.
func (c *conn) Handshake() error {
	c.once.Do(func() {
		err := c.Conn.Handshake()
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && rh.Conn != nil {
			_ = rh.Conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = io.WriteString(rh.Conn, plainHTTPAnswer)
			_ = rh.Conn.Close()
		}
		c.err = err
	})
	return c.err
}

// Read reads after the handshake.
func (c *conn) Read(b []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

// Write writes after the handshake.
func (c *conn) Write(b []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
