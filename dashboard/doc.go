// Package dashboard holds what Metronome's embeddable customer dashboards
// need besides the data: the view a signed URL grants (Spec), its signing
// and verification (an HMAC-SHA256 token, so the URL carries no API token
// and cannot be altered or outlive its expiry), the options Metronome
// defines (colors, invoice filters, group-key display names) and the page
// itself (HTML, CSS and JS embedded in the binary: no build step). The HTTP
// layer (transport) serves the pages and their data.
package dashboard
