// Package storage persists reviewer's state: in SQLite (modernc.org/sqlite,
// pure Go, the default, under the data directory) or in PostgreSQL that
// several instances share, each backend with its own migrations; document
// bytes go to a content-addressed blob store under the data directory. It
// returns review types and decides nothing: what may be written is checked
// by package desk with review's rules before it asks, and a write is made
// as told, under the conditions desk gives (a draft's version, a claim's
// holder; for an arriving run, the review.Arrival desk decided, its due
// time included, kept only while the run, its workflow's rules, service
// level and the due field are as desk read them; for a standalone output,
// the review.OutputArrival, written only while the run holding it is as
// desk read it). Not yet moved out: a run keyed by its document is keyed
// here, in SQL, by the checksum of its first stored document
// (checksumKey), also when PutFile stores one; a workflow given new key
// fields has its runs keyed again here (rekey), and that change is logged
// here; a reopened run or a changed service level has its due time worked
// out in SQL; which destinations an outbox event goes to is chosen in the
// write (review.Destination.Wants), against the destinations at commit.
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
