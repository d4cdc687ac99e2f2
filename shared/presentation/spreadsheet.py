"""The quote that keeps a spreadsheet from running a CSV value as a formula: every CSV the
portal writes (subscribers, statistics) puts it before such a value."""

# A spreadsheet runs a cell that starts with one of these as a formula; an export puts a
# quote before it (the usual defence), and the subscriber import takes that quote off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def runs_as_formula(value: str) -> bool:
    # Quotes before a formula are counted too, so that a value that starts with a quote
    # comes back the same from an export.
    return value.lstrip("'").startswith(FORMULA_STARTS)


def formula_safe(value: str) -> str:
    return "'" + value if runs_as_formula(value) else value
