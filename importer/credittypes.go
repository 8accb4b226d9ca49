package importer

import (
	"context"
	"fmt"

	metronome "github.com/Metronome-Industries/metronome-go/v2"
)

// creditTypes maps the source's credit types (fiat and custom pricing
// units) to the target's by name, creating the missing ones through
// Burndown's POST /v1/credit-types/create (Metronome makes pricing units
// in its UI only).
func (r *run) creditTypes(ctx context.Context) error {
	src, err := listCreditTypes(ctx, r.src)
	if err != nil {
		return err
	}
	dst, err := listCreditTypes(ctx, r.dst)
	if err != nil {
		return err
	}
	byName := map[string]creditType{}
	for _, ct := range dst {
		byName[ct.Name] = ct
	}
	c := r.rep.kind(kindCreditTypes)
	for _, ct := range src {
		c.Source++
		if have, ok := byName[ct.Name]; ok {
			if have.IsCurrency != ct.IsCurrency {
				r.rep.note(kindCreditTypes, ct.ID, "%q is a currency on one side only; mapped by name anyway", ct.Name)
			}
			r.mapID(kindCreditTypes, ct.ID, have.ID)
			c.Existing++
			continue
		}
		id, err := r.create(ctx, kindCreditTypes, "v1/credit-types/create", ct.ID, map[string]any{"name": ct.Name, "is_currency": ct.IsCurrency})
		if err != nil {
			return fmt.Errorf("credit type %q: %w", ct.Name, err)
		}
		r.mapID(kindCreditTypes, ct.ID, id)
		c.Created++
	}
	return nil
}

func listCreditTypes(ctx context.Context, a *api) ([]creditType, error) {
	out, err := collect[metronome.V1PricingUnitListResponse, creditType](a.sdk.V1.PricingUnits.ListAutoPaging(ctx, metronome.V1PricingUnitListParams{}))
	if err != nil {
		return nil, fmt.Errorf("%s: list credit types: %w", a.name, err)
	}
	return out, nil
}

// creditType maps a source credit type id to the target's; an unknown one
// (not listed by the source) is an error naming it.
func (r *run) creditTypeID(id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if t := r.target(kindCreditTypes, id); t != "" {
		return t, nil
	}
	return "", fmt.Errorf("credit type %s is not among the source's credit types", id)
}
