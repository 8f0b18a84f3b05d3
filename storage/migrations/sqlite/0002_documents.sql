-- What a document blob is and the size of each of its pages as displayed,
-- learnt once from the bytes (PDFium for PDFs, the header for images).
CREATE TABLE documents (
	blob       TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,            -- pdf | jpeg | png
	pages      BLOB NOT NULL,            -- JSON [[width, height], …] as displayed
	created_at INTEGER NOT NULL
) STRICT;
