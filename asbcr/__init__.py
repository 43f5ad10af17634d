"""ASB Case Review eligibility assistant: shared helpers and the staff command line."""
