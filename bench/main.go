// Package bench is Burndown's load generator and benchmark harness, run as its
// own binary (cmd/burndown-bench, which `burndown bench` launches) so that the
// server binary links none of it. It runs named scenarios against Burndown (a
// local process it starts, or a running server) and, in the same run, against
// baselines — a trivial fasthttp handler, Redis and PostgreSQL — and writes a
// markdown report, a JSON file with every figure and SVG plots.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"burndown/bench/baseline"
	"burndown/bench/burndown"
	"burndown/bench/report"
	"burndown/bench/scenario"
	"burndown/bench/target"
)

// config is everything the flags say.
type config struct {
	scenarios  string
	systems    string
	target     string
	token      string
	bin        string
	out        string
	cpuprofile string
	levels     string
	steps      string
	quiet      bool
	inProcess  bool
	opts       scenario.Options
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &c.opts
	fs.StringVar(&c.scenarios, "scenario", "gateway", "scenarios to run, comma-separated: gateway, ingest, spread, mixed, nginx, failover, scale, or all")
	fs.StringVar(&c.systems, "systems", "all", "shared systems for gateway/ingest/mixed: "+strings.Join(scenario.SystemNames(), ",")+" (or all)")
	fs.StringVar(&c.target, "target", "", "base URL of a running Burndown to drive (default: start a local single node)")
	fs.StringVar(&c.token, "token", "", "API token for --target (local nodes get a generated one)")
	fs.StringVar(&c.bin, "burndown-bin", "", "burndown server binary for local nodes (default: burndown next to this binary, else on PATH, else go build ./cmd/burndown in the source tree)")
	fs.StringVar(&c.out, "out", "", "report directory (default bench/out/<timestamp>)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the load generator to this file")
	fs.BoolVar(&c.quiet, "quiet", false, "no once-per-second progress lines")
	fs.BoolVar(&o.InstallBaselines, "install-baselines", false, "apt-get install a missing baseline (redis-server, postgresql, nginx) when run as root; by default a missing one is skipped with a message saying what to install")
	fs.BoolVar(&c.inProcess, "in-process-baselines", false, "serve the HTTP baselines inside the bench process instead of child processes")
	fs.IntVar(&o.Customers, "customers", 10000, "number of customers")
	fs.Float64Var(&o.ZipfS, "zipf-s", 1.1, "Zipf exponent of customer activity (> 1)")
	fs.IntVar(&o.Conns, "conns", 64, "check workers, one keep-alive connection each")
	fs.IntVar(&o.IngestConns, "ingest-conns", 16, "ingest workers, one keep-alive connection each (where the search for each system's closed-loop peak starts)")
	fs.IntVar(&o.MaxIngestConns, "max-ingest-conns", 64, "ingest peaks: double the workers from --ingest-conns up to this many while a doubling adds 10% throughput, for every system alike, then measure the peak at the count found (--ingest-conns or less: no search)")
	fs.IntVar(&o.Batch, "batch", 100, "events per ingest request (1..100)")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "warm-up before each phase (not recorded)")
	fs.DurationVar(&o.QuietWait, "quiet-wait", 30*time.Second, "before each phase, wait up to this long for the machine's CPUs to be under 15% busy for half a second (what the last phase left running, e.g. PostgreSQL's autovacuum, lands in no other system's phase); 0 to start at once")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "recorded length of each phase")
	fs.StringVar(&c.levels, "levels", "0.25,0.5,0.75", "open-loop offered rates as fractions of each system's measured peak")
	fs.Float64Var(&o.Trickle, "trickle", 20, "ingest requests/s alongside gateway checks (0 for none)")
	fs.Float64Var(&o.MixedChecks, "mixed-checks", 20000, "checks/s offered in mixed and failover")
	fs.Float64Var(&o.MixedEvents, "mixed-events", 20000, "events/s offered in mixed and failover")
	fs.Float64Var(&o.GatewayRate, "gateway-rate", 10000, "nginx: requests/s offered through NGINX, with and without the auth subrequest")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed of customer choice")
	fs.IntVar(&o.Nodes, "nodes", 1, "nodes of the local Burndown cluster for gateway/ingest/mixed (workers spread over all of them)")
	fs.DurationVar(&o.KillAfter, "kill-after", 5*time.Second, "failover: kill the leader this long into the phase")
	fs.IntVar(&o.FailoverNodes, "failover-nodes", 3, "failover: cluster size")
	fs.StringVar(&c.steps, "scale-steps", "10000,100000", "scale: customer counts (e.g. 10000,100000,1000000)")
	fs.IntVar(&o.ScaleCommits, "scale-commits", 3, "scale: prepaid commits per contract")
	fs.IntVar(&o.ScaleConns, "scale-conns", 512, "scale: concurrent setup clients (each request waits for a quorum fsync, so onboarding is bound by how many are in flight until the CPU is)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if o.Levels, err = floats(c.levels); err != nil {
		return nil, fmt.Errorf("--levels: %w", err)
	}
	steps, err := floats(c.steps)
	if err != nil {
		return nil, fmt.Errorf("--scale-steps: %w", err)
	}
	for _, s := range steps {
		o.ScaleSteps = append(o.ScaleSteps, int(s))
	}
	switch {
	case o.Customers < 1:
		return nil, errors.New("--customers must be at least 1")
	case o.Batch < 1 || o.Batch > 100:
		return nil, errors.New("--batch must be 1..100")
	case o.Conns < 1 || o.IngestConns < 1:
		return nil, errors.New("--conns and --ingest-conns must be at least 1")
	case !(o.ZipfS > 1):
		return nil, errors.New("--zipf-s must be > 1")
	case o.Duration <= 0:
		return nil, errors.New("--duration must be positive")
	}
	if c.target != "" && c.token == "" {
		c.token = os.Getenv("BURNDOWN_API_TOKEN")
	}
	return c, nil
}

func floats(list string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", f, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Main runs the bench (cmd/burndown-bench, which `burndown bench` runs) with
// args (flags only, no program name), writing progress to stderr and the
// report's location to stdout.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == baseline.ChildFlag {
		return baseline.ServeChild(ctx, args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	scens, err := scenario.Select(cfg.scenarios)
	if err != nil {
		return err
	}
	systems, err := scenario.ParseSystems(cfg.systems)
	if err != nil {
		return err
	}
	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	started := time.Now()
	outDir := cfg.out
	if outDir == "" {
		outDir = filepath.Join("bench", "out", started.Format("20060102-150405"))
	}
	tmp, err := os.MkdirTemp("", "burndown-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // postgres runs as another user below it
		return fmt.Errorf("temp dir: %w", err)
	}

	run := randomID()
	token := cfg.token
	if cfg.target == "" {
		token = "bench-" + randomID() + randomID()
	}
	env := &scenario.Env{
		Opts: cfg.opts, Log: stderr, Customers: target.NewCustomers(run, cfg.opts.Customers),
		TmpDir: tmp, Token: token, Binary: binaryOnce(cfg.bin, tmp, stderr),
	}
	if !cfg.inProcess {
		env.Self = selfCommand(args)
	}
	if !cfg.quiet {
		env.Progress = stderr
	}
	rep := &report.Report{Meta: report.Meta{
		Command: "burndown bench " + strings.Join(args, " "), Started: started.UTC().Format(time.RFC3339),
		Customers: cfg.opts.Customers, ZipfS: cfg.opts.ZipfS, Target: cfg.target,
	}}
	if rep.Meta.Target == "" {
		rep.Meta.Target = "local process started by the bench"
	}
	report.Machine(&rep.Meta, outDir)

	needShared := false
	for _, s := range scens {
		needShared = needShared || s.Shared
	}
	if needShared {
		stop, skips, infos, err := scenario.StartSystems(ctx, env, systems, cfg.target)
		defer stop()
		rep.Skipped = append(rep.Skipped, skips...)
		rep.Systems = infos
		if err != nil {
			return err
		}
	}
	var runErrs []error
	for _, s := range scens {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(stderr, "=== scenario %s\n", s.Name)
		out := &report.Scenario{Name: s.Name, Description: s.Description}
		t0 := time.Now()
		if s.Shared && len(env.Systems) == 0 {
			rep.Skipped = append(rep.Skipped, report.Skip{What: "scenario " + s.Name, Reason: "no system could be started"})
			continue
		}
		if err := s.Run(ctx, env, out); err != nil {
			out.Error = err.Error()
			runErrs = append(runErrs, fmt.Errorf("scenario %s: %w", s.Name, err))
			fmt.Fprintf(stderr, "scenario %s: %v\n", s.Name, err)
		}
		out.Seconds = time.Since(t0).Seconds()
		rep.Scenarios = append(rep.Scenarios, out)
		// Write after every scenario so a long run leaves a report even if cut short.
		rep.Meta.Seconds = time.Since(started).Seconds()
		if err := report.Write(outDir, rep); err != nil {
			return err
		}
	}
	rep.Meta.Seconds = time.Since(started).Seconds()
	if err := report.Write(outDir, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(outDir, "report.md"))
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(runErrs...)
}

// binaryOnce resolves the burndown binary on first use (building it if needed).
func binaryOnce(given, dir string, log io.Writer) func(context.Context) (string, error) {
	var once sync.Once
	var path string
	var err error
	return func(ctx context.Context) (string, error) {
		once.Do(func() { path, err = burndown.ResolveBinary(ctx, given, dir, log) })
		return path, err
	}
}

// selfCommand returns how to run this program's bench entry point again with
// other args: the executable and the words before Main's args on its command
// line (e.g. "burndown bench"). It returns nil when that cannot be worked out.
func selfCommand(mainArgs []string) func(ctx context.Context, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil || strings.HasSuffix(exe, ".test") || len(os.Args) < len(mainArgs)+1 {
		return nil
	}
	split := len(os.Args) - len(mainArgs)
	if !slices.Equal(os.Args[split:], mainArgs) {
		return nil
	}
	prefix := slices.Clone(os.Args[1:split])
	return func(ctx context.Context, args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, exe, append(slices.Clone(prefix), args...)...)
	}
}

func randomID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
