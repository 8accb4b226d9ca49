package baseline

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"burndown/bench/launch"
)

// NGINX is a running nginx in front of a trivial upstream, with two routes to
// it: Plain proxies straight through, Authorized asks Burndown first
// (auth_request to /v1/entitlements/authorize), so one process measures what
// the auth subrequest adds.
type NGINX struct {
	// Addr is nginx's host:port.
	Addr string
	// Proc is the nginx master.
	Proc     *launch.Proc
	upstream *fasthttp.Server
	upLn     net.Listener
}

// The gateway routes: the client's X-Api-Key is the customer's ingest alias.
const (
	NGINXPlainPath      = "/plain/"
	NGINXAuthorizedPath = "/authorized/"
)

// NGINXConfig is what the gateway asks Burndown.
type NGINXConfig struct {
	BurndownAddr string // host:port of a Burndown node
	Token        string // a read (or admin) token for the subrequests
	ProductID    string
}

// StartNGINX finds nginx (installing it only when install is set), starts a
// trivial fasthttp upstream in this process and nginx in dir on a free port.
func StartNGINX(ctx context.Context, dir string, log io.Writer, install bool, cfg NGINXConfig) (*NGINX, error) {
	bin, err := findOrInstall(ctx, log, install, "nginx", "nginx", "/usr/sbin/nginx")
	if err != nil {
		return nil, err
	}
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("nginx upstream: listen: %w", err)
	}
	n := &NGINX{upLn: upLn, upstream: &fasthttp.Server{Name: "upstream", NoDefaultDate: true,
		Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }}}
	go n.upstream.Serve(upLn) //nolint:errcheck // ends with Shutdown
	port, err := launch.FreePort()
	if err != nil {
		n.Stop()
		return nil, err
	}
	n.Addr = launch.Addr(port)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		n.Stop()
		return nil, fmt.Errorf("nginx dir: %w", err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, n.Addr, upLn.Addr().String(), cfg)), 0o644); err != nil {
		n.Stop()
		return nil, fmt.Errorf("nginx config: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if n.Proc, err = launch.Start("nginx", cmd); err != nil {
		n.Stop()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := n.Proc.WaitReady(15*time.Second, func() error { return dial(n.Addr) }); err != nil {
		n.Stop()
		return nil, fmt.Errorf("%w: nginx: %v", ErrUnavailable, err)
	}
	return n, nil
}

func dial(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

// Stop ends nginx and the upstream.
func (n *NGINX) Stop() {
	if n.Proc != nil {
		_ = n.Proc.Stop(syscall.SIGQUIT, 10*time.Second)
		_ = syscall.Kill(-n.Proc.Pid(), syscall.SIGKILL) // workers the master left behind
	}
	_ = n.upstream.Shutdown()
}

// nginxConf is docs/gateways.md's configuration reduced to the two routes,
// with keep-alive to both upstreams.
func nginxConf(dir, listen, upstream string, cfg NGINXConfig) string {
	return fmt.Sprintf(`worker_processes auto;
worker_rlimit_nofile 16384;
pid %[1]s/nginx.pid;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream service { server %[3]s; keepalive 128; }
    upstream burndown { server %[4]s; keepalive 128; }
    server {
        listen %[2]s;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location %[7]s { proxy_pass http://service; }
        location %[8]s {
            auth_request /_burndown;
            auth_request_set $burndown_balance $upstream_http_x_burndown_balance;
            proxy_set_header X-Burndown-Balance $burndown_balance;
            proxy_set_header Connection "";   # proxy_set_header is not inherited once a level sets one
            proxy_pass http://service;
        }
        location = /_burndown {
            internal;
            proxy_pass http://burndown/v1/entitlements/authorize;
            proxy_method HEAD;   # auth_request never reads a body: with one, the connection could not be kept
            proxy_pass_request_body off;
            proxy_pass_request_headers off;
            proxy_set_header Content-Length "";
            proxy_set_header Connection "";
            proxy_set_header Authorization "Bearer %[5]s";
            proxy_set_header X-Burndown-Customer-Id $http_x_api_key;
            proxy_set_header X-Burndown-Product-Id %[6]s;
        }
    }
}
`, dir, listen, upstream, cfg.BurndownAddr, cfg.Token, cfg.ProductID, NGINXPlainPath, NGINXAuthorizedPath)
}
