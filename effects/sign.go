package effects

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// SignWebhook returns the Metronome-Webhook-Signature of a body sent with
// the given X-Metronome-Date: the lowercase hex HMAC-SHA256, keyed by the
// destination's secret, of the date, a newline and the raw body.
func SignWebhook(secret, date string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(date))
	m.Write([]byte{'\n'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
