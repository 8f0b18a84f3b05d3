// Package desk is reviewer's application layer: the use-cases of the
// review desk, one method each (open a run, save a change, decide). It
// decides with review's rules and persists through the narrow Store it
// declares; the web layer calls it, storage implements Store, package
// rules implements Checker. It imports only review.
package desk
