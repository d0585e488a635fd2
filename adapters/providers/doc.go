// Package providers is the common contract of the enrichment provider clients
// (BuiltWith, SimilarWeb, Yahoo Finance) and the resilience that wraps them.
//
// Every client implements Fetcher and reports failures as *Error, whose Code is
// a domain.FailureCode, so the caller can record a ProviderFailed event from
// any failure without knowing which provider produced it. Resilient decorates a
// Fetcher with a daily quota, a circuit breaker, retries with back-off, a
// per-attempt timeout and a rate limiter; Fallback composes two Fetchers.
//
// API keys travel in query strings for two of the providers, so nothing here
// puts a request URL's query into an error or a log line (see RedactURL).
package providers
