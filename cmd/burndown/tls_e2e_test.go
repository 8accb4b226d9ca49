package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"burndown/tlsconfig/tlstest"
)

// httpsClient trusts the CAs in pool; each call gets its own connections.
func httpsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// servedSerial makes a request with client and returns the serial of the
// certificate the connection got, and whether the connection was reused.
func servedSerial(client *http.Client, addr string) (*big.Int, bool, error) {
	var reused bool
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
	req, err := http.NewRequest("GET", "https://"+addr+"/healthz", nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := client.Do(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return nil, reused, fmt.Errorf("healthz: %d", resp.StatusCode)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber, reused, nil
}

// A node with --cert-file serves HTTPS: the CLI reaches it with --cacert
// (or BURNDOWN_CACERT) and not without; plain HTTP is answered 400 and not
// served; SIGHUP swaps the certificate for new connections while a
// kept-alive one goes on; a reload that fails keeps the certificate.
func TestHTTPSWithReloadAndCACert(t *testing.T) {
	bin := buildBinary(t)
	ca := tlstest.NewCA(t, "api")
	pair := ca.Issue(t, "api")
	p := &process{t: t, bin: bin, httpAddr: freeAddr(t), https: httpsClient(ca.Pool())}
	p.args = []string{"serve", "--node-id", "h1", "--data-dir", filepath.Join(t.TempDir(), "h1"), "--http-addr", p.httpAddr,
		"--raft-addr", freeAddr(t), "--api-token", e2eToken, "--bootstrap", "--cert-file", pair.CertFile, "--key-file", pair.KeyFile}
	p.start()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("log:\n%s", lastLines(p.log.String(), 30))
		}
	})
	eventually(t, "node ready over HTTPS", 20*time.Second, func() error { _, err := p.call("GET", "/readyz", nil, nil); return err })

	resp, err := http.Get("http://" + p.httpAddr + "/v1/cluster/status")
	if err != nil {
		t.Fatalf("plain HTTP: %v, want a 400", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "HTTP request to an HTTPS server") {
		t.Fatalf("plain HTTP: %d %q, want 400 naming HTTPS", resp.StatusCode, body)
	}

	cli := func(args ...string) error {
		var out bytes.Buffer
		err := clusterCmd(t.Context(), append([]string{"status", "--token", e2eToken}, args...), &out, io.Discard)
		if err == nil && !strings.Contains(out.String(), `"node_id": "h1"`) {
			return fmt.Errorf("status printed %q", out.String())
		}
		return err
	}
	if err := cli("--addr", "https://"+p.httpAddr, "--cacert", ca.CertFile); err != nil {
		t.Fatalf("cluster status --cacert with an https:// address: %v", err)
	}
	if err := cli("--addr", p.httpAddr, "--cacert", ca.CertFile); err != nil {
		t.Fatalf("cluster status --cacert with host:port: %v", err)
	}
	if err := cli("--addr", "https://"+p.httpAddr); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("cluster status without --cacert: %v, want a certificate error", err)
	}
	t.Setenv("BURNDOWN_CACERT", ca.CertFile)
	if err := cli("--addr", "https://"+p.httpAddr); err != nil {
		t.Fatalf("cluster status with BURNDOWN_CACERT: %v", err)
	}

	kept := httpsClient(ca.Pool())
	if serial, _, err := servedSerial(kept, p.httpAddr); err != nil || serial.Cmp(pair.Serial) != 0 {
		t.Fatalf("before reload: serial %v, %v; want %v", serial, err, pair.Serial)
	}
	next := ca.IssueTo(t, "api", pair.CertFile, pair.KeyFile)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a new connection gets the new certificate", 10*time.Second, func() error {
		c := httpsClient(ca.Pool())
		defer c.CloseIdleConnections()
		serial, _, err := servedSerial(c, p.httpAddr)
		if err == nil && serial.Cmp(next) != 0 {
			err = fmt.Errorf("serial %v, want %v", serial, next)
		}
		return err
	})
	serial, reused, err := servedSerial(kept, p.httpAddr)
	if err != nil || !reused || serial.Cmp(pair.Serial) != 0 {
		t.Fatalf("the kept-alive connection after reload: serial %v (want the old %v), reused %v, %v", serial, pair.Serial, reused, err)
	}

	if err := os.WriteFile(pair.CertFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failed reload is logged", 10*time.Second, func() error {
		if !strings.Contains(p.log.String(), "certificate not reloaded") {
			return fmt.Errorf("no error logged")
		}
		return nil
	})
	c := httpsClient(ca.Pool())
	defer c.CloseIdleConnections()
	if serial, _, err := servedSerial(c, p.httpAddr); err != nil || serial.Cmp(next) != 0 {
		t.Fatalf("after a failed reload: serial %v, %v; want the one in use, %v", serial, err, next)
	}
}

// tlsArgs issues a node name an API certificate from api and a peer
// certificate from peer, and returns its TLS flags trusting trusted.
func tlsArgs(t *testing.T, name string, api, peer, trusted *tlstest.CA) []string {
	a, p := api.Issue(t, name+"-api"), peer.Issue(t, name+"-peer")
	return []string{"--cert-file", a.CertFile, "--key-file", a.KeyFile,
		"--peer-cert-file", p.CertFile, "--peer-key-file", p.KeyFile, "--peer-trusted-ca-file", trusted.CertFile}
}

// Three nodes with peer mutual TLS form a cluster (raft over TLS, joins
// over the API port with peer certificates), a write sent to a follower is
// forwarded to the leader, and a follower is ready (it asks the leader how
// far it is); a node's peer certificate is renewed with SIGHUP and writes
// still flow. Clients trust only the API certificates' CA. A node whose
// peer certificate another CA signed, even trusting the right CA, cannot
// join.
func TestPeerMutualTLSCluster(t *testing.T) {
	bin := buildBinary(t)
	apiCA, peerCA, rogueCA := tlstest.NewCA(t, "api"), tlstest.NewCA(t, "peer"), tlstest.NewCA(t, "rogue")
	i := 0
	nodes := newProcesses(t, bin, "m", 3, func(httpAddr, raftAddr string) []string {
		i++
		return append([]string{"--http-addr", httpAddr, "--raft-addr", raftAddr}, tlsArgs(t, fmt.Sprint("m", i), apiCA, peerCA, peerCA)...)
	})
	for _, n := range nodes {
		n.https = httpsClient(apiCA.Pool())
	}
	st := startProcesses(t, nodes)
	var follower *process
	for _, n := range nodes {
		if flagValue(n.args, "--node-id") != st.Leader {
			follower = n
		}
	}
	var made struct {
		Data struct{ ID string } `json:"data"`
	}
	if _, err := follower.call("POST", "/v1/customers", map[string]any{"name": "Acme", "ingest_aliases": []string{"acme"}}, &made); err != nil {
		t.Fatalf("a write through follower %s: %v", flagValue(follower.args, "--node-id"), err)
	}
	for _, n := range nodes {
		eventually(t, "the customer on "+flagValue(n.args, "--node-id"), 20*time.Second, func() error {
			_, err := n.call("GET", "/v1/customers/"+made.Data.ID, nil, nil)
			return err
		})
	}
	eventually(t, "the follower ready", 20*time.Second, func() error { _, err := follower.call("GET", "/readyz", nil, nil); return err })
	peerReload(t, nodes[0], peerCA)
	if _, err := follower.call("POST", "/v1/customers", map[string]any{"name": "After reload", "ingest_aliases": []string{"after"}}, nil); err != nil {
		t.Fatalf("a write through the follower after the peer certificate's reload: %v", err)
	}

	rogue := &process{t: t, bin: bin, httpAddr: freeAddr(t), https: httpsClient(apiCA.Pool())}
	rogue.args = append([]string{"serve", "--node-id", "rogue", "--data-dir", filepath.Join(t.TempDir(), "rogue"), "--http-addr", rogue.httpAddr,
		"--raft-addr", freeAddr(t), "--api-token", e2eToken, "--join", nodes[0].httpAddr}, tlsArgs(t, "rogue", apiCA, rogueCA, peerCA)...)
	rogue.start()
	t.Cleanup(func() {
		rogue.kill()
		if t.Failed() {
			t.Logf("log of the rogue node:\n%s", lastLines(rogue.log.String(), 30))
		}
	})
	// It differs from the members only by its peer certificate's signer.
	// (Under TLS 1.3 the client learns of the refusal as a closed
	// connection: the words of its error are fasthttp's.)
	eventually(t, "the rogue node's join refused", 20*time.Second, func() error {
		if log := rogue.log.String(); strings.Count(log, "join attempt failed") < 2 {
			return fmt.Errorf("no refused join in its log")
		}
		return nil
	})
	if strings.Contains(rogue.log.String(), "joined the cluster") {
		t.Fatal("the rogue node joined")
	}
	if _, err := nodes[0].call("GET", "/v1/cluster/status", nil, &st); err != nil || len(st.Nodes) != 3 {
		t.Fatalf("status after the rogue node tried: %+v, %v; want the 3 members only", st.Nodes, err)
	}
}

// peerSerial is the serial of the certificate n's API port shows a node
// (one offering burndown-peer with a certificate ca signed).
func peerSerial(t *testing.T, n *process, ca *tlstest.CA) (*big.Int, error) {
	p := ca.Issue(t, "probe")
	cert, err := tls.LoadX509KeyPair(p.CertFile, p.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", n.httpAddr, &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{cert}, NextProtos: []string{"burndown-peer"}})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber, nil
}

// peerReload gives n a new peer certificate and sends it SIGHUP: a node
// calling its API port gets the new one.
func peerReload(t *testing.T, n *process, ca *tlstest.CA) {
	t.Helper()
	before, err := peerSerial(t, n, ca)
	if err != nil {
		t.Fatalf("a node's handshake with %s: %v", n.httpAddr, err)
	}
	next := ca.IssueTo(t, "renewed", flagValue(n.args, "--peer-cert-file"), flagValue(n.args, "--peer-key-file"))
	if err := n.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the renewed peer certificate", 10*time.Second, func() error {
		got, err := peerSerial(t, n, ca)
		if err == nil && got.Cmp(next) != 0 {
			err = fmt.Errorf("serial %v, want %v (was %v)", got, next, before)
		}
		return err
	})
}
