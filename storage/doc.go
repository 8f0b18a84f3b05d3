// Package storage keeps reviewer's state in SQLite (modernc.org/sqlite, pure
// Go) and document bytes in a content-addressed blob store, both under the
// data directory. It returns review types and never imports the web layer.
//
// One writer connection serialises every write; a pool of read-only
// connections serves pages. Webhook events are appended by a group-commit
// loop: many events share one transaction, and each is acknowledged only once
// that transaction is durable.
package storage
