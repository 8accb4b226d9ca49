package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
)

// PeerProto is the ALPN protocol a node offers when it calls another node's
// API port: the port then answers with its peer certificate and requires
// the caller's, signed by the peer CA (see APIServer).
const PeerProto = "burndown-peer"

// Peer is a node's side of mutual TLS with the other nodes: its
// certificate (presented as server and as client) and the CA that signs
// every node's certificate.
type Peer struct {
	keypair *Keypair
	cas     *x509.CertPool
}

// LoadPeer reads the node's certificate and key and the trusted CA
// certificates (PEM, one or more).
func LoadPeer(certFile, keyFile, caFile string) (*Peer, error) {
	k, err := LoadKeypair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	cas, err := LoadCAs(caFile)
	if err != nil {
		return nil, err
	}
	return &Peer{keypair: k, cas: cas}, nil
}

// LoadCAs reads the PEM certificates in file into a pool.
func LoadCAs(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tlsconfig: read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("tlsconfig: CA file " + file + " holds no PEM certificate")
	}
	return pool, nil
}

// Keypair is the node's peer certificate, to reload.
func (p *Peer) Keypair() *Keypair { return p.keypair }

// Config is the configuration of both ends of a connection between nodes:
// as a server it presents the node's certificate and requires a client
// certificate the CA signed; as a client it presents the same certificate
// and verifies the server's against the CA (the caller sets ServerName, or
// lets its dialer take it from the address). TLS 1.3 only: both ends are
// Burndown.
func (p *Peer) Config() *tls.Config {
	return &tls.Config{
		MinVersion:           tls.VersionTLS13,
		GetCertificate:       p.keypair.GetCertificate,
		GetClientCertificate: p.keypair.GetClientCertificate,
		ClientAuth:           tls.RequireAndVerifyClientCert,
		ClientCAs:            p.cas,
		RootCAs:              p.cas,
		NextProtos:           []string{PeerProto},
	}
}

// APIServer is the configuration of the HTTP API's port. Clients get api's
// certificate and are not asked for one. With peer set, a caller offering
// PeerProto (another node: forwarded writes, joins, readiness) gets the
// peer configuration instead: the node's peer certificate, and its own
// certificate required and verified against the peer CA, so a node the CA
// did not sign cannot reach the cluster through the API port either.
func APIServer(api *Keypair, peer *Peer) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: api.GetCertificate}
	if peer != nil {
		pc := peer.Config()
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			if slices.Contains(hello.SupportedProtos, PeerProto) {
				return pc, nil
			}
			return nil, nil
		}
	}
	return cfg
}
