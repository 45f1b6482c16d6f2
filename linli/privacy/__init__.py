"""Personal-data protection: field encryption, blind index, masking, validators, reveal-with-reason."""
