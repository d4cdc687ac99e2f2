"""The notifier's own Prometheus metrics."""

from prometheus_client import Counter, Gauge, Histogram

EMAILS = Counter(
    "notifier_emails_total", "SMTP sends by outcome (sent, transient, permanent)", ["outcome"]
)
SMTP_PAUSED = Gauge("notifier_smtp_paused", "1 while this replica has paused sending")
SMTP_PAUSES = Counter("notifier_smtp_pauses_total", "Times sending paused after failures")
SMTP_CONSECUTIVE_FAILURES = Gauge(
    "notifier_smtp_consecutive_failures", "Transient SMTP failures in a row on this replica"
)
SMTP_CONNECTIONS = Counter("notifier_smtp_connections_total", "SMTP connections opened")
DELIVERIES = Counter("notifier_deliveries_total", "Deliveries ended, by final state", ["state"])
SIGNUPS = Counter(
    "notifier_signups_total",
    "Sign-ups processed, by outcome (mailed, limited, confirmed, suppressed, unsent)",
    ["outcome"],
)
# From the SMTP server's answer to the outcome stored: a crash inside it sends a second copy.
IN_DOUBT = Histogram(
    "notifier_in_doubt_seconds",
    "Time from the SMTP server accepting a message to its outcome being stored",
    buckets=(
        0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1,
        0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0,
    ),
)  # fmt: skip
