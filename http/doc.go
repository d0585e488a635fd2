// Package httpapi is PartnerForge's REST interface (gin): routes, request
// parsing, response shapes and middleware. Handlers read projected views and
// send commands; they never touch the event log directly.
package httpapi
