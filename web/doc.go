// Package web is reviewer's HTTP face: the route table (routes.go) with each
// route's access rule, the webhook receiver, sign-in sessions, the pages and
// the JSON API. Every write a handler makes is a desk method (package
// desk); a page's read is a query of the Store it declares, which storage
// implements without web importing it. It renders views.
package web
