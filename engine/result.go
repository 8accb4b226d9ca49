package engine

import "fmt"

// Code classifies the outcome of a command. Business rejections are results,
// not failures of the log: the command is in the log, it simply changed nothing.
type Code uint8

// Result codes; the transport maps them to HTTP statuses.
const (
	OK       Code = iota
	Invalid       // 400: the command contradicts the state (e.g. an unknown product id in a body)
	NotFound      // 404: the addressed object does not exist
	Conflict      // 409: uniqueness violated (ingest alias, uniqueness_key)
)

// Error is a business rejection with a message that names the field at fault.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// IngestOutcome counts what happened to the events of one Ingest command.
type IngestOutcome struct {
	Accepted   int
	Duplicates int
	// Rejected counts events kept as counted rejects, by reason.
	Rejected map[RejectReason]int
}

// RejectReason says why an event was not rated.
type RejectReason string

// Reasons an event is kept as a counted reject instead of being rated.
const (
	RejectUnknownCustomer RejectReason = "unknown_customer"
	RejectNoContract      RejectReason = "no_contract"
	RejectFinalized       RejectReason = "period_finalized"
	RejectTooOld          RejectReason = "older_than_dedup_window"
	RejectFuture          RejectReason = "too_far_in_future"
	// RejectUniqueLimit: the event would add a distinct value to a UNIQUE
	// aggregate already holding MaxUniqueValues.
	RejectUniqueLimit RejectReason = "unique_values_limit"
)

// Result is what applying one command produced.
type Result struct {
	Err    *Error
	ID     string         // id of the created object, when the command creates one
	Ingest *IngestOutcome // for Ingest (and Consume, when its events were ingested)
	Check  *CheckAnswer   // for Consume: the check's answer, balance after
	Gate   *GateAnswer    // for ReleasePaymentGate: the workflow as settled
}
