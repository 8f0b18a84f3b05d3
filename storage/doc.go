// Package storage persists reviewer's state: in SQLite (modernc.org/sqlite,
// pure Go, the default, under the data directory) or in PostgreSQL that
// several instances share, each backend with its own migrations; document
// bytes go to a content-addressed blob store under the data directory. It
// returns review types and decides nothing: what may be written is checked
// by package desk with review's rules before it asks, and a write is made
// as told, under the conditions desk gives (a draft's version, a claim's
// holder; for an arriving run, the review.Arrival desk decided, its due
// time and duplicate key included, kept only while the run, its
// workflow's rules, service level and the due field, and the documents
// fetched for its files, are as desk read them; for a standalone output,
// the review.OutputArrival, written only while the run holding it is as
// desk read it; for runs keyed again, each review.Rekey, written only
// while the run holds the key, and the payload or documents, it was keyed
// on; for a reopened run or runs a new service level moves, the due times
// desk decided, written only while the service level, and the run's due
// basis or waiting, are as desk read them; for an outbox event, the
// destinations desk chose, written only while the destinations are as
// desk read them; for a run handed to another person, only while the
// account desk read is still enabled). A password comes as the hash desk
// made of it; a QA check's first-review figures count when desk says the
// run had a first review.
// Writes made with the context Store.Atomically gives are one transaction
// (a use-case and its admin's log entry). It imports review (wakeup, for
// its signals, and s3, for blobs kept in object storage), never the layers
// that call it.
//
// On SQLite one writer connection serialises every write and a pool of
// read-only connections serves pages. Webhook events are appended by a
// group-commit loop: many events share one transaction, and each is
// acknowledged only once that transaction is durable. On SQLite that loop
// takes the writer before any other write waiting for it (writeGate).
package storage
