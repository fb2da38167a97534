"""How screening is measured and how its model is built: test sets, metrics, the shipped model."""
