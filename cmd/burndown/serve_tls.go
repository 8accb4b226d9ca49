package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"burndown/tlsconfig"
)

// serveTLS is a node's TLS: the API's certificate (--cert-file,
// --key-file) and the peer mutual TLS of raft and node-to-node HTTP
// (--peer-*). Both nil: plain HTTP and TCP.
type serveTLS struct {
	api  *tlsconfig.Keypair
	peer *tlsconfig.Peer
}

// loadTLS reads the certificates the flags name. The peer flags go
// together, and need --cert-file: nodes call each other on the API port.
func (f *serveFlags) loadTLS() (*serveTLS, error) {
	var t serveTLS
	if (f.certFile == "") != (f.keyFile == "") {
		return nil, errors.New("--cert-file and --key-file go together")
	}
	peerSet := 0
	for _, v := range []string{f.peerCertFile, f.peerKeyFile, f.peerCAFile} {
		if v != "" {
			peerSet++
		}
	}
	if peerSet != 0 && peerSet != 3 {
		return nil, errors.New("--peer-cert-file, --peer-key-file and --peer-trusted-ca-file go together")
	}
	if peerSet == 3 && f.certFile == "" {
		return nil, errors.New("--peer-cert-file needs --cert-file and --key-file: nodes call each other on the API port, which must then speak TLS (the peer files may be given to both)")
	}
	var err error
	if f.certFile != "" {
		if t.api, err = tlsconfig.LoadKeypair(f.certFile, f.keyFile); err != nil {
			return nil, fmt.Errorf("--cert-file/--key-file: %w", err)
		}
	}
	if peerSet == 3 {
		if t.peer, err = tlsconfig.LoadPeer(f.peerCertFile, f.peerKeyFile, f.peerCAFile); err != nil {
			return nil, fmt.Errorf("--peer-cert-file/--peer-key-file/--peer-trusted-ca-file: %w", err)
		}
	}
	return &t, nil
}

// on reports whether the API speaks HTTPS.
func (t *serveTLS) on() bool { return t.api != nil }

// listener wraps the API's listener in TLS (see tlsconfig.APIServer).
func (t *serveTLS) listener(ln net.Listener) net.Listener {
	if !t.on() {
		return ln
	}
	return tlsconfig.NewListener(ln, tlsconfig.APIServer(t.api, t.peer))
}

// raft is raft's mutual TLS configuration (nil: plain TCP).
func (t *serveTLS) raft() *tls.Config {
	if t.peer == nil {
		return nil
	}
	return t.peer.Config()
}

// nodeClient is the client configuration of calls to other nodes' API
// ports: the peer certificate and CA, or without them the system's roots;
// nil when the API speaks plain HTTP.
func (t *serveTLS) nodeClient() *tls.Config {
	switch {
	case t.peer != nil:
		return t.peer.Config()
	case t.on():
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return nil
}

// reloadOnHangup reloads the certificates on each SIGHUP until ctx ends. A
// reload that fails keeps the certificate in use and logs why. Without
// TLS a SIGHUP is logged and changes nothing (a reload sent to a node
// without TLS never stops it).
func (t *serveTLS) reloadOnHangup(ctx context.Context, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				t.reload(log)
			}
		}
	}()
}

// reload reads every certificate again.
func (t *serveTLS) reload(log *slog.Logger) {
	if !t.on() {
		log.Info("SIGHUP: no certificates to reload")
		return
	}
	pairs := map[string]*tlsconfig.Keypair{"--cert-file": t.api}
	if t.peer != nil {
		pairs["--peer-cert-file"] = t.peer.Keypair()
	}
	for flag, k := range pairs {
		if err := k.Reload(); err != nil {
			log.Error("certificate not reloaded; the old one stays in use", "flag", flag, "err", err)
			continue
		}
		leaf := k.Certificate().Leaf
		log.Info("certificate reloaded", "flag", flag, "serial", leaf.SerialNumber.String(), "not_after", leaf.NotAfter)
	}
}
