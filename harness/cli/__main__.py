"""`python -m harness.cli ...` (and `accelerate launch -m harness.cli adapt ...`)."""

from harness.cli import main

main()
