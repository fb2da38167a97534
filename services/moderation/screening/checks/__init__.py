"""One module per check. Each takes a prepared `Document` (and its compiled rules)
and returns `Reason`s; none of them decides: `screening.decide` does."""
