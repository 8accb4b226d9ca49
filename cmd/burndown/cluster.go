package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"burndown/tlsconfig"
)

const clusterUsage = `usage: burndown cluster <status|join|remove|transfer-leadership|finalize-upgrade|snapshot|backup|restore> [flags]

  status                                  print the node's view of the cluster
  join --id ID --raft-addr A --http-addr H add a node (idempotent)
  remove --id ID                          remove a node
  transfer-leadership                     hand leadership to another voter
  finalize-upgrade                        once every node runs this release: write its formats
  snapshot                                take a Raft snapshot on the node now
  backup --out FILE                       stream the node's snapshot to FILE (checked
                                          against the SHA-256 the node sends)
  restore --file PATH                     replace the cluster's state with the backup at PATH,
                                          uploaded to the leader with its SHA-256
  restore --leader-path PATH              the same with a backup already on the leader's disk
backup and restore show progress on stderr and have no total timeout, only an idle one (10m).

common flags: --addr (default 127.0.0.1:8080; https://host:port for TLS), --token (default
$BURNDOWN_TOKEN, then $BURNDOWN_API_TOKEN, then the token file in --data-dir), --cacert (a CA
to trust for https). Every flag can be set as BURNDOWN_ADDR, BURNDOWN_TOKEN, BURNDOWN_DATA_DIR,
BURNDOWN_CACERT, and the others as BURNDOWN_CLUSTER_<FLAG>
(BURNDOWN_CLUSTER_HTTP_ADDR for join's --http-addr, ...); the command line wins.
`

// clusterCmd is a thin HTTP client of the /v1/cluster/* endpoints.
func clusterCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, clusterUsage)
		return flag.ErrHelp
	}
	sub := args[0]
	fs := flag.NewFlagSet("cluster "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	client := clientFlags(fs)
	id := fs.String("id", "", "node id (join, remove)")
	raftAddr := fs.String("raft-addr", "", "raft address of the node to join")
	httpAddr := fs.String("http-addr", "", "HTTP address of the node to join")
	out := fs.String("out", "", "backup file to write")
	file := fs.String("file", "", "backup file to upload and restore")
	leaderPath := fs.String("leader-path", "", "backup file on the leader's own disk to restore")
	if err := parseWithEnvNames(fs, args[1:], subcommandEnvName("BURNDOWN_CLUSTER_")); err != nil {
		return err
	}
	c, err := client()
	if err != nil {
		return err
	}
	switch sub {
	case "status":
		return c.call(ctx, "GET", "/v1/cluster/status", nil, stdout)
	case "join":
		if *id == "" || *raftAddr == "" || *httpAddr == "" {
			return errors.New("join: --id, --raft-addr and --http-addr are required")
		}
		return c.call(ctx, "POST", "/v1/cluster/join", map[string]string{"id": *id, "raft_addr": *raftAddr, "http_addr": *httpAddr}, stdout)
	case "remove":
		if *id == "" {
			return errors.New("remove: --id is required")
		}
		return c.call(ctx, "POST", "/v1/cluster/remove", map[string]string{"id": *id}, stdout)
	case "transfer-leadership":
		return c.call(ctx, "POST", "/v1/cluster/transfer-leadership", struct{}{}, stdout)
	case "finalize-upgrade":
		return c.call(ctx, "POST", "/v1/cluster/finalize-upgrade", struct{}{}, stdout)
	case "snapshot":
		return c.call(ctx, "POST", "/v1/cluster/snapshot", struct{}{}, stdout)
	case "backup":
		if *out == "" {
			return errors.New("backup: --out is required")
		}
		return c.backup(ctx, *out, stderr)
	case "restore":
		switch {
		case (*file == "") == (*leaderPath == ""):
			return errors.New("restore: give one of --file (a local backup to upload) and --leader-path (a backup on the leader's disk)")
		case *file != "":
			return c.restoreFile(ctx, *file, stdout, stderr)
		}
		return c.call(ctx, "POST", "/v1/cluster/restore", map[string]string{"path": *leaderPath}, stdout)
	}
	fmt.Fprint(stderr, clusterUsage)
	return fmt.Errorf("unknown cluster command %q", sub)
}

// subcommandEnvName names the environment variable of a client
// subcommand's flag: BURNDOWN_ADDR, BURNDOWN_TOKEN, BURNDOWN_DATA_DIR and
// BURNDOWN_CACERT mean the same to every client command (the node to talk
// to, its token, its data dir, the CA its certificate comes from);
// the flags naming another node (join's --id, --raft-addr, --http-addr), a
// file or a token to make take prefix (BURNDOWN_CLUSTER_, BURNDOWN_TOKEN_),
// so a node's own BURNDOWN_HTTP_ADDR never becomes the address of a node it
// joins.
func subcommandEnvName(prefix string) func(flag string) string {
	return func(flag string) string {
		switch flag {
		case "addr", "token", "data-dir", "cacert":
			return envName(flag)
		}
		return prefix + strings.TrimPrefix(envName(flag), "BURNDOWN_")
	}
}

// clientFlags registers the flags every client subcommand takes (--addr,
// --token, --data-dir, --cacert) and returns the client they describe, to
// call once the flags are parsed.
func clientFlags(fs *flag.FlagSet) func() (*apiClient, error) {
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP address of a node (host:port, http://host:port or https://host:port)")
	token := fs.String("token", "", "admin bearer token")
	dataDir := fs.String("data-dir", "./burndown-data", "where to find the token when --token is not given")
	cacert := fs.String("cacert", "", "CA certificate (PEM) to trust for an https:// --addr (then the default scheme)")
	return func() (*apiClient, error) { return newAPIClient(*addr, *token, *dataDir, *cacert) }
}

// newAPIClient is a client of the node at addr with the token given, else
// $BURNDOWN_API_TOKEN, else the token file in dataDir; with cacert it
// trusts that CA (and speaks https to an addr without a scheme).
func newAPIClient(addr, token, dataDir, cacert string) (*apiClient, error) {
	if token == "" {
		token = os.Getenv("BURNDOWN_API_TOKEN")
	}
	if token == "" {
		if b, err := os.ReadFile(filepath.Join(dataDir, "api-token")); err == nil {
			token = strings.TrimSpace(string(b))
		}
	}
	if token == "" {
		return nil, errors.New("no token: pass --token or set BURNDOWN_API_TOKEN")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	scheme := "http://"
	if cacert != "" {
		pool, err := tlsconfig.LoadCAs(cacert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
		scheme = "https://"
	}
	return &apiClient{base: baseURL(addr, scheme), token: token, http: &http.Client{Timeout: 5 * time.Minute, Transport: tr},
		stream: streamClient(tr)}, nil
}

// baseURL is addr as a URL, with scheme when it names none.
func baseURL(addr, scheme string) string {
	if strings.Contains(addr, "://") {
		return strings.TrimRight(addr, "/")
	}
	return scheme + addr
}

type apiClient struct {
	base, token string
	http        *http.Client
	// stream carries backups and restores: no total timeout, an idle one.
	stream *http.Client
}

func (c *apiClient) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(c.http, req)
}

// send sends req with the token through client; an answer other than 2xx
// is an error carrying its message.
func (c *apiClient) send(client *http.Client, req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp, &statusError{fmt.Sprintf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, bytes.TrimSpace(msg))}
	}
	return resp, nil
}

// statusError is an answer other than 2xx.
type statusError struct{ msg string }

func (e *statusError) Error() string { return e.msg }

// call prints the JSON answer indented.
func (c *apiClient) call(ctx context.Context, method, path string, body any, stdout io.Writer) error {
	resp, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(raw)
	}
	pretty.WriteByte('\n')
	_, err = stdout.Write(pretty.Bytes())
	return err
}
