package baseline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"burndown/bench/launch"
)

// PostgresConfigNote says how the PostgreSQL baseline is configured, for the report.
const PostgresConfigNote = "Debian's PostgreSQL on loopback (initdb into a temp dir, defaults: fsync on, " +
	"synchronous_commit on, one node, no replication); one transaction per ingest request: lock the " +
	"request's balance rows in key order, insert its transaction ids under a unique index " +
	"(ON CONFLICT DO NOTHING), decrement balances by the inserted count, commit"

// PostgresServer is a postgres child process on loopback.
type PostgresServer struct {
	Port int
	Proc *launch.Proc
	DSN  string
}

// StartPostgres finds PostgreSQL (installing it only when install is set), initdbs a cluster in dir and runs
// it on a free loopback port; as root it runs as the postgres user.
func StartPostgres(ctx context.Context, dir string, log io.Writer, install bool) (*PostgresServer, error) {
	const glob = "/usr/lib/postgresql/*/bin/"
	initdb, err := findOrInstall(ctx, log, install, "initdb", "postgresql", glob+"initdb")
	if err != nil {
		return nil, err
	}
	pgBin := filepath.Join(filepath.Dir(initdb), "postgres")
	if _, err := os.Stat(pgBin); err != nil {
		if pgBin = findBinary("postgres", glob+"postgres"); pgBin == "" {
			return nil, fmt.Errorf("%w: postgres binary not found next to %s", ErrUnavailable, initdb)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("postgres dir: %w", err)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("%w: running as root and there is no postgres user: %v", ErrUnavailable, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, fmt.Errorf("postgres dir: %w", err)
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	data := filepath.Join(dir, "data")
	cmd := exec.CommandContext(ctx, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w: initdb: %v: %s", ErrUnavailable, err, tail(out, 600))
	}
	port, err := launch.FreePort()
	if err != nil {
		return nil, err
	}
	cmd = exec.CommandContext(ctx, pgBin, "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	p, err := launch.Start("postgres", cmd)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	s := &PostgresServer{Port: port, Proc: p,
		DSN: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)}
	err = p.WaitReady(30*time.Second, func() error {
		c, err := pgx.Connect(ctx, s.DSN)
		if err != nil {
			return err
		}
		return c.Close(ctx)
	})
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return s, nil
}

// Stop ends the server with a fast shutdown.
func (s *PostgresServer) Stop() { _ = s.Proc.Stop(syscall.SIGINT, 15*time.Second) }

// Postgres is the store a billing team would build: a balances table and a
// transactions table with a unique index on the transaction id.
type Postgres struct {
	pool *pgxpool.Pool
}

// NewPostgres connects with a pool of conns connections and, with create,
// (re)creates the schema.
func NewPostgres(ctx context.Context, dsn string, conns int, create bool) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres dsn: %w", err)
	}
	cfg.MaxConns = int32(conns)
	cfg.MinConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres connect: %w", err)
	}
	if !create {
		return &Postgres{pool: pool}, nil
	}
	_, err = pool.Exec(ctx, `DROP TABLE IF EXISTS balances, txns;
CREATE TABLE balances (customer text PRIMARY KEY, balance bigint NOT NULL);
CREATE TABLE txns (txn_id text PRIMARY KEY, customer text NOT NULL, at timestamptz NOT NULL DEFAULT now());`)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres schema: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

// Name implements Store.
func (p *Postgres) Name() string { return "postgres" }

// Seed implements Store.
func (p *Postgres) Seed(ctx context.Context, keys []string, balance int64) error {
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{k, balance}
	}
	if _, err := p.pool.CopyFrom(ctx, pgx.Identifier{"balances"}, []string{"customer", "balance"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("postgres seed: %w", err)
	}
	if _, err := p.pool.Exec(ctx, "ANALYZE balances"); err != nil {
		return fmt.Errorf("postgres analyze: %w", err)
	}
	return nil
}

// Balance implements Store.
func (p *Postgres) Balance(ctx context.Context, key string) (int64, bool, error) {
	var b int64
	err := p.pool.QueryRow(ctx, "SELECT balance FROM balances WHERE customer = $1", key).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("postgres balance: %w", err)
	}
	return b, true, nil
}

const pgApply = `WITH ins AS (
  INSERT INTO txns (txn_id, customer) SELECT * FROM unnest($1::text[], $2::text[])
  ON CONFLICT DO NOTHING RETURNING customer
), n AS (SELECT customer, count(*) AS c FROM ins GROUP BY customer)
UPDATE balances b SET balance = b.balance - $3 * n.c FROM n WHERE b.customer = n.customer`

// Apply implements Store: one transaction per request, retried on deadlock or
// serialization failure.
func (p *Postgres) Apply(ctx context.Context, events []Event, price int64) error {
	txns := make([]string, len(events))
	custs := make([]string, len(events))
	for i, e := range events {
		txns[i], custs[i] = e.TxnID, e.Customer
	}
	locks := slices.Clone(custs)
	slices.Sort(locks)
	locks = slices.Compact(locks)
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT 1 FROM balances WHERE customer = ANY($1) ORDER BY customer FOR UPDATE", locks); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, pgApply, txns, custs, price)
			return err
		})
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || (pe.Code != "40P01" && pe.Code != "40001") {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("postgres apply: %w", err)
	}
	return nil
}

// Close implements Store.
func (p *Postgres) Close() error { p.pool.Close(); return nil }
