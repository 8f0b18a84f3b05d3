package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/reviewer-app/reviewer/desk"
	"github.com/reviewer-app/reviewer/review"
	"github.com/reviewer-app/reviewer/static"
	"github.com/reviewer-app/reviewer/web/live"
)

// Config is what the server is told at start.
type Config struct {
	BaseURL        string         // how browsers reach the server, e.g. http://127.0.0.1:8080
	WebhookSecrets []string       // Extend signing secrets; several during a rotation
	MaxBody        int64          // webhook body limit in bytes
	BodyMemory     int64          // bytes of webhook bodies held at once (DefaultBodyMemory)
	BodyGrace      time.Duration  // how long a webhook body may take to start arriving (DefaultBodyGrace)
	BodyRate       int64          // bytes a second a webhook body must average after the grace (DefaultBodyRate)
	MaxSockets     int            // open websockets at most; half the file descriptor limit by default
	TrustedProxies []netip.Prefix // peers whose X-Forwarded-For names the client (--trusted-proxies)
	APIKeySet      bool           // an Extend API key is configured (documents can be fetched)
	SetupToken     string         // guards the first-run page while no user exists
	SLA            time.Duration  // how long a run may wait before the dashboard flags it
	Metrics        MetricsAccess  // who may read /metrics (--metrics, --metrics-token); loopback by default
	FeedPoll       time.Duration  // how often the live relay reads the feed unwoken (commits by other processes); 2 s when zero
}

// Secure reports whether browsers reach the server over HTTPS, which makes
// session cookies Secure.
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Server is reviewer's http.Handler.
type Server struct {
	cfg      Config
	store    Store
	worker   Ingest
	pages    Pages
	contents Contents
	log      *slog.Logger
	now      func() time.Time
	assets   *static.Assets
	cookies  *sessions.CookieStore
	metrics  *metrics
	hub      *live.Hub
	logins   *limiter
	presence *presence
	bodies   *bodies
	sockets  *sockets
	desk     *desk.Desk
	extend   *extendAPI
	handler  http.Handler
	// relayFrom is the feed's last change when the server was made: pages
	// hear every change after it, made before Run started the relay too.
	relayFrom int64
}

// Ingest is what /metrics shows of the ingest worker.
type Ingest interface {
	Counts() (processed, failed, filesFetched, fileErrors int64)
}

// Pages draws and reads a stored document's pages: instance wires package
// pages (PDFium, the image decoders, Tesseract), tests may give a stand-in.
type Pages interface {
	// Sniff reads the first bytes of a document from r, as many as it
	// needs, and tells its kind, or why reviewer does not show it; head is
	// what it read.
	Sniff(r io.Reader) (kind string, head []byte, err error)
	Drawn(kind string) bool  // a document of kind has its pages drawn (a PDF, a Word document laid out)
	Served(kind string) bool // a browser shows an image of kind as it is
	Widths() []int           // the widths pages are drawn at, narrowest first
	PNG(ctx context.Context, hash, file string, page, width int) (string, error)
	Turned(ctx context.Context, hash, src string, deg int) (string, error)
	Words(ctx context.Context, hash, file string, page int) ([]Word, error)
	Read(ctx context.Context, hash, file string, page int, box review.Rect) (string, error)
	Ready() error       // for /readyz
	Restarts() int64    // for /metrics
	Decoding() Decoding // for /metrics
}

// Word is a word of a page's own text and where it is, in fractions of the
// page as displayed: what a reviewer clicks to use or draws a box around.
type Word struct {
	Text string      `json:"text"`
	Rect review.Rect `json:"rect"`
}

// Decoding is what the decoders hold of their memory budget, for /metrics.
type Decoding struct {
	Held, Peak int64 // bytes held now, and the most held at once since start
	Busy       int64 // requests told to come back because the budget was taken
}

// Contents reads documents without pages: sheets and text.
type Contents interface {
	Reads(kind string) bool // a document of kind is shown as its cells or text, unless it was laid out as pages
	Content(ctx context.Context, hash, file, kind string) (Content, error)
	AsText(hash, kind string) string // why a document of kind is shown as its text rather than its pages; empty when it is not
}

// Content is a document without pages as read: a spreadsheet's sheets or
// a text.
type Content struct {
	Kind     string
	Sheets   []Sheet
	Text     string // HTML and XML as their source, never run
	Cut      string // what was left out, a sentence; empty when nothing was
	CellKept int    // bytes of a cell kept; a cell cut there is marked in its sheet's Cut
}

// Sheet is one sheet of a spreadsheet: its rows of cells as shown, and the
// cells cut at Content.CellKept bytes, by row and column (from 0).
type Sheet struct {
	Name string
	Rows [][]string
	Cut  map[[2]int]bool
}

// Deps are the server's collaborators.
type Deps struct {
	Store    Store
	Worker   Ingest // for its counters in /metrics; may be nil
	Pages    Pages
	Contents Contents
	Desk     *desk.Desk // the review desk's use-cases
	Log      *slog.Logger
	Now      func() time.Time
}

// NewServer builds the handler: routes, access rules and browser protections.
func NewServer(ctx context.Context, cfg Config, d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 32 << 20
	}
	if cfg.BodyMemory <= 0 {
		cfg.BodyMemory = DefaultBodyMemory
	}
	cfg.BodyMemory = max(cfg.BodyMemory, cfg.MaxBody) // the largest body must fit
	if cfg.BodyGrace <= 0 {
		cfg.BodyGrace = DefaultBodyGrace
	}
	if cfg.BodyRate <= 0 {
		cfg.BodyRate = DefaultBodyRate
	}
	if cfg.SLA <= 0 {
		cfg.SLA = 4 * time.Hour
	}
	if cfg.FeedPoll <= 0 {
		cfg.FeedPoll = 2 * time.Second
	}
	cookies, err := newCookieStore(ctx, d.Desk, cfg.Secure())
	if err != nil {
		return nil, err
	}
	extend, err := newExtendAPI(ctx, d.Store)
	if err != nil {
		return nil, err
	}
	from, err := d.Store.LastChange(ctx)
	if err != nil {
		return nil, err
	}
	share := max(cfg.BodyMemory/bodyShares, cfg.MaxBody)
	s := &Server{
		relayFrom: from,
		cfg:       cfg, store: d.Store, worker: d.Worker, pages: d.Pages, contents: d.Contents, log: d.Log, now: d.Now,
		assets: static.New(), cookies: cookies, metrics: newMetrics(), hub: live.NewHub(),
		logins: &limiter{store: d.Store, window: 15 * time.Minute}, presence: newPresence(), bodies: newBodies(cfg.BodyMemory, share, cfg.BodyGrace, cfg.BodyRate),
		sockets: newSockets(cfg.MaxSockets), desk: d.Desk, extend: extend,
	}
	mux := http.NewServeMux()
	cop := http.NewCrossOriginProtection()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.guard(rt))
		if rt.access == extendToken || rt.access == extendSupervisor {
			// Only a bearer token signs these in, and no browser sends
			// one by itself: there is no cross-site request to forge.
			cop.AddInsecureBypassPattern(rt.pattern)
		}
	}
	mux.Handle("GET /static/", s.assets)
	// Extend calls the webhook server to server; its signature protects it.
	cop.AddInsecureBypassPattern("POST /webhooks/extend")
	s.handler = securityHeaders(cop.Handler(mux))
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// securityHeaders sets the headers every answer carries: no inline scripts,
// no framing, no sniffing, no referrer leaking run ids to other sites.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
