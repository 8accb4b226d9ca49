package tlsconfig

import (
	"crypto/tls"
	"fmt"
	"sync/atomic"
)

// Keypair is a certificate and its private key read from two PEM files.
// Reload reads them again and swaps the pair atomically: new handshakes
// get the new certificate, connections already up keep theirs.
type Keypair struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// LoadKeypair reads the certificate in certFile and its key in keyFile.
func LoadKeypair(certFile, keyFile string) (*Keypair, error) {
	k := &Keypair{certFile: certFile, keyFile: keyFile}
	if err := k.Reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// Reload reads the files again. On failure the pair in use stays.
func (k *Keypair) Reload() error {
	c, err := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if err != nil {
		return fmt.Errorf("tlsconfig: load %s and %s: %w", k.certFile, k.keyFile, err)
	}
	k.cert.Store(&c)
	return nil
}

// Certificate returns the pair in use (its Leaf is parsed).
func (k *Keypair) Certificate() *tls.Certificate { return k.cert.Load() }

// GetCertificate serves the pair in use, as tls.Config.GetCertificate.
func (k *Keypair) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return k.cert.Load(), nil
}

// GetClientCertificate presents the pair in use, as
// tls.Config.GetClientCertificate.
func (k *Keypair) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return k.cert.Load(), nil
}
