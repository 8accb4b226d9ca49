package burndown

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"burndown/bench/launch"
)

// Node is one local burndown process.
type Node struct {
	ID       string
	HTTPAddr string
	RaftAddr string
	DataDir  string
	Args     []string // the serve command line, reused on restart
	Proc     *launch.Proc
	Client   *Client
}

// URL returns the node's base URL.
func (n *Node) URL() string { return "http://" + n.HTTPAddr }

// Cluster is a set of local burndown processes on loopback.
type Cluster struct {
	Bin   string
	Token string
	Nodes []*Node
}

// StartCluster starts n nodes under dir: node 0 bootstraps, the others join it.
// It returns once every node is up and a leader is known to all of them.
func StartCluster(ctx context.Context, bin, dir, token string, n int) (*Cluster, error) {
	c := &Cluster{Bin: bin, Token: token}
	for i := 0; i < n; i++ {
		hp, err := launch.FreePort()
		if err != nil {
			return nil, err
		}
		rp, err := launch.FreePort()
		if err != nil {
			return nil, err
		}
		node := &Node{
			ID: fmt.Sprintf("n%d", i+1), HTTPAddr: launch.Addr(hp), RaftAddr: launch.Addr(rp),
			DataDir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
		}
		node.Args = []string{"serve", "--node-id", node.ID, "--data-dir", node.DataDir,
			"--http-addr", node.HTTPAddr, "--raft-addr", node.RaftAddr, "--api-token", token}
		if i == 0 {
			node.Args = append(node.Args, "--bootstrap")
		} else {
			node.Args = append(node.Args, "--join", c.Nodes[0].HTTPAddr)
		}
		node.Client = NewClient(node.URL(), token, 64)
		c.Nodes = append(c.Nodes, node)
		if err := c.Start(ctx, i); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if err := c.WaitMembers(ctx, n, 60*time.Second); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Start (re)starts node i with its original command line and waits until its
// HTTP API answers.
func (c *Cluster) Start(ctx context.Context, i int) error {
	n := c.Nodes[i]
	if err := os.MkdirAll(n.DataDir, 0o755); err != nil {
		return fmt.Errorf("node %s: %w", n.ID, err)
	}
	cmd := exec.CommandContext(ctx, c.Bin, n.Args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	p, err := launch.Start("burndown "+n.ID, cmd)
	if err != nil {
		return err
	}
	n.Proc = p
	return p.WaitReady(60*time.Second, func() error {
		_, err := n.Client.ClusterStatus(ctx)
		return err
	})
}

// WaitReadyz waits until node i answers 200 on /readyz.
func (c *Cluster) WaitReadyz(i int, timeout time.Duration) error {
	n := c.Nodes[i]
	return n.Proc.WaitReady(timeout, func() error {
		resp, err := http.Get(n.URL() + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	})
}

// WaitMembers waits until every running node reports a leader and want members.
func (c *Cluster) WaitMembers(ctx context.Context, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok := true
		for _, n := range c.Nodes {
			if n.Proc == nil || n.Proc.Exited() {
				continue
			}
			s, err := n.Client.ClusterStatus(ctx)
			if err != nil || s.LeaderID == "" || len(s.Nodes) < want {
				ok = false
				last = fmt.Sprintf("%s: %+v %v", n.ID, s, err)
				break
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("cluster did not form with %d members within %v (last: %s)", want, timeout, last)
}

// Leader returns the index of the node that says it is the leader.
func (c *Cluster) Leader(ctx context.Context) (int, error) {
	for i, n := range c.Nodes {
		if n.Proc == nil || n.Proc.Exited() {
			continue
		}
		s, err := n.Client.ClusterStatus(ctx)
		if err == nil && s.State == "leader" {
			return i, nil
		}
	}
	return -1, fmt.Errorf("no node says it is the leader")
}

// WaitLeader polls until some live node is leader.
func (c *Cluster) WaitLeader(ctx context.Context, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		i, err := c.Leader(ctx)
		if err == nil || time.Now().After(deadline) {
			return i, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends every node (SIGTERM, then SIGKILL after 10 s).
func (c *Cluster) Stop() {
	for _, n := range c.Nodes {
		if n.Proc != nil {
			_ = n.Proc.Stop(syscall.SIGTERM, 10*time.Second)
		}
	}
}

// ResolveBinary finds the burndown server binary for local nodes: the given
// path (--burndown-bin); else a burndown next to this executable (how
// `go build -o DIR/burndown ./cmd/burndown` and `go build -o
// DIR/burndown-bench ./cmd/burndown-bench` leave them); else burndown on PATH;
// else, when the working directory is inside the source tree, it builds
// ./cmd/burndown into dir, saying so on log.
func ResolveBinary(ctx context.Context, given, dir string, log io.Writer) (string, error) {
	if given != "" {
		return given, nil
	}
	if exe, err := os.Executable(); err == nil && !strings.HasSuffix(exe, ".test") {
		if p := filepath.Join(filepath.Dir(exe), "burndown"); isExecutable(p) && !sameFile(p, exe) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("burndown"); err == nil {
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", fmt.Errorf("no burndown binary next to this one or on PATH, and not in the source tree (give --burndown-bin): %w", err)
	}
	out := filepath.Join(dir, "burndown")
	fmt.Fprintf(log, "no burndown binary next to this one or on PATH: building ./cmd/burndown of %s into %s\n", root, out)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/burndown")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/burndown: %w\n%s", err, b)
	}
	return out, nil
}

// isExecutable reports whether p is a regular file with an execute bit.
func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// sameFile reports whether a and b name the same file (so the bench never
// mistakes itself for the server).
func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// moduleRoot walks up from the working directory to the go.mod of module burndown.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module burndown") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module burndown above the working directory")
		}
		dir = parent
	}
}
