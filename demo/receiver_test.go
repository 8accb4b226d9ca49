package demo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
)

// post delivers body to the receiver signed with secret, as the node does.
func post(t *testing.T, r *receiver, secret, body string) int {
	t.Helper()
	date := time.Now().UTC().Format(http.TimeFormat)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(date + "\n" + body))
	req, err := http.NewRequest("POST", r.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Metronome-Date", date)
	req.Header.Set("Metronome-Webhook-Signature", hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The receiver takes a delivery signed with its secret, keeping amounts as
// sent, hands each event out once, and refuses one signed with another
// secret, after which every wait fails: a bad signature ends the demo.
func TestReceiverVerifiesSignatures(t *testing.T) {
	r, err := startReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	body := `{"id":"n1","type":"payment_gate.external_initiate","properties":{"customer_id":"c1","invoice_total":9589.04}}`
	if st := post(t, r, r.secret, body); st != http.StatusOK {
		t.Fatalf("a good signature: %d", st)
	}
	ctx := context.Background()
	ev, err := r.take(ctx, "c1", "payment_gate.external_initiate")
	if err != nil || ev.prop("invoice_total") != "9589.04" || ev.ID != "n1" {
		t.Fatalf("take: %+v %v", ev, err)
	}
	if r.count("c1", "payment_gate.external_initiate") != 1 || r.count("c2", "payment_gate.external_initiate") != 0 {
		t.Error("count")
	}
	if st := post(t, r, "whsec_other", body); st != http.StatusUnauthorized {
		t.Fatalf("another secret: %d, want 401", st)
	}
	if _, err := r.take(ctx, "c1", "payment_gate.external_initiate"); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("take after a bad signature: %v", err)
	}
}
