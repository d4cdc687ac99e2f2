"""The notifier's own Prometheus metrics."""

from prometheus_client import Counter, Gauge

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
