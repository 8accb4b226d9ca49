// Package scenario holds the named load scenarios of Burndown's bench. A scenario
// is a small struct in the list returned by All; adding one is adding an entry.
package scenario

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"burndown/bench/burndown"
	"burndown/bench/report"
	"burndown/bench/target"
)

// Scenario is one named benchmark.
type Scenario struct {
	Name        string
	Description string
	// Shared says the scenario runs against the shared systems (Burndown and the
	// baselines started once for the run); otherwise it starts its own processes.
	Shared bool
	Run    func(ctx context.Context, env *Env, out *report.Scenario) error
}

// All returns every scenario in the order `--scenario all` runs them.
func All() []Scenario {
	return []Scenario{gateway(), ingest(), spread(), mixed(), nginxGateway(), failover(), scale()}
}

// Select resolves a comma-separated list of names ("all" for every scenario).
func Select(list string) ([]Scenario, error) {
	all := All()
	if list == "" || list == "all" {
		return all, nil
	}
	var out []Scenario
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, s := range all {
			if s.Name == name {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			var names []string
			for _, s := range all {
				names = append(names, s.Name)
			}
			return nil, fmt.Errorf("unknown scenario %q (have: %s, all)", name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// Options are the knobs every scenario reads; Main fills them from flags.
type Options struct {
	// InstallBaselines lets the bench apt-get install a missing baseline
	// (redis-server, postgresql) when run as root; without it a missing
	// one is skipped with a message saying what to install.
	InstallBaselines bool
	Customers        int
	ZipfS            float64
	Conns            int // check workers, one keep-alive connection each
	IngestConns      int // ingest workers, where the search for the peak starts
	// MaxIngestConns bounds the search for each system's ingest peak
	// (peakWorkers); IngestConns or less fixes the count.
	MaxIngestConns int
	Batch          int // events per ingest request
	Warmup         time.Duration
	// QuietWait bounds the wait, before each phase, for the machine's
	// CPUs to go quiet (quiet.go); 0 starts every phase at once.
	QuietWait   time.Duration
	Duration    time.Duration // per measured phase
	Levels      []float64     // open-loop rates as fractions of the measured peak
	Trickle     float64       // ingest requests/s alongside gateway checks
	MixedChecks float64       // checks/s offered in mixed
	MixedEvents float64       // events/s offered in mixed
	GatewayRate float64       // nginx: requests/s offered through the gateway
	Timeout     time.Duration // per request
	Seed        uint64

	Nodes         int           // nodes of the shared local Burndown (1 or 3)
	KillAfter     time.Duration // failover: when to kill the leader
	FailoverNodes int
	ScaleSteps    []int
	ScaleCommits  int
	ScaleConns    int
}

// Env is what scenarios run with.
type Env struct {
	Opts      Options
	Log       io.Writer
	Progress  io.Writer // once-per-second progress lines; nil for none
	Customers *target.Customers
	// Systems are the shared systems under test, Burndown first when present.
	Systems []target.Target
	// Burndown is the name of the Burndown system in Systems, "" if absent.
	Burndown string
	// TmpDir is a scratch directory removed after the run.
	TmpDir string
	// Binary returns the burndown binary for scenarios that start their own nodes.
	Binary func(ctx context.Context) (string, error)
	Token  string
	// Self, when not nil, returns a command that runs this bench's entry point
	// with args (used to serve baselines from child processes).
	Self func(ctx context.Context, args ...string) *exec.Cmd

	workerBase atomic.Int64
	// shared is the local Burndown cluster the run started for Systems, nil
	// with --target.
	shared *local
	// targetClient is the --target server's client, nil without one.
	targetClient *burndown.Client
}

// nextWorkerBase returns a fresh range of worker numbers, so that transaction
// ids never repeat across phases of one run.
func (e *Env) nextWorkerBase() int {
	return int(e.workerBase.Add(1000) - 1000)
}

func (e *Env) logf(format string, args ...any) {
	fmt.Fprintf(e.Log, format+"\n", args...)
}
