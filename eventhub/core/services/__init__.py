"""One module per rule. Services flush but never commit: the caller commits once."""
