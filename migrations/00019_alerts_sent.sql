-- +goose Up
-- The alerts edr monitor sent around a time (package queries, SentAlerts): a question under an alert message that
-- names no node, or no time, finds the alert it is by when it was sent.
CREATE INDEX alerts_v2_sent ON alerts_v2 (sent_at) WHERE status = 'sent';

-- +goose Down
DROP INDEX alerts_v2_sent;
