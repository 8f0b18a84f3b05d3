// Package review is reviewer's domain: Extend workflow runs, their processor
// outputs, fields addressed by Extend's metadata paths, references normalised
// to page fractions, run status transitions, and the webhook signature scheme.
// Field types are one table (fieldtypes.go): how each is edited, how typed
// text becomes a value of it, what a value must be and how it is shown.
//
// It imports only the standard library. Everything else in reviewer (storage,
// the web layer, adapters) depends on it, never the other way round.
package review
