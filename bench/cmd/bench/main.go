// Command bench runs Burndown's bench without the burndown binary (go run ./bench/cmd/bench ...);
// `burndown bench` is the same entry point.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"burndown/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
