package transport

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"
)

// getBackup starts GET /v1/cluster/backup on e and returns the response.
func getBackup(t *testing.T, e *testEnv) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", e.base+"/v1/cluster/backup", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("backup: %s", resp.Status)
	}
	return resp
}

// A backup download has an idle bound, not a total one: a client that reads
// slowly but steadily gets every byte (and the checksum in the header) long
// after the bound has passed many times over; one that stops reading for
// longer than the bound is cut.
func TestBackupIdleTimeout(t *testing.T) {
	node := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(node.eng.Close)
	// Larger than loopback's socket buffers, so the server's writes block.
	node.backup = bytes.Repeat([]byte("0123456789abcdef"), 24<<20/16)
	sum := sha256.Sum256(node.backup)
	const idle = 300 * time.Millisecond
	e := startServer(t, node, func(c *Config) { c.StreamIdleTimeout = idle })

	t.Run("steady", func(t *testing.T) {
		resp := getBackup(t, e)
		if got := resp.Header.Get(backupSHA256Header); got != hex.EncodeToString(sum[:]) {
			t.Fatalf("%s: %q, want %x", backupSHA256Header, got, sum)
		}
		start := time.Now()
		h := sha256.New()
		buf := make([]byte, 256<<10)
		var n int64
		for {
			m, err := io.ReadFull(resp.Body, buf)
			h.Write(buf[:m])
			n += int64(m)
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				t.Fatalf("after %d bytes and %s: %v", n, time.Since(start), err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		took := time.Since(start)
		if n != int64(len(node.backup)) || !bytes.Equal(h.Sum(nil), sum[:]) {
			t.Fatalf("got %d bytes, want %d with the same SHA-256", n, len(node.backup))
		}
		if took < 4*idle {
			t.Fatalf("the download took %s, not long enough to show that %s is no total bound", took, idle)
		}
	})
	t.Run("stalled", func(t *testing.T) {
		resp := getBackup(t, e)
		if _, err := io.ReadFull(resp.Body, make([]byte, 1<<20)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * idle)
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil || 1<<20+n >= int64(len(node.backup)) {
			t.Fatalf("a reader that stalled for %s got %d more bytes (err %v): the server waited for it", 5*idle, n, err)
		}
	})
}
