package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"burndown/importer"
)

const importUsage = `usage: burndown import --from URL --from-token TOKEN [--addr ADDR] [--token TOKEN] [--dry-run]

Copies a Metronome account (or another Burndown cluster) into this cluster
through the official Metronome SDK: credit types, customers (ingest aliases,
billing provider links), billable metrics, products, rate cards and rates,
contracts with commits, credits and remaining balances, alerts and webhook
destinations. Re-running it changes nothing. See docs/import.md.

  --from URL             the source API's base URL (e.g. https://api.metronome.com)
  --from-token TOKEN     the source's API token (default $BURNDOWN_IMPORT_FROM_TOKEN,
                         then $METRONOME_BEARER_TOKEN)
  --addr, --token, --cacert, --data-dir   the target node, as for burndown token
  --dry-run              read both sides and report what would be made; write nothing
  --webhook-secret-file  a file holding the signing secret for the webhook
                         destinations created (a source never shows its secrets)
`

// importCmd is `burndown import`: a client of both APIs (package importer).
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage) }
	client := clientFlags(fs)
	from := fs.String("from", "", "base URL of the source API")
	fromToken := fs.String("from-token", "", "API token of the source")
	dryRun := fs.Bool("dry-run", false, "report what would be made, write nothing")
	secretFile := fs.String("webhook-secret-file", "", "file holding the signing secret of the webhook destinations created")
	if err := parseWithEnvNames(fs, args, subcommandEnvName("BURNDOWN_IMPORT_")); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("import: unexpected arguments %q", fs.Args())
	}
	if *from == "" {
		return errors.New("--from: the source API's base URL is required")
	}
	if *fromToken == "" {
		*fromToken = os.Getenv("METRONOME_BEARER_TOKEN")
	}
	if *fromToken == "" {
		return errors.New("--from-token: the source's API token is required")
	}
	c, err := client()
	if err != nil {
		return err
	}
	cfg := importer.Config{SourceURL: baseURL(*from, "https://"), SourceToken: *fromToken, TargetURL: c.base, TargetToken: c.token,
		TargetHTTP: c.http, DryRun: *dryRun, Out: stdout}
	if *secretFile != "" {
		b, err := os.ReadFile(*secretFile)
		if err != nil {
			return fmt.Errorf("--webhook-secret-file: %w", err)
		}
		cfg.WebhookSecret = strings.TrimSpace(string(b))
	}
	if *dryRun {
		fmt.Fprintln(stdout, "dry run: nothing is written")
	}
	rep, err := importer.Run(ctx, cfg)
	if rep != nil {
		rep.WriteSummary(stdout)
	}
	if err != nil {
		return fmt.Errorf("import: %w (what was made is kept; run it again to resume)", err)
	}
	return nil
}
