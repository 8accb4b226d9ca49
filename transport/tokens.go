package transport

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
)

// tokenPrefix starts every generated secret, so a leaked one is easy to
// recognise (and to scan for).
const tokenPrefix = "bdt_"

// createToken serves POST /v1/admin/tokens/create {name, scope} →
// {data:{id, token}}. The secret is made here, shown in this answer only,
// and only its SHA-256 goes through the log. An Idempotency-Key is refused:
// a retry could only answer the id, never the secret again.
func (s *Server) createToken(ctx *fasthttp.RequestCtx, _ string) error {
	if len(ctx.Request.Header.Peek(idempotencyHeader)) > 0 {
		return badRequest("%s: not supported on /v1/admin/tokens/create: a token's secret is shown once, so a retry could not show it again; list the tokens to see whether it was made", idempotencyHeader)
	}
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	name := o.str("name", true)
	scope := o.enum("scope", true, cluster.ScopeRead, cluster.ScopeWrite, cluster.ScopeAdmin)
	if r.err == nil && len(name) > cluster.MaxTokenNameLen {
		r.fail(o.sub("name"), "longer than %d bytes", cluster.MaxTokenNameLen)
	}
	if err := r.Err(); err != nil {
		return err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	secret := tokenPrefix + hex.EncodeToString(raw[:])
	res, err := s.propose(ctx, cluster.NewTokenCreate(name, scope, sha256.Sum256([]byte(secret))))
	if err != nil {
		return err
	}
	return writeData(ctx, struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}{res.ID, secret})
}

// tokenOut is a token as listed: never its secret or hash.
type tokenOut struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Scope     string  `json:"scope"`
	CreatedAt string  `json:"created_at"`
	RevokedAt *string `json:"revoked_at,omitempty"`
}

// listTokens serves GET /v1/admin/tokens/list.
func (s *Server) listTokens(ctx *fasthttp.RequestCtx, _ string) error {
	out := []tokenOut{}
	for _, t := range s.node.Tokens() {
		o := tokenOut{ID: t.ID, Name: t.Name, Scope: t.Scope, CreatedAt: tsv(t.CreatedAt)}
		if t.Revoked {
			at := tsv(t.RevokedAt)
			o.RevokedAt = &at
		}
		out = append(out, o)
	}
	return writeData(ctx, out)
}

// revokeToken serves POST /v1/admin/tokens/revoke {id}: every node refuses
// the token as soon as it applies the revocation.
func (s *Server) revokeToken(ctx *fasthttp.RequestCtx, _ string) error {
	o, r, err := s.bodyObject(ctx)
	if err != nil {
		return err
	}
	id := o.str("id", true)
	if err := r.Err(); err != nil {
		return err
	}
	res, err := s.propose(ctx, cluster.NewTokenRevoke(id))
	if err != nil {
		return err
	}
	return writeID(ctx, res.ID)
}
