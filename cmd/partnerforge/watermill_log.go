package main

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
)

// newWatermillLogger adapts log for watermill. watermill's own info messages
// (subscriber set-up, the schema query it runs, handler starts) help when
// debugging delivery and are noise otherwise, so its info is our debug. Once
// work stops, a subscriber's poll is cut short and watermill reports that
// as an error; it is the shutdown asked for, so it is logged at debug too.
func newWatermillLogger(log *slog.Logger, work context.Context) watermill.LoggerAdapter {
	return stoppingLogger{
		LoggerAdapter: watermill.NewSlogLoggerWithLevelMapping(log.With(slog.String("component", "watermill")),
			map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}),
		work: work,
	}
}

type stoppingLogger struct {
	watermill.LoggerAdapter
	work context.Context
}

func (l stoppingLogger) Error(msg string, err error, fields watermill.LogFields) {
	if l.work.Err() != nil {
		l.Debug(msg, fields.Add(watermill.LogFields{"error": err}))
		return
	}
	l.LoggerAdapter.Error(msg, err, fields)
}

func (l stoppingLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return stoppingLogger{LoggerAdapter: l.LoggerAdapter.With(fields), work: l.work}
}
