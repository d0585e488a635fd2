-- +goose Up
-- Refusals raised from inside the append statement. Raising (rather than
-- inserting no rows) aborts the whole transaction, so the statements of a
-- multi-stream append can be pipelined in one round trip and still commit
-- all or nothing.

-- +goose StatementBegin
CREATE FUNCTION events_version_conflict(stream text, expected bigint, actual bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'PF409',
        MESSAGE = format('stream %s is at version %s, not %s', stream, actual, expected),
        DETAIL = actual::text;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION events_transaction_full() RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'PF413',
        MESSAGE = 'more than 1048575 events in one transaction';
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION events_transaction_full();
DROP FUNCTION events_version_conflict(text, bigint, bigint);
