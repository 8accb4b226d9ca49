package persist

// APIToken is one replicated API token (cluster kinds 203 and 204, kept in
// the snapshot's metadata). The secret is never kept, in the log or here:
// only its SHA-256, which the HTTP layer compares a presented token's hash
// with.
type APIToken struct {
	ID    string `msgpack:"ID"`
	Name  string `msgpack:"Name"`
	Scope string `msgpack:"Scope"`
	// Hash is the SHA-256 of the secret.
	Hash      []byte `msgpack:"Hash"`
	CreatedAt int64  `msgpack:"CreatedAt"`
	// Revoked says the token no longer authenticates, since RevokedAt
	// (which may be 0 under a test clock, hence the flag).
	Revoked   bool  `msgpack:"Revoked,omitempty"`
	RevokedAt int64 `msgpack:"RevokedAt,omitempty"`
}
