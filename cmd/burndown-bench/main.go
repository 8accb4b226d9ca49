// Command burndown-bench is Burndown's load and benchmark harness (package
// bench) as a binary of its own, so that the server binary links none of the
// harness's clients (pgx, go-redis, HdrHistogram). `burndown bench ...` runs
// this binary when it sits next to burndown or on PATH:
//
//	go build -o burndown ./cmd/burndown && go build -o burndown-bench ./cmd/burndown-bench
//	./burndown-bench --scenario gateway
//
// The Burndown nodes it starts are a separate burndown binary (--burndown-bin,
// else burndown next to this one, else on PATH, else built from the source tree).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"burndown/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "burndown-bench:", err)
		}
		os.Exit(1)
	}
}
