// Package persist owns Burndown's durable formats: the encoding of log
// entries and of every command in them (a kind byte, a version byte, a body;
// every kind and version ever written stays registered, with its decoder and
// upgrade, in the codec's one table), the streamed snapshot format (a
// versioned header, then tagged, length-prefixed sections a reader may skip,
// with the binary customer layouts), the records of the cluster's replicated
// state (outbox, idempotency keys), and raft's log and stable stores on
// raft-boltdb.
//
// Formats are forever: a build reads every entry and snapshot any earlier
// release wrote, which the golden fixtures under testdata/golden prove. This
// package decides how state is written, never what it means: it holds no
// billing rules (package engine) and runs no raft (package cluster).
package persist
