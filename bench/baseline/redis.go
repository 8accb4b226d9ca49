package baseline

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"burndown/bench/launch"
)

// RedisServer is a redis-server child process on loopback.
type RedisServer struct {
	Addr string
	Proc *launch.Proc
}

// RedisConfigNote says how the Redis baseline is configured, for the report.
const RedisConfigNote = "redis-server on loopback, appendonly yes, appendfsync everysec " +
	"(acknowledges before fsync: up to 1 s of writes can be lost, unlike Burndown, which acknowledges after a quorum fsync)"

// StartRedis finds redis-server (installing it only when install is set)
// and runs it in dir on a free port.
func StartRedis(ctx context.Context, dir string, log io.Writer, install bool) (*RedisServer, error) {
	bin, err := findOrInstall(ctx, log, install, "redis-server", "redis-server")
	if err != nil {
		return nil, err
	}
	port, err := launch.FreePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("redis dir: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
		"--daemonize", "no", "--protected-mode", "yes", "--logfile", filepath.Join(dir, "redis.log"))
	p, err := launch.Start("redis-server", cmd)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	r := &RedisServer{Addr: launch.Addr(port), Proc: p}
	cl := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer cl.Close()
	if err := p.WaitReady(20*time.Second, func() error { return cl.Ping(ctx).Err() }); err != nil {
		r.Stop()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return r, nil
}

// Stop ends the server.
func (r *RedisServer) Stop() { _ = r.Proc.Stop(syscall.SIGTERM, 10*time.Second) }

// redisApply spends ARGV[1] from KEYS[1] unless transaction KEYS[2] was seen in the
// last ARGV[2] seconds (Metronome's 34-day dedup window).
const redisApply = `if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('DECRBY', KEYS[1], ARGV[1])
end
return 0`

// dedupSeconds is 34 days.
const dedupSeconds = 34 * 24 * 3600

// Redis is the store a gateway team would build: GET bal:<customer> per check and
// one Lua EVALSHA per event (dedup on the transaction id, then DECRBY), the EVALs
// of one ingest request sent in one pipeline.
type Redis struct {
	cl  *redis.Client
	sha string
}

// NewRedis connects to addr with a pool of conns connections.
func NewRedis(ctx context.Context, addr string, conns int) (*Redis, error) {
	cl := redis.NewClient(&redis.Options{Addr: addr, PoolSize: conns, MinIdleConns: conns})
	sha, err := cl.ScriptLoad(ctx, redisApply).Result()
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("redis script load: %w", err)
	}
	return &Redis{cl: cl, sha: sha}, nil
}

// Name implements Store.
func (r *Redis) Name() string { return "redis" }

// Seed implements Store.
func (r *Redis) Seed(ctx context.Context, keys []string, balance int64) error {
	for i := 0; i < len(keys); i += 1000 {
		p := r.cl.Pipeline()
		for _, k := range keys[i:min(i+1000, len(keys))] {
			p.Set(ctx, "bal:"+k, balance, 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			return fmt.Errorf("redis seed: %w", err)
		}
	}
	return nil
}

// Balance implements Store.
func (r *Redis) Balance(ctx context.Context, key string) (int64, bool, error) {
	v, err := r.cl.Get(ctx, "bal:"+key).Int64()
	if err == redis.Nil {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("redis get: %w", err)
	}
	return v, true, nil
}

// Apply implements Store.
func (r *Redis) Apply(ctx context.Context, events []Event, price int64) error {
	p := r.cl.Pipeline()
	for _, e := range events {
		p.EvalSha(ctx, r.sha, []string{"bal:" + e.Customer, "txn:" + e.TxnID}, price, dedupSeconds)
	}
	if _, err := p.Exec(ctx); err != nil {
		return fmt.Errorf("redis apply: %w", err)
	}
	return nil
}

// Close implements Store.
func (r *Redis) Close() error { return r.cl.Close() }
