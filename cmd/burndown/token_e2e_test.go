package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// burndown token create, list and revoke against a running node: the new
// read token reads, the list shows it without its secret, and once revoked
// it is refused.
func TestTokenCLI(t *testing.T) {
	bin := buildBinary(t)
	p := &process{t: t, bin: bin, httpAddr: freeAddr(t)}
	p.args = []string{"serve", "--node-id", "t1", "--data-dir", filepath.Join(t.TempDir(), "t1"), "--http-addr", p.httpAddr,
		"--raft-addr", freeAddr(t), "--api-token", e2eToken, "--bootstrap"}
	p.start()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("log:\n%s", lastLines(p.log.String(), 30))
		}
	})
	eventually(t, "node ready", 20*time.Second, func() error { _, err := call(p.httpAddr, "GET", "/readyz", nil, nil); return err })
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append(append([]string{"token"}, args...), "--addr", p.httpAddr, "--token", e2eToken)...).CombinedOutput()
		if err != nil {
			t.Fatalf("burndown token %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	var made struct {
		Data struct{ ID, Token string } `json:"data"`
	}
	if err := json.Unmarshal([]byte(cli("create", "--name", "gw", "--scope", "read")), &made); err != nil || made.Data.Token == "" {
		t.Fatalf("create: %v %+v", err, made)
	}
	status := func() int {
		req, _ := http.NewRequest("GET", "http://"+p.httpAddr+"/v1/customers", nil)
		req.Header.Set("Authorization", "Bearer "+made.Data.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status(); s != 200 {
		t.Fatalf("the new read token: %d", s)
	}
	if list := cli("list"); !strings.Contains(list, `"name": "gw"`) || strings.Contains(list, made.Data.Token) {
		t.Fatalf("list:\n%s", list)
	}
	cli("revoke", "--id", made.Data.ID)
	if s := status(); s != 401 {
		t.Fatalf("the revoked token: %d, want 401", s)
	}
}
