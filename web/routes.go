package web

import "net/http"

// access is who may call a route.
type access int

const (
	anyone           access = iota // no sign-in (sign-in page, health)
	signed                         // the webhook: no sign-in, its body signed and read raw whatever its Content-Type says
	reviewer                       // any signed-in person
	supervisor                     // supervisors and admins
	admin                          // admins only
	apiToken                       // Authorization: Bearer <token>
	supervisorToken                // a supervisor's or an admin's API token
	extendToken                    // the Extend-compatible API: any API token, Extend's version header and error bodies
	extendSupervisor               // the Extend-compatible API, for a supervisor's or an admin's token
)

type route struct {
	pattern string
	access  access
	handle  handlerFunc
}

// routes is every route reviewer serves, with who may call it. A route
// without an entry here does not exist.
func (s *Server) routes() []route {
	return []route{
		{"POST /webhooks/extend", signed, s.webhook},
		{"GET /healthz", anyone, s.healthz},
		{"GET /livez", anyone, s.livez},
		{"GET /readyz", anyone, s.readyz},
		{"GET /metrics", anyone, s.serveMetrics},
		{"GET /login", anyone, s.loginPage},
		{"POST /login", anyone, s.login},
		{"POST /logout", anyone, s.logout},
		{"GET /setup", anyone, s.setupPage},
		{"POST /setup", anyone, s.setup},

		{"GET /{$}", reviewer, s.queuePage},
		{"GET /queue/rows/{runID}", reviewer, s.queueRow},
		{"GET /queue/rows", reviewer, s.queueRows},
		{"POST /queue/next", reviewer, s.next},
		{"GET /decided", reviewer, s.decidedPage},
		{"GET /ws", reviewer, s.socket},
		{"GET /dashboard", supervisor, s.dashboard},
		{"GET /dashboard/corrections", supervisor, s.correctedRuns},
		// Supervisors own what a run must pass before it goes on.
		{"GET /rules", supervisor, s.rulesPage},
		{"POST /rules", supervisor, s.saveRule},
		{"GET /breaches", supervisor, s.breaches},
		{"POST /runs/{runID}/claim", reviewer, s.claim},
		{"POST /runs/{runID}/release", reviewer, s.release},
		{"GET /runs/{runID}", reviewer, s.runPage},
		{"GET /runs/{runID}/fragments", reviewer, s.runFragments},
		{"GET /pages/{blob}/{page}", reviewer, s.pageImage},
		{"POST /pages/{blob}/{page}/turn", reviewer, s.turnPage},
		{"GET /pages/{blob}/turns", reviewer, s.pageTurns},
		{"GET /pages/{blob}/{page}/words", reviewer, s.pageWords},
		{"POST /pages/{blob}/{page}/read", reviewer, s.readBox},
		{"POST /runs/{runID}/files/{fileID}", supervisor, s.uploadFile},
		{"POST /runs/{runID}/edits", reviewer, s.saveEdit},
		{"POST /runs/{runID}/approve", reviewer, s.approve},
		{"POST /runs/{runID}/reject", reviewer, s.reject},
		{"POST /runs/{runID}/undo", reviewer, s.undo},
		{"POST /runs/{runID}/escalate", reviewer, s.escalate},
		{"POST /runs/{runID}/postpone", reviewer, s.postpone},
		{"POST /runs/{runID}/resume", reviewer, s.resume},
		{"POST /runs/{runID}/reopen", admin, s.reopen},
		{"POST /runs/{runID}/discard", admin, s.discardDraft},
		{"POST /runs/{runID}/active", reviewer, s.active},

		// Quality assurance: anyone checks a run they did not decide; the
		// accuracy it measures and the sample rate are a supervisor's; a
		// reviewer sees their own scorecard.
		{"GET /qa", reviewer, s.qaQueuePage},
		{"GET /qa/{runID}", reviewer, s.qaCheckPage},
		{"POST /qa/{runID}", reviewer, s.qaCheck},
		{"GET /accuracy", supervisor, s.accuracyPage},
		{"POST /accuracy/rules", supervisor, s.saveQARule},
		{"GET /scorecards", reviewer, s.scorecardsPage},

		{"GET /admin/users", admin, s.usersPage},
		{"POST /admin/users", admin, s.createUser},
		{"POST /admin/users/{id}", admin, s.updateUser},
		{"POST /admin/tokens", admin, s.createToken},
		{"POST /admin/tokens/{id}/revoke", admin, s.revokeToken},
		{"GET /admin/settings", admin, s.settingsPage},
		{"POST /admin/settings", admin, s.saveSettings},
		{"POST /admin/duplicate-keys", admin, s.saveDuplicateKeys},
		{"POST /admin/due", admin, s.saveDue},
		{"POST /admin/destinations", admin, s.addDestination},
		{"POST /admin/evaluation-sets", admin, s.setEvaluationSet},
		{"GET /admin/deliveries", admin, s.deliveriesPage},
		{"POST /admin/deliveries/{id}/redeliver", admin, s.redeliver},
		{"POST /admin/events/{eventID}/replay", admin, s.replayEvent},

		{"GET /api/v1/runs", apiToken, s.apiRuns},
		{"GET /api/v1/runs/{runID}", apiToken, s.apiRun},
		{"GET /api/v1/runs/{runID}/audit", apiToken, s.apiAudit},
		{"GET /api/v1/queue", apiToken, s.apiQueue},
		{"GET /api/v1/breaches", apiToken, s.apiBreaches},
		{"GET /api/v1/runs/{runID}/duplicate", apiToken, s.apiDuplicate},
		{"POST /api/v1/runs/{runID}/escalate", apiToken, s.apiEscalate},
		{"POST /api/v1/runs/{runID}/postpone", apiToken, s.apiPostpone},
		{"POST /api/v1/runs/{runID}/resume", apiToken, s.apiResume},
		{"GET /api/v1/workflows/{workflowID}/duplicate-key", apiToken, s.apiDuplicateKey},
		{"GET /api/v1/qa", apiToken, s.apiQAQueue},
		{"GET /api/v1/qa/{runID}", apiToken, s.apiQASample},
		// How accurate people are is a supervisor's to read.
		{"GET /api/v1/accuracy", supervisorToken, s.apiAccuracy},
		{"GET /api/v1/scorecards", supervisorToken, s.apiScorecards},
		// An export is every decided run at once: a supervisor's.
		{"GET /api/v1/exports/runs.jsonl", supervisorToken, s.exportJSONL},
		{"GET /api/v1/exports/runs.csv", supervisorToken, s.exportCSV},
		{"GET /api/v1/exports/qa.csv", supervisorToken, s.exportQA},

		// Extend's own API, read the way Extend serves it (web/extend_api.go),
		// so code written against Extend's SDKs reads reviewed runs by
		// changing its base URL and token. A document's signed link is its
		// own key. Changing a run's metadata changes what its decision
		// sends on: a supervisor's. What would start or stop processing is
		// Extend's alone.
		{"GET /workflow_runs", extendToken, s.listWorkflowRuns},
		{"GET /workflow_runs/{id}", extendToken, s.getWorkflowRun},
		{"POST /workflow_runs/{id}", extendSupervisor, s.updateWorkflowRun},
		{"GET /extract_runs/{id}", extendToken, s.getProcessorRun},
		{"GET /classify_runs/{id}", extendToken, s.getProcessorRun},
		{"GET /split_runs/{id}", extendToken, s.getProcessorRun},
		{"GET /files/{id}", extendToken, s.getFile},
		{"GET /files/{id}/content", anyone, s.fileContent},
		{"POST /workflow_runs", extendToken, s.extendRefused},
		{"POST /workflow_runs/batch", extendToken, s.extendRefused},
		{"POST /workflow_runs/{id}/cancel", extendToken, s.extendRefused},
		{"DELETE /workflow_runs/{id}", extendToken, s.extendRefused},

		{"/", anyone, s.notFound}, // every other path
	}
}

var _ http.Handler = (*Server)(nil)
