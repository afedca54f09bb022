"""What a judge is sent (templates) and how its answer is read (strict readers)."""
