package gateway_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The README's walk-through ends with a request through NGINX, configured
// by deploy/nginx/example.conf with the README's substitutions: the file
// is run here as the README runs it (addresses and directory moved to the
// test's).
func TestREADMEGatewayExample(t *testing.T) {
	conf, err := os.ReadFile("../deploy/nginx/example.conf")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"deploy/nginx/example.conf", `-e "s/PRODUCT_ID/$P/"`, `-e "s/GATEWAY_TOKEN/$GW/"`, "X-Api-Key: example-inc", "/tmp/burndown-nginx/index.html"} {
		if !strings.Contains(string(readme), step) {
			t.Fatalf("README.md no longer runs the example with %q: keep this test and the README together", step)
		}
	}
	node := newGatewayFixture(t, freePort(t))
	dir, err := os.MkdirTemp("", "burndown-nginx-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// NGINX's workers run as nobody when it is started as root: the page
	// must be readable by them, as /tmp/burndown-nginx is in the README.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("hello from the service\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	listen := freePort(t)
	text := strings.NewReplacer("/tmp/burndown-nginx", dir, "127.0.0.1:8080", node.p.burndown, "127.0.0.1:8000", listen,
		"PRODUCT_ID", node.product, "GATEWAY_TOKEN", node.p.readToken).Replace(string(conf))
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(program(t, "nginx", "nginx"), "-c", path, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	runUntilListening(t, cmd, listen, filepath.Join(dir, "error.log"))

	resp, body := send(t, "http://"+listen+"/", "key-alice", "")
	if resp.StatusCode != 200 || body != "hello from the service\n" || resp.Header.Get("X-Burndown-Balance") != "5" {
		t.Fatalf("an entitled customer through the README's NGINX: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp, body := send(t, "http://"+listen+"/", "someone-else", ""); resp.StatusCode != 403 || strings.Contains(body, "hello") {
		t.Fatalf("an unknown customer through the README's NGINX: %d %q", resp.StatusCode, body)
	}
}
