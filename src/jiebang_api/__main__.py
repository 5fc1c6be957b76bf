"""`python -m jiebang_api …` runs the command line."""

from jiebang_api.cli import app

app(prog_name="jiebang-api")
