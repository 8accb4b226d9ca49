package demo

import (
	"errors"
	"fmt"
	"net/http"
)

// printURLs prints the operator console's URL and, per demo customer, a
// signed embeddable dashboard URL (commits_and_credits). A node without
// the console or the dashboards endpoint gets a one-line note instead.
func (p *player) printURLs() error {
	console := p.c.base + "/ui/"
	status, err := p.c.getStatus(p.ctx, console)
	if err != nil {
		return fmt.Errorf("the console: %w", err)
	}
	if status == http.StatusOK {
		fmt.Fprintf(p.out, "\nOperator console: %s (it asks for a token: a read token suffices)\n", console)
	} else {
		fmt.Fprintf(p.out, "\nOperator console: %s\n  note: this node does not serve the console (it answered %d)\n", console, status)
	}
	fmt.Fprintf(p.out, "Embeddable dashboards (commits_and_credits), one per customer:\n")
	for _, c := range p.customers {
		var out struct {
			Data struct {
				URL string `json:"url"`
			} `json:"data"`
		}
		err := p.c.call(p.ctx, "POST", "/v1/dashboards/getEmbeddableUrl", obj{"customer_id": c.id, "dashboard": "commits_and_credits"}, &out)
		var api *apiError
		if errors.As(err, &api) && api.status == http.StatusNotFound {
			fmt.Fprintf(p.out, "  note: this node does not serve POST /v1/dashboards/getEmbeddableUrl yet (404): no dashboard URLs\n")
			return nil
		}
		if err != nil {
			return fmt.Errorf("dashboard of %s: %w", c.name, err)
		}
		fmt.Fprintf(p.out, "  %-18s %s\n", c.name, out.Data.URL)
	}
	return nil
}
