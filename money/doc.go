// Package money is Burndown's one exact amount type, from the HTTP edge to
// the log: Amount (fixed point on an int64 coefficient with 0 to 12
// fractional digits, exact big-integer fallback), its strict parser with the
// input bounds every replica relies on, its text, JSON and binary forms, and
// the package's one rounding function.
//
// It imports nothing of the project and no third-party package, so the bytes
// it writes are defined here and nowhere else. shopspring/decimal appears
// only in this package's tests, as the reference the property tests compare
// against.
package money
