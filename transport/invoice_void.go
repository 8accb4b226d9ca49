package transport

import (
	"context"

	"github.com/valyala/fasthttp"

	"burndown/engine"
)

// Voiding and regenerating invoices (engine/invoice_void.go): Metronome's
// POST /v1/invoices/void and /v1/invoices/regenerate, each {id} →
// {data:{id}} (the voided invoice's id; the regenerated invoice's new id).
// The body names only the invoice: the leader finds its customer first.

// decodeInvoiceID reads {id} and finds the invoice's customer.
func (s *Server) decodeInvoiceID(body []byte) (customerID, invoiceID string, err error) {
	o, r, err := decodeObject(body)
	if err != nil {
		return "", "", err
	}
	invoiceID = o.str("id", true)
	if err := r.Err(); err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.readTimeout())
	defer cancel()
	customerID, found, err := s.node.Engine().InvoiceCustomer(ctx, invoiceID)
	switch {
	case err != nil:
		return "", "", unavailable("id: the replica is busy, looking for invoice %s timed out; retry", invoiceID)
	case !found:
		return "", "", notFound("id: invoice %s not found", invoiceID)
	}
	return customerID, invoiceID, nil
}

// voidInvoice serves POST /v1/invoices/void.
func (s *Server) voidInvoice(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, func(body []byte) (*engine.VoidInvoice, error) {
		c, id, err := s.decodeInvoiceID(body)
		return &engine.VoidInvoice{CustomerID: c, InvoiceID: id}, err
	})
}

// regenerateInvoice serves POST /v1/invoices/regenerate.
func (s *Server) regenerateInvoice(ctx *fasthttp.RequestCtx, _ string) error {
	return createFrom(s, ctx, func(body []byte) (*engine.RegenerateInvoice, error) {
		c, id, err := s.decodeInvoiceID(body)
		return &engine.RegenerateInvoice{CustomerID: c, InvoiceID: id}, err
	})
}
