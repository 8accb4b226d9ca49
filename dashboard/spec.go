package dashboard

import "time"

// Dashboard names, as Metronome's API spells them.
const (
	Invoices         = "invoices"
	Usage            = "usage"
	CommitsAndCredit = "commits_and_credits"
)

// Names lists the dashboards served, for error messages.
var Names = []string{Invoices, Usage, CommitsAndCredit}

// Valid reports whether name is a dashboard served here.
func Valid(name string) bool {
	return name == Invoices || name == Usage || name == CommitsAndCredit
}

// DefaultTTL is how long a URL stays valid.
const DefaultTTL = 24 * time.Hour

// Spec is what one signed URL grants: one customer's one dashboard until
// Expires, drawn with these options. Every field is signed.
type Spec struct {
	Customer  string `json:"c"`
	Dashboard string `json:"d"`
	// Expires is the Unix second from which the URL is refused.
	Expires int64 `json:"e"`
	// Colors maps a Metronome color name (ColorNames) to a hex value.
	Colors map[string]string `json:"col,omitempty"`
	// Options are the invoices dashboard's options (InvoiceOptions).
	Options map[string]string `json:"opt,omitempty"`
	// GroupKeys rename group keys and their values on the usage dashboard.
	GroupKeys []GroupKey `json:"g,omitempty"`
}

// GroupKey is one of Metronome's bm_group_key_overrides: the display name
// of a billable metric's group key and of some of its values.
type GroupKey struct {
	Name        string            `json:"k"`
	DisplayName string            `json:"n,omitempty"`
	Values      map[string]string `json:"v,omitempty"`
}
