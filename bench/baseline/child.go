package baseline

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"burndown/bench/launch"
	"burndown/bench/target"
)

// ChildFlag, as the first argument of the bench entry point, makes it serve one
// baseline store over HTTP in its own process (see ServeChild) instead of running
// a benchmark. The bench starts such children so that the baselines, like
// Burndown, do not share the load generator's process.
const ChildFlag = "--serve-baseline"

// ServeChild is the body of a baseline child process: it opens the store named by
// --store, serves it on a free loopback port, prints "listening <url>" on stdout
// and serves until ctx ends.
func ServeChild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve-baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", "floor", "floor, redis or postgres")
	run := fs.String("run", "", "run id of the customer keys (floor)")
	n := fs.Int("customers", 0, "number of customers (floor)")
	balance := fs.Int64("balance", 0, "starting balance (floor)")
	price := fs.Int64("price", 1, "price per event")
	addr := fs.String("redis-addr", "", "redis address")
	dsn := fs.String("pg-dsn", "", "postgres DSN")
	conns := fs.Int("conns", 64, "connections to the store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var st Store
	switch *store {
	case "floor":
		f := NewFloor()
		c := target.NewCustomers(*run, *n)
		keys := make([]string, *n)
		for i := range keys {
			keys[i] = c.Key(i)
		}
		_ = f.Seed(ctx, keys, *balance)
		st = f
	case "redis":
		r, err := NewRedis(ctx, *addr, *conns)
		if err != nil {
			return err
		}
		st = r
	case "postgres":
		p, err := NewPostgres(ctx, *dsn, *conns, false)
		if err != nil {
			return err
		}
		st = p
	default:
		return fmt.Errorf("serve-baseline: unknown store %q", *store)
	}
	defer st.Close()
	srv, err := Serve(st, *price)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening %s\n", srv.URL())
	<-ctx.Done()
	return srv.Close()
}

// Child is a baseline served by a child process.
type Child struct {
	URL  string
	Proc *launch.Proc
}

// StartChild runs cmd (the bench entry point with ChildFlag and its flags) and
// waits for it to say where it listens.
func StartChild(name string, cmd *exec.Cmd) (*Child, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	p, err := launch.StartStdout(name, cmd)
	if err != nil {
		return nil, err
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				urls <- u
			}
		}
		close(urls)
	}()
	select {
	case u, ok := <-urls:
		if ok {
			return &Child{URL: u, Proc: p}, nil
		}
	case <-time.After(30 * time.Second):
	}
	p.Kill()
	return nil, fmt.Errorf("%s did not start serving: %s", name, p.Output())
}

// Stop ends the child.
func (c *Child) Stop() { _ = c.Proc.Stop(syscall.SIGTERM, 10*time.Second) }
