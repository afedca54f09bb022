"""Agreement of a judge with people: label tables and the agreement command."""
