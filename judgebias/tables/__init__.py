"""Tables in and out: pairs and recorded verdicts from files, run folders, clusters."""
