package readmodel

import "github.com/partnerforge/partnerforge/domain"

// HistoryPage is one page of an auditor's history: events in log order.
// When More, NextAfter is the cursor of the next page.
type HistoryPage struct {
	Events    []domain.RecordedEvent
	More      bool
	NextAfter int64
}
