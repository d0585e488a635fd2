// Package httpapi is PartnerForge's REST interface (gin): routes, request
// parsing, response shapes and middleware. Handlers read projected views and
// send commands; they never append to the event log. One reads it: the job
// status endpoint folds a job's own stream (JobStreams) when the job is too
// new to have reached the jobs projection.
package httpapi
