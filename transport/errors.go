package transport

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/valyala/fasthttp"

	"burndown/cluster"
	"burndown/engine"
)

// apiError is a failure that is answered to the client as
// {"message": ...} with its HTTP status. Handlers return it instead of writing
// responses themselves so every error has the same shape.
type apiError struct {
	Status  int
	Message string
	// RetryAfter, when > 0, is sent as the Retry-After header (seconds).
	RetryAfter int
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Message) }

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: fasthttp.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Status: fasthttp.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

// overloaded is a 429: the cluster's write queue is full right now.
func overloaded(format string, args ...any) *apiError {
	return &apiError{Status: fasthttp.StatusTooManyRequests, Message: fmt.Sprintf(format, args...), RetryAfter: 1}
}

func unavailable(format string, args ...any) *apiError {
	return &apiError{Status: fasthttp.StatusServiceUnavailable, Message: fmt.Sprintf(format, args...), RetryAfter: 1}
}

// errNotLeaderForward tells the router to forward the request to the leader;
// it never reaches the client.
var errNotLeaderForward = errors.New("transport: not the leader, forward")

// writeError answers err as {"message": ...}. Errors that are not apiErrors
// are internal: they are logged by the caller and answered 500 without detail.
func writeError(ctx *fasthttp.RequestCtx, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Status: fasthttp.StatusInternalServerError, Message: "internal error"}
	}
	if ae.RetryAfter > 0 {
		ctx.Response.Header.Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	// The SDKs retry 409s unless told otherwise; a conflict never heals by retrying.
	if ae.Status == fasthttp.StatusConflict || ae.Status == fasthttp.StatusBadRequest || ae.Status == fasthttp.StatusNotFound {
		ctx.Response.Header.Set("X-Should-Retry", "false")
	}
	ctx.SetStatusCode(ae.Status)
	ctx.SetContentType("application/json")
	b := make([]byte, 0, len(ae.Message)+16)
	b = append(b, `{"message":`...)
	b = appendJSONString(b, ae.Message)
	b = append(b, '}')
	ctx.SetBody(b)
}

// resultError maps an engine business rejection to its HTTP status.
func resultError(e *engine.Error) *apiError {
	switch e.Code {
	case engine.NotFound:
		return &apiError{Status: fasthttp.StatusNotFound, Message: e.Message}
	case engine.Conflict:
		return &apiError{Status: fasthttp.StatusConflict, Message: e.Message}
	default:
		return &apiError{Status: fasthttp.StatusBadRequest, Message: e.Message}
	}
}

// proposeError maps a failure to replicate a command.
func proposeError(err error) error {
	switch {
	case errors.Is(err, cluster.ErrNotLeader):
		return errNotLeaderForward
	case errors.Is(err, cluster.ErrUpgradeNotFinalized):
		return badRequest("this needs every node on this release and the upgrade finalized (burndown cluster finalize-upgrade)")
	case errors.Is(err, cluster.ErrIdempotencyFull):
		return &apiError{Status: fasthttp.StatusTooManyRequests, RetryAfter: 60,
			Message: "Idempotency-Key: the cluster holds as many keys as it can keep for 24 h; the request was not applied; retry later, or send it without the header"}
	case errors.Is(err, cluster.ErrBadIdempotencyKey):
		return badRequest("%s: %v", idempotencyHeader, err)
	case errors.Is(err, cluster.ErrOverloaded):
		return overloaded("the cluster's write queue is full; the request was not applied; retry after a second")
	case errors.Is(err, cluster.ErrLeadershipLost):
		return unavailable("leadership was lost while the request was in flight; it may or may not have been applied; retry (ingest is idempotent by transaction_id)")
	case errors.Is(err, cluster.ErrClosed):
		return unavailable("this node is shutting down; retry")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return unavailable("the cluster did not commit the request in time; retry")
	default:
		return unavailable("the cluster cannot take writes now: %v", err)
	}
}
