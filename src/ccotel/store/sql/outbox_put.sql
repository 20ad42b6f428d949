-- An accepted OTLP request for one forward target, in the transaction that stores its rows.
INSERT INTO outbox (target, signal, body, enqueued) VALUES ($target, $signal, $body, now())
