package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"burndown/demo"
)

// demoCmd is `burndown demo`: it plays the five guides against a node of
// its own (a test clock, a temporary data dir, free loopback ports) or,
// with --target, against a running node started with --test-clock.
func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "URL of a running node started with --test-clock to play against (default: start one in a temporary directory)")
	token := fs.String("token", "", "admin token of --target")
	exit := fs.Bool("exit", false, "exit once the guides are played instead of serving until Ctrl-C")
	if err := parseWithEnvNames(fs, args, demoEnvName); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected arguments %q", fs.Args())
	}
	cfg := demo.Config{Out: stdout, KeepRunning: !*exit}
	if *target != "" {
		if *token == "" {
			return errors.New("--token: the admin token of --target is required")
		}
		cfg.Base, cfg.Token, cfg.Unique = strings.TrimRight(*target, "/"), *token, true
		return demo.Run(ctx, cfg)
	}
	if *token != "" {
		return errors.New("--token: only with --target (the demo's own node makes its token)")
	}
	node, err := startDemoNode(ctx, stdout)
	if err != nil {
		return err
	}
	defer node.stop()
	cfg.Base, cfg.Token = node.base, node.token
	fmt.Fprintf(stdout, "admin token: in %s (not shown); the node's log: %s\n", filepath.Join(node.dir, "api-token"), node.logPath)
	return demo.Run(ctx, cfg)
}

// demoEnvName names the environment variables of demo's flags:
// BURNDOWN_DEMO_TARGET, BURNDOWN_DEMO_TOKEN (BURNDOWN_TOKEN is the cluster
// commands', which a demo should not pick up by accident).
func demoEnvName(flagName string) string {
	return "BURNDOWN_DEMO_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// demoNode is the node `burndown demo` runs in-process: `serve` with a test
// clock in a temporary data dir on free loopback ports.
type demoNode struct {
	base, token, dir, logPath string
	cancel                    context.CancelFunc
	done                      chan error
	log                       *os.File
}

func startDemoNode(ctx context.Context, stdout io.Writer) (*demoNode, error) {
	dir, err := os.MkdirTemp("", "burndown-demo-")
	if err != nil {
		return nil, fmt.Errorf("demo data dir: %w", err)
	}
	n := &demoNode{dir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "node.log"), done: make(chan error, 1)}
	if n.log, err = os.Create(n.logPath); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("demo log: %w", err)
	}
	httpAddr, err1 := freeLoopbackAddr()
	raftAddr, err2 := freeLoopbackAddr()
	if err := errors.Join(err1, err2); err != nil {
		n.log.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	n.base = "http://" + httpAddr
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	go func() {
		n.done <- serve(sctx, []string{"--node-id", "demo", "--data-dir", n.dir, "--http-addr", httpAddr, "--raft-addr", raftAddr,
			"--bootstrap", "--test-clock", "--log-level", "warn", "--shutdown-timeout", "3s"}, n.log, n.log)
	}()
	fmt.Fprintf(stdout, "starting a node with a test clock at %s (data in %s)\n", n.base, n.dir)
	if err := n.waitReady(ctx); err != nil {
		n.stop()
		return nil, err
	}
	tok, err := os.ReadFile(filepath.Join(n.dir, "api-token"))
	if err != nil {
		n.stop()
		return nil, fmt.Errorf("the demo node's token: %w", err)
	}
	n.token = strings.TrimSpace(string(tok))
	return n, nil
}

// waitReady polls /readyz until the node answers 200, it stops, or 30 s pass.
func (n *demoNode) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.Get(n.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-n.done:
			n.done <- err // stop() waits on it
			return fmt.Errorf("the demo node stopped (log: %s): %v", n.logPath, err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("the demo node was not ready within 30 s (log: %s)", n.logPath)
}

// stop shuts the node down and removes its directory.
func (n *demoNode) stop() {
	n.cancel()
	<-n.done
	n.log.Close()
	os.RemoveAll(filepath.Dir(n.dir))
}

// freeLoopbackAddr returns a 127.0.0.1 port free at the time of asking.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
