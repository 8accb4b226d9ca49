package tlsconfig_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"testing"

	"burndown/tlsconfig"
	"burndown/tlsconfig/tlstest"
)

// On the API port a client gets the API certificate and needs none of its
// own; a node (offering PeerProto) gets the peer certificate and must
// present one the peer CA signed: one from another CA is refused.
func TestAPIServerTellsNodesFromClients(t *testing.T) {
	apiCA, peerCA, rogueCA := tlstest.NewCA(t, "api"), tlstest.NewCA(t, "peer"), tlstest.NewCA(t, "rogue")
	api := apiCA.Issue(t, "api")
	node := peerCA.Issue(t, "node")
	k, err := tlsconfig.LoadKeypair(api.CertFile, api.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := tlsconfig.LoadPeer(node.CertFile, node.KeyFile, peerCA.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := echoServer(t, tlsconfig.APIServer(k, peer))
	echo := func(cfg *tls.Config) (*tls.Conn, error) {
		c, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(c, "hi\n"); err != nil {
			c.Close()
			return nil, err
		}
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}

	c, err := echo(&tls.Config{RootCAs: apiCA.Pool()})
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	if got := c.ConnectionState().PeerCertificates[0].SerialNumber; got.Cmp(api.Serial) != 0 {
		t.Errorf("client got serial %v, want the API certificate's %v", got, api.Serial)
	}
	c.Close()

	other := peerCA.Issue(t, "other")
	otherPeer, err := tlsconfig.LoadPeer(other.CertFile, other.KeyFile, peerCA.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err = echo(otherPeer.Config())
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	if got := c.ConnectionState().PeerCertificates[0].SerialNumber; got.Cmp(node.Serial) != 0 {
		t.Errorf("node got serial %v, want the peer certificate's %v", got, node.Serial)
	}
	c.Close()

	// A rogue node trusting the peer CA but holding another CA's certificate.
	bad := rogueCA.Issue(t, "bad")
	rogue, err := tlsconfig.LoadPeer(bad.CertFile, bad.KeyFile, peerCA.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := echo(rogue.Config()); err == nil {
		c.Close()
		t.Fatal("a node with a certificate from another CA was served")
	}
	// And one presenting no certificate at all while claiming to be a node.
	noCert := &tls.Config{RootCAs: peerCA.Pool(), NextProtos: []string{tlsconfig.PeerProto}}
	if c, err := echo(noCert); err == nil {
		c.Close()
		t.Fatal("a node without a certificate was served")
	}
}
