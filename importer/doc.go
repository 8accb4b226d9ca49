// Package importer copies a Metronome account into a Burndown cluster: the
// credit types, customers (ingest aliases, billing provider links), billable
// metrics, products, rate cards with their rates, contracts with their
// commits, credits, remaining balances and threshold configurations,
// customer-level commits and credits, alerts and webhook destinations.
//
// It is an API client and nothing else: it reads the source through the
// official Metronome Go SDK and writes the target through the same SDK's
// client (the few Burndown-only endpoints, such as credit-types/create and
// webhooks, through its generic Post and Get). It imports no Burndown
// package, so the same code copies from Metronome itself or from another
// Burndown cluster, which speaks the same API.
//
// Re-running an import changes nothing. Burndown makes its own ids, so every
// object the importer creates carries the id of its source object in the
// custom field SourceIDField (customers, metrics, products, rate cards,
// contracts, commits, credits, scheduled charges); the objects without
// custom fields are recognised by what identifies them (credit types by
// name, rates by product, start and pricing group values, alerts by
// customer, type, name and threshold, webhook destinations by URL). Every
// create also carries an Idempotency-Key derived from the source id, which
// makes a retry of a request whose answer was lost safe within the target's
// key window (24 hours); after it the recognition above is what stops a
// duplicate.
package importer
