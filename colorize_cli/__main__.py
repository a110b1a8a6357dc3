from colorize_cli.cli import entry

entry()
