// Package web serves the dashboard: the single-page app that `npm run build`
// writes to web/dist, embedded in the binary.
//
// The embed takes dist whole, placeholder included, so a checkout that never
// ran npm still compiles; the handler then answers with a page saying how to
// build the dashboard, and the API is unaffected.
package web
