package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

const tokenUsage = `usage: burndown token <create|list|revoke> [flags]

  create --name NAME --scope read|write|admin   make a token; its secret is printed this once
  list                                          the tokens (the leader's list): ids, names, scopes, never secrets
  revoke --id ID                                revoke a token on every node

common flags: --addr (default 127.0.0.1:8080; https://host:port for TLS), --token
(an admin token; default $BURNDOWN_TOKEN, then $BURNDOWN_API_TOKEN, then the token
file in --data-dir), --cacert (a CA to trust for https). Flags can be set as
BURNDOWN_ADDR, BURNDOWN_TOKEN, BURNDOWN_DATA_DIR, BURNDOWN_CACERT and
BURNDOWN_TOKEN_<FLAG> (BURNDOWN_TOKEN_NAME, ...); the command line wins.
`

// tokenCmd is a thin HTTP client of /v1/admin/tokens/*.
func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, tokenUsage)
		return flag.ErrHelp
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	client := clientFlags(fs)
	name := fs.String("name", "", "the new token's name (create)")
	scope := fs.String("scope", "", "the new token's scope: read, write or admin (create)")
	id := fs.String("id", "", "the token to revoke (revoke)")
	if err := parseWithEnvNames(fs, args[1:], subcommandEnvName("BURNDOWN_TOKEN_")); err != nil {
		return err
	}
	c, err := client()
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		if *name == "" || *scope == "" {
			return errors.New("create: --name and --scope are required")
		}
		return c.call(ctx, "POST", "/v1/admin/tokens/create", map[string]string{"name": *name, "scope": *scope}, stdout)
	case "list":
		// From the leader after a read barrier: a token made a moment ago
		// through any node is listed (a follower's own replica may trail).
		return c.call(ctx, "GET", "/v1/admin/tokens/list?consistency=strong", nil, stdout)
	case "revoke":
		if *id == "" {
			return errors.New("revoke: --id is required")
		}
		return c.call(ctx, "POST", "/v1/admin/tokens/revoke", map[string]string{"id": *id}, stdout)
	}
	fmt.Fprint(stderr, tokenUsage)
	return fmt.Errorf("unknown token command %q", sub)
}
