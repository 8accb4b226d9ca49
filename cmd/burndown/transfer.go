package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// transferIdle bounds how long a backup or restore may make no progress:
// no byte moving, or no answer yet while the leader checks and installs an
// uploaded backup. There is no total bound.
const transferIdle = 10 * time.Minute

// backupSHA256Header carries a backup's SHA-256 (see transport).
const backupSHA256Header = "X-Burndown-Backup-Sha256"

// streamClient is a client of tr's kind whose connections move their
// deadlines on every read and write (idleConn) and that has no total timeout.
func streamClient(tr *http.Transport) *http.Client {
	st := tr.Clone()
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	st.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: c, idle: transferIdle}, nil
	}
	return &http.Client{Transport: st}
}

// idleConn is a connection whose every read and write must make progress
// within idle.
type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// backup streams the node's backup into a temporary file beside out, checks
// it against the SHA-256 the node sent, and renames it into place.
func (c *apiClient) backup(ctx context.Context, out string, stderr io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/cluster/backup", nil)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	resp, err := c.send(c.stream, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), ".burndown-backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	p := newProgress(stderr, "backup", resp.ContentLength)
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), &progressReader{r: resp.Body, p: p})
	p.done()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: write %s: %w", out, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want := resp.Header.Get(backupSHA256Header); want != "" && want != sum {
		return fmt.Errorf("backup: the download's SHA-256 is %s, the node sent %s; %s not written", sum, want, out)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stderr, "backup: wrote %d bytes to %s (sha256 %s)\n", p.n, out, sum)
	return nil
}

// restoreFile uploads the backup at path to the leader (found through
// /v1/cluster/status; a 421 from a node that lost leadership meanwhile
// names the new one, tried once) with its SHA-256, and prints the answer.
func (c *apiClient) restoreFile(ctx context.Context, path string, stdout, stderr io.Writer) error {
	sum, size, err := fileSHA256(path)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	base := c.leaderBase(ctx)
	resp, err := c.upload(ctx, base, path, sum, size, stderr)
	var se *statusError
	if errors.As(err, &se) && resp.StatusCode == http.StatusMisdirectedRequest && resp.Header.Get("X-Burndown-Leader") != "" {
		resp, err = c.upload(ctx, c.withHost(resp.Header.Get("X-Burndown-Leader")), path, sum, size, stderr)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(stdout, resp.Body)
	fmt.Fprintln(stdout)
	return err
}

// upload POSTs the file to base's restore endpoint.
func (c *apiClient) upload(ctx context.Context, base, path, sum string, size int64, stderr io.Writer) (*http.Response, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	p := newProgress(stderr, "restore upload", size)
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/cluster/restore", &progressReader{r: f, p: p})
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(backupSHA256Header, sum)
	resp, err := c.send(c.stream, req)
	p.done()
	return resp, err
}

// leaderBase is the leader's base URL as the node at c.base knows it, or
// c.base when it does not know.
func (c *apiClient) leaderBase(ctx context.Context) string {
	resp, err := c.do(ctx, "GET", "/v1/cluster/status", nil)
	if err != nil {
		return c.base
	}
	defer resp.Body.Close()
	var st struct {
		State          string `json:"state"`
		LeaderHTTPAddr string `json:"leader_http_addr"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil || st.State == "leader" || st.LeaderHTTPAddr == "" {
		return c.base
	}
	return c.withHost(st.LeaderHTTPAddr)
}

// withHost is c.base with its host:port replaced by addr.
func (c *apiClient) withHost(addr string) string {
	scheme, _, _ := strings.Cut(c.base, "://")
	return scheme + "://" + addr
}

// fileSHA256 reads the file at path once for its SHA-256 and size.
func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
