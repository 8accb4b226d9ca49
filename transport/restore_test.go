package transport

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// postRestore POSTs body to /v1/cluster/restore as contentType with the given
// checksum header ("": none).
func postRestore(t *testing.T, base, contentType string, body []byte, sum string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", base+restorePath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", contentType)
	if sum != "" {
		req.Header.Set(backupSHA256Header, sum)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

// cutUpload sends a restore whose Content-Length promises more than is sent,
// then half-closes the connection, and returns the raw answer.
func cutUpload(t *testing.T, base string, body []byte, announced int) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
		restorePath, testToken, announced)
	c.Write(body)
	c.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// A backup uploaded as the body restores the cluster; an upload that is
// truncated, damaged, not a backup, or not the one its checksum names is
// refused with a 400 that says so, and the state is left as it was.
func TestRestoreUpload(t *testing.T) {
	e := newEnv(t, "2026-01-01T00:00:00Z")
	e.create("/v1/customers", map[string]any{"name": "Before", "ingest_aliases": []string{"before"}})
	resp := getBackup(t, e)
	backup, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(backup)
	if got := resp.Header.Get(backupSHA256Header); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("%s: %q, want %x", backupSHA256Header, got, sum)
	}
	e.create("/v1/customers", map[string]any{"name": "After", "ingest_aliases": []string{"after"}})
	hasAfter := func() bool {
		return e.srv.node.Engine().LookupCustomer("after") != nil
	}
	other := sha256.Sum256([]byte("another backup"))
	refused := []struct {
		name, contentType string
		body              []byte
		sum, field        string
		status            int
	}{
		{"not a backup", "application/octet-stream", []byte("hello, not a snapshot"), "", "not a usable backup", 400},
		{"cut short", "application/octet-stream", backup[:len(backup)/2], "", "not a usable backup", 400},
		{"checksum mismatch", "application/octet-stream", backup, hex.EncodeToString(other[:]), "checksum mismatch", 400},
		{"bad checksum header", "application/octet-stream", backup, "xyz", backupSHA256Header, 400},
		{"empty", "application/octet-stream", nil, "", "not a usable backup", 400},
		{"other content type", "text/plain", backup, "", "Content-Type", 415},
	}
	for _, c := range refused {
		status, _, body := postRestore(t, e.base, c.contentType, c.body, c.sum)
		if status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
			continue
		}
		assert4xx(t, c.name, status, body, c.field)
		if !hasAfter() {
			t.Fatalf("%s: the refused upload replaced the state", c.name)
		}
	}
	// Cut within what the server reads before the handler, and after it.
	for _, cut := range [][]byte{backup[:len(backup)/2], bytes.Repeat(backup, 64<<10/len(backup)+1)} {
		if got := cutUpload(t, e.base, cut, 2*len(cut)); !strings.HasPrefix(got, "400 ") || !strings.Contains(got, "truncated") {
			t.Errorf("a body of %d bytes shorter than its Content-Length: %s, want 400 naming the truncation", len(cut), got)
		}
	}
	if !hasAfter() {
		t.Fatal("the truncated upload replaced the state")
	}

	status, _, body := postRestore(t, e.base, "application/octet-stream", backup, hex.EncodeToString(sum[:]))
	if status != 200 || !contains(body, hex.EncodeToString(sum[:])) || !contains(body, fmt.Sprintf(`"bytes":%d`, len(backup))) {
		t.Fatalf("restore: %d %s", status, body)
	}
	if hasAfter() || e.srv.node.Engine().LookupCustomer("before") == nil {
		t.Fatal("the restored state is not the backup's")
	}
}

// A restore upload sent to a follower is not relayed (it can be gigabytes):
// the answer is 421 naming the leader's address.
func TestRestoreUploadToFollower(t *testing.T) {
	leaderNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(leaderNode.eng.Close)
	leader := startServer(t, leaderNode)
	followerNode := newFakeNode(mustTime(t, "2026-01-01T00:00:00Z"))
	t.Cleanup(followerNode.eng.Close)
	followerNode.leader = false
	followerNode.leaderAddr = strings.TrimPrefix(leader.base, "http://")
	follower := startServer(t, followerNode)

	// Within maxDrain, so the answer is read before the connection closes
	// (a larger upload may meet a reset instead: the CLI asks for the
	// leader first).
	status, hdr, body := postRestore(t, follower.base, "application/octet-stream", bytes.Repeat([]byte{1}, 64<<10), "")
	if status != 421 || hdr.Get(leaderHeader) != followerNode.leaderAddr || !contains(body, leader.base+restorePath) {
		t.Fatalf("upload to a follower: %d %s: %s, want 421 naming %s", status, hdr.Get(leaderHeader), body, leader.base)
	}
	assert4xx(t, "follower", status, body, "leader")
	followerNode.leaderAddr = ""
	if status, _, body := postRestore(t, follower.base, "application/octet-stream", []byte("x"), ""); status != 503 {
		t.Fatalf("upload to a follower without a leader: %d %s, want 503", status, body)
	}
}
