// Command burndown is the Burndown binary: `serve` runs a node, `cluster`
// operates a running cluster over HTTP, `bench` launches the load harness
// (cmd/burndown-bench, a binary of its own so this one links none of it). It
// holds wiring and flags only; the work is done by the packages it calls.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"burndown/version"
)

const usage = `usage: burndown <command> [flags]

commands:
  serve      run a node (with no flags: a single-node cluster in ./burndown-data)
  cluster    status | join | remove | transfer-leadership | snapshot | backup
  token      create | list | revoke API tokens with a scope (read, write, admin)
  import     copy a Metronome account into the cluster (burndown import -h)
  demo       play the five guides on a node of its own (or --target) and print the console URL
  bench      load scenarios and reports: runs burndown-bench (burndown bench -h)
  version    print the release and build info (also --version)

Every flag of every command can also be set as BURNDOWN_<FLAG> (e.g.
BURNDOWN_HTTP_ADDR, BURNDOWN_ADDR); the command line wins.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		var code exitCode
		if errors.As(err, &code) {
			os.Exit(int(code))
		}
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // -h and --help asked for the usage, which was printed
		}
		fmt.Fprintln(os.Stderr, "burndown:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return serve(ctx, nil, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "cluster":
		return clusterCmd(ctx, args[1:], stdout, stderr)
	case "token":
		return tokenCmd(ctx, args[1:], stdout, stderr)
	case "demo":
		return demoCmd(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "burndown", version.String())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// envName is the environment variable that sets a flag: BURNDOWN_ + the
// flag's name in upper snake case.
func envName(flagName string) string {
	return "BURNDOWN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseWithEnv applies BURNDOWN_* environment variables as defaults, then the
// command line (which wins).
func parseWithEnv(fs *flag.FlagSet, args []string) error {
	return parseWithEnvNames(fs, args, envName)
}

// parseWithEnvNames is parseWithEnv with the environment variable of each
// flag named by name.
func parseWithEnvNames(fs *flag.FlagSet, args []string, name func(flag string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := os.LookupEnv(name(f.Name)); ok && err == nil {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s=%q: %w", name(f.Name), v, serr)
			}
		}
	})
	if err != nil {
		return err
	}
	return fs.Parse(args)
}
