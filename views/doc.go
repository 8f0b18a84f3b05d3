// Package views holds reviewer's templ components and the view-model structs
// they render. Views do no I/O and never see an *http.Request: the web layer
// builds a view model and hands it over.
package views
