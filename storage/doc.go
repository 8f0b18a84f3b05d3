// Package storage persists reviewer's state: in SQLite (modernc.org/sqlite,
// pure Go, the default, under the data directory) or in PostgreSQL that
// several instances share, each backend with its own migrations; document
// bytes go to a content-addressed blob store under the data directory. It
// returns review types and decides nothing: what may be written is checked
// by package desk with review's rules before it asks, and a write is made
// as told, under the conditions desk gives (a draft's version, a claim's
// holder, review.Arrive for an arriving run). It imports review (and
// wakeup, for its signals), never the layers that call it.
//
// On SQLite one writer connection serialises every write and a pool of
// read-only connections serves pages. Webhook events are appended by a
// group-commit loop: many events share one transaction, and each is
// acknowledged only once that transaction is durable. On SQLite that loop
// takes the writer before any other write waiting for it (writeGate).
package storage
