// Package tlsconfig builds Burndown's TLS configurations from PEM files: the
// API's server certificate (reloadable while connections stay up), the
// peer certificate and CA of mutual TLS between nodes (raft and node-to-node
// HTTP), and a listener that answers a plain HTTP request on a TLS port with
// a 400 instead of serving it. It is a leaf: it imports nothing of Burndown.
package tlsconfig
