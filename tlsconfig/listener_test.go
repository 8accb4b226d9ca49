package tlsconfig_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"burndown/tlsconfig"
	"burndown/tlsconfig/tlstest"
)

// echoServer accepts on a TLS listener made by NewListener and echoes one
// line per connection; it returns the address.
func echoServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := tlsconfig.NewListener(inner, cfg)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err == nil {
					_, _ = io.WriteString(c, line)
				}
			}()
		}
	}()
	return inner.Addr().String()
}

// A TLS client is served; a plain HTTP request is answered 400, as Go's
// net/http answers it, and never reaches the server.
func TestPlainHTTPToTheTLSPortIsRefused(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	p := ca.Issue(t, "api")
	k, err := tlsconfig.LoadKeypair(p.CertFile, p.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := echoServer(t, tlsconfig.APIServer(k, nil))

	tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := io.WriteString(tc, "hello\n"); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(tc).ReadString('\n'); err != nil || line != "hello\n" {
		t.Fatalf("TLS echo: %q, %v", line, err)
	}

	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("plain HTTP: %v, want an answer", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTP request to an HTTPS server") {
		t.Fatalf("plain HTTP: %d %q, want 400 naming HTTPS", resp.StatusCode, body)
	}
}
