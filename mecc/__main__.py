"""``python -m mecc``: the same command line as the ``mecc`` script."""

from cli import main

main(prog_name="mecc")
