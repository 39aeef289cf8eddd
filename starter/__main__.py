from starter.cli import run

run()
