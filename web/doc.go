// Package web is reviewer's HTTP face: the route table (routes.go) with each
// route's access rule, the webhook receiver, sign-in sessions, the pages and
// the JSON API. It reads and writes through storage and renders views.
package web
